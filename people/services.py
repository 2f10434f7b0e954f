from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from core.roles import ADMIN_SITE_ROLES, ROLE_GROUP, ROLE_PERMISSIONS
from people.models import Person


@transaction.atomic
def person_sync_login_groups(*, person: Person) -> None:
    """Put the person's login in exactly the role group of their role (other groups kept), with
    admin-site access for the roles that work there."""
    if person.user_id is None:
        return
    role_groups = set(ROLE_PERMISSIONS)
    user = person.user
    assert user is not None
    keep = [g for g in user.groups.all() if g.name not in role_groups]
    wanted = ROLE_GROUP.get(person.role)
    if wanted:
        keep.append(Group.objects.get_or_create(name=wanted)[0])
    user.groups.set(keep)
    staff = user.is_superuser or person.role in ADMIN_SITE_ROLES
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
