"""The admin's history pages: readable by viewers, never a way to write what one may only view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.roles import Role
from engagements import services as engagement_services
from engagements.models import Opportunity, PendingPush
from people.models import Person
from tests.access.forms import changed_tables, database_state, form_fields
from tests.conftest import client_for
from tests.engagements.factories import AccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def _history_url(obj, record) -> str:
    meta = obj._meta
    return reverse(
        f"admin:{meta.app_label}_{meta.model_name}_simple_history", args=[obj.pk, record.history_id]
    )


def _fields(html: str, form_id: str) -> dict[str, Any]:
    """What the page's form `form_id` would submit; the page must have that form."""
    fields = form_fields(html, form_id=form_id)
    assert fields is not None, f"no form {form_id!r} on the page"
    return fields


def _change_form(admin_person, obj) -> dict[str, Any]:
    """The admin change form's fields for `obj`, as an administrator's browser would submit them."""
    meta = obj._meta
    page = client_for(admin_person).get(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )
    assert page.status_code == 200
    return _fields(page.content.decode(), form_id=f"{meta.model_name}_form")


@pytest.fixture
def practice_manager(make_person):
    return make_person(Role.PRACTICE_MANAGER, username="practice")


@pytest.fixture
def ps_operations(make_person):
    return make_person(Role.PS_OPERATIONS, username="psops")


def test_practice_manager_cannot_promote_themselves_through_their_person_history(
    practice_manager, admin_person
):
    record = practice_manager.history.earliest("history_date")
    data = _change_form(admin_person, practice_manager) | {"role": Role.PS_DIRECTOR}
    before = database_state()
    response = client_for(practice_manager).post(_history_url(practice_manager, record), data)
    assert response.status_code == 403
    assert changed_tables(before, database_state()) == []
    practice_manager.refresh_from_db()
    assert practice_manager.role == Role.PRACTICE_MANAGER
    assert not practice_manager.user.has_perm("sow.approve_sow")
    assert list(practice_manager.user.groups.values_list("name", flat=True)) == [Role.PRACTICE_MANAGER.label]


def test_history_stays_readable_for_viewers_without_a_way_to_change_it(practice_manager):
    record = practice_manager.history.earliest("history_date")
    client = client_for(practice_manager)
    listing = client.get(reverse("admin:people_person_history", args=[practice_manager.pk]))
    assert listing.status_code == 200
    page = client.get(_history_url(practice_manager, record))
    assert page.status_code == 200
    html = page.content.decode()
    assert practice_manager.name in html
    assert 'id="historicalperson_form"' in html
    fields = _fields(html, form_id="historicalperson_form")
    assert fields.keys() == {"csrfmiddlewaretoken"}
    assert "Revert" not in html


def test_ps_director_cannot_rewrite_the_rate_card_through_history(ps_director, admin_person):
    from tests.scoping.factories import DeliveryRoleFactory

    role = DeliveryRoleFactory(name="Architect", bill_rate=Decimal("250.00"), cost_rate=Decimal("120.00"))
    record = role.history.earliest("history_date")
    data = _change_form(admin_person, role) | {"bill_rate": "1.00", "cost_rate": "1.00"}
    before = database_state()
    response = client_for(ps_director).post(_history_url(role, record), data)
    assert response.status_code == 403
    assert changed_tables(before, database_state()) == []
    role.refresh_from_db()
    assert (role.bill_rate, role.cost_rate) == (Decimal("250.00"), Decimal("120.00"))


def test_practice_manager_reverts_the_rate_card_as_an_edit(practice_manager, admin_person):
    """Where reverting is on (the catalog), it needs change permission and saves like the change form."""
    from tests.scoping.factories import DeliveryRoleFactory

    role = DeliveryRoleFactory(name="Architect", bill_rate=Decimal("250.00"), cost_rate=Decimal("120.00"))
    old = role.history.earliest("history_date")
    role.bill_rate = Decimal("300.00")
    role.save()
    page = client_for(practice_manager).get(_history_url(role, old))
    assert page.status_code == 200 and "Revert" in page.content.decode()
    data = _fields(page.content.decode(), form_id="historicaldeliveryrole_form")
    assert data["bill_rate"] == "250.00"
    response = client_for(practice_manager).post(_history_url(role, old), data)
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.bill_rate == Decimal("250.00")
    assert role.history.latest("history_date").history_user == practice_manager.user


