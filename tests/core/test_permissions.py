import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.permissions import load_permissions

pytestmark = pytest.mark.django_db


def _perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def _django_answer(user: User) -> set[str]:
    fresh = User.objects.get(pk=user.pk)
    return ModelBackend().get_all_permissions(fresh)


def test_own_and_group_permissions_in_one_query():
    user = User.objects.create_user("perm-user")
    user.user_permissions.add(_perm("view_opportunity"))
    group = Group.objects.create(name="perm-group")
    group.permissions.add(_perm("change_em_fields"), _perm("view_opportunity"))
    user.groups.add(group)
    user = User.objects.get(pk=user.pk)
    with CaptureQueriesContext(connection) as ctx:
        load_permissions(user)
        assert user.has_perm("engagements.view_opportunity")
        assert user.has_perm("engagements.change_em_fields")
        assert not user.has_perm("engagements.manage_em_team")
    assert len(ctx.captured_queries) == 1
    assert user.get_all_permissions() == {"engagements.view_opportunity", "engagements.change_em_fields"}
    assert user.get_all_permissions() == _django_answer(user)


def test_superuser_gets_every_permission():
    user = User.objects.create_superuser("perm-admin", password="x")
    load_permissions(user)
    assert len(user._perm_cache) == Permission.objects.count()  # type: ignore[attr-defined]
    assert user._perm_cache == _django_answer(user)  # type: ignore[attr-defined]


def test_inactive_user_gets_nothing():
    user = User.objects.create_user("perm-inactive", is_active=False)
    user.user_permissions.add(_perm("view_opportunity"))
    load_permissions(user)
    assert not hasattr(user, "_perm_cache")
    assert not user.has_perm("engagements.view_opportunity")


def test_person_and_permissions_in_one_query(em):
    from people.selectors import load_person_and_permissions, person_for_user

    user = User.objects.get(pk=em.user_id)
    with CaptureQueriesContext(connection) as ctx:
        load_person_and_permissions(user)
        person = person_for_user(user)
        assert person == em
        assert person is not None and person.region_id == em.region_id
        assert user.has_perm("engagements.change_em_fields")
    assert len(ctx.captured_queries) == 1
    assert user.get_all_permissions() == _django_answer(user)
    assert user.get_all_permissions()  # an EM has permissions to compare


def test_login_without_person_still_gets_permissions():
    from people.selectors import load_person_and_permissions, person_for_user

    user = User.objects.create_user("perm-no-person")
    user.user_permissions.add(_perm("view_opportunity"))
    user = User.objects.get(pk=user.pk)
    load_person_and_permissions(user)
    assert person_for_user(user) is None
    assert user._perm_cache == {"engagements.view_opportunity"} == _django_answer(user)  # type: ignore[attr-defined]