def test_nobody_reverts_an_em_call_through_history(ps_director, admin_person, em, region_amer):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    first = opp.history.earliest("history_date")
    engagement_services.opportunity_update_em_fields(
        actor=em.user,
        opportunity=opp,
        expected_version=1,
        em_confidence="Green",
        em_confidence_rationale="PO signed off",
    )
    PendingPush.objects.all().delete()
    # The superuser's own form of the old row (everything read-only) has nothing to send; a forged one:
    data = {"em_confidence": "Grey", "em_confidence_rationale": "", "version": "1"}
    for who in (ps_director, admin_person):
        before = database_state()
        response = client_for(who).post(_history_url(opp, first), data)
        assert response.status_code == 403, who
        assert changed_tables(before, database_state()) == []
    opp.refresh_from_db()
    assert (opp.em_confidence, opp.version) == ("Green", 2)
    assert not PendingPush.objects.exists()


def test_estimate_behind_a_sow_cannot_be_set_back_through_history(admin_person, ps_director):
    from tests.scoping.factories import EstimateFactory

    estimate = EstimateFactory(status="agreed")
    record = estimate.history.earliest("history_date")
    for who in (ps_director, admin_person):
        response = client_for(who).post(_history_url(estimate, record), {"status": "draft", "total": "1.00"})
        assert response.status_code == 403
    estimate.refresh_from_db()
    assert estimate.status == "agreed"


def test_ps_operations_cannot_change_an_account_or_scoping_issue_through_history(ps_operations, admin_person):
    from tests.scoping.factories import ScopingIssueFactory

    account = AccountFactory(name="Acme Corp")
    issue = ScopingIssueFactory(title="Acme discovery")
    account_data = _change_form(admin_person, account) | {"name": "Hijacked"}
    before = database_state()
    client = client_for(ps_operations)
    assert (
        client.post(_history_url(account, account.history.earliest("history_date")), account_data).status_code
        == 403
    )
    issue_url = _history_url(issue, issue.history.earliest("history_date"))
    assert client.post(issue_url, {"title": "Hijacked", "status": "closed"}).status_code == 403
    assert changed_tables(before, database_state()) == []


def test_opportunity_history_form_is_read_only_even_for_administrators(admin_person, em, region_amer):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    page = client_for(admin_person).get(_history_url(opp, opp.history.earliest("history_date")))
    assert page.status_code == 200
    assert 'id="historicalopportunity_form"' in page.content.decode()
    assert _fields(page.content.decode(), form_id="historicalopportunity_form").keys() == {
        "csrfmiddlewaretoken"
    }
    assert Opportunity.objects.get(pk=opp.pk).version == 1


# --- Role changes only by an administrator ---------------------------------------------------------


def test_ps_operations_cannot_make_themselves_ps_director_in_the_admin(ps_operations, admin_person):
    data = _change_form(admin_person, ps_operations) | {"role": Role.PS_DIRECTOR}
    response = client_for(ps_operations).post(
        reverse("admin:people_person_change", args=[ps_operations.pk]), data
    )
    assert response.status_code in (200, 302, 403)
    ps_operations.refresh_from_db()
    assert ps_operations.role == Role.PS_OPERATIONS
    assert not ps_operations.user.has_perm("sow.approve_sow")


def test_ps_operations_cannot_change_the_role_of_someone_who_logs_in(ps_operations, admin_person, em):
    data = _change_form(admin_person, em) | {"role": Role.PS_DIRECTOR}
    client_for(ps_operations).post(reverse("admin:people_person_change", args=[em.pk]), data)
    em.refresh_from_db()
    assert em.role == Role.ENGAGEMENT_MANAGER
    page = client_for(ps_operations).get(reverse("admin:people_person_change", args=[em.pk]))
    assert "role" not in _fields(page.content.decode(), form_id="person_form")


def test_ps_operations_sets_the_role_of_a_directory_entry_without_login(ps_operations, admin_person):
    from tests.people.factories import PersonFactory

    engineer = PersonFactory(role=Role.PS_ENGINEER, user=None)
    data = _change_form(admin_person, engineer) | {"role": Role.PROJECT_MANAGER}
    response = client_for(ps_operations).post(reverse("admin:people_person_change", args=[engineer.pk]), data)
    assert response.status_code == 302
    engineer.refresh_from_db()
    assert engineer.role == Role.PROJECT_MANAGER


def test_ps_operations_cannot_link_their_login_to_a_director_entry(ps_operations, admin_person):
    from tests.people.factories import PersonFactory

    director_entry = PersonFactory(role=Role.PS_DIRECTOR, user=None)
    data = _change_form(admin_person, director_entry) | {"user": str(ps_operations.user_id)}
    client_for(ps_operations).post(reverse("admin:people_person_change", args=[director_entry.pk]), data)
    director_entry.refresh_from_db()
    assert director_entry.user_id is None
    assert not ps_operations.user.has_perm("sow.approve_sow")
    add = _change_form(admin_person, director_entry) | {
        "user": str(ps_operations.user_id),
        "email": "new.director@example.com",
        "name": "New Director",
    }
    before = Person.objects.count()
    client_for(ps_operations).post(reverse("admin:people_person_add"), add)
    assert not Person.objects.filter(user=ps_operations.user).exclude(pk=ps_operations.pk).exists()
    assert Person.objects.filter(email="new.director@example.com", user__isnull=False).count() == 0
    assert Person.objects.count() in (before, before + 1)


def test_administrator_cannot_link_their_own_login_to_another_entry(admin_person):
    from tests.people.factories import PersonFactory

    director_entry = PersonFactory(role=Role.PS_DIRECTOR, user=None)
    data = _change_form(admin_person, director_entry) | {"user": str(admin_person.user_id)}
    response = client_for(admin_person).post(
        reverse("admin:people_person_change", args=[director_entry.pk]), data
    )
    assert response.status_code == 200 and "Nobody changes their own" in response.content.decode()
    director_entry.refresh_from_db()
    assert director_entry.user_id is None


def test_administrator_changes_someone_elses_role(admin_person, em):
    data = _change_form(admin_person, em) | {"role": Role.EM_MANAGER}
    response = client_for(admin_person).post(reverse("admin:people_person_change", args=[em.pk]), data)
    assert response.status_code == 302
    em.refresh_from_db()
    assert em.role == Role.EM_MANAGER
    assert em.user.groups.filter(name=Role.EM_MANAGER.label).exists()


def test_nobody_changes_their_own_login_privileges(admin_person, make_person):
    own = reverse("admin:auth_user_change", args=[admin_person.user_id])
    data = _fields(client_for(admin_person).get(own).content.decode(), form_id="user_form")
    assert "is_superuser" not in data and "groups" not in data
    director_group = Group.objects.get(name=Role.PS_DIRECTOR.label)
    client_for(admin_person).post(own, data | {"is_superuser": "", "groups": [str(director_group.pk)]})
    admin_person.user.refresh_from_db()
    assert admin_person.user.is_superuser
    assert not admin_person.user.groups.filter(pk=director_group.pk).exists()


def test_another_administrator_changes_a_logins_groups(admin_person, em):
    url = reverse("admin:auth_user_change", args=[em.user_id])
    data = _fields(client_for(admin_person).get(url).content.decode(), form_id="user_form")
    assert "is_superuser" not in data and "is_staff" not in data  # unchecked boxes send nothing
    response = client_for(admin_person).post(url, data | {"is_staff": "on"})
    assert response.status_code == 302
    em.user.refresh_from_db()
    assert em.user.is_staff


def test_directory_edit_page_refuses_changing_ones_own_role(admin_person):
    from people.forms import PersonForm

    initial = PersonForm.initial_for(admin_person)
    data = {k: ("" if v is None else v) for k, v in initial.items()} | {"role": Role.PS_DIRECTOR}
    data["active"] = "on"
    response = client_for(admin_person).post(reverse("people:edit", args=[admin_person.pk]), data)
    assert response.status_code == 200
    assert "Nobody changes their own role" in response.content.decode()
    admin_person.refresh_from_db()
    assert admin_person.role == Role.PS_OPERATIONS
