"""Hand-off to delivery: the lead is in a delivery role, and "staffing confirmed" needs every staffing
requirement covered by confirmed assignments (or a reason for confirming anyway, which is kept)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.roles import Role
from sow import services as sow_services
from sow.models import HandOff, SowVersion
from staffing import services
from tests.conftest import client_for
from tests.people.factories import delivery_person
from tests.sow.factories import take_to
from tests.staffing.factories import StaffingRequirementFactory

pytestmark = pytest.mark.django_db

KICKOFF = dt.date(2027, 4, 5)


def hand_off(em, version, lead, *, confirmed=True, reason=""):
    return sow_services.sow_hand_off(
        actor=em.user,
        version=version,
        expected_version=version.version,
        delivery_lead=lead,
        kickoff_date=KICKOFF,
        staffing_confirmed=confirmed,
        staffing_override_reason=reason,
    )


@pytest.fixture
def staffed_partly(em, psops, director, draft):
    """A signed SOW needing 24 h/week: 20 h/week for an engineer (confirmed 12) and 4 h/week for a PM (none)."""
    engineer_need = StaffingRequirementFactory(
        sow=draft.sow, title="Migration engineer", hours_per_week=Decimal("20")
    )
    pm_need = StaffingRequirementFactory(
        sow=draft.sow,
        title="Project manager",
        delivery_role=Role.PROJECT_MANAGER,
        hours_per_week=Decimal("4"),
    )
    assignment = services.assignment_propose(
        actor=em.user, requirement=engineer_need, person=delivery_person("Eve Engineer"), hours_per_week="12"
    )
    version = take_to(draft, "signed", em=em, director=director)
    services.assignment_confirm(actor=psops.user, assignment=assignment)
    version.refresh_from_db()
    return {"version": version, "engineer_need": engineer_need, "pm_need": pm_need}


def test_staffing_confirmed_refused_while_requirements_are_not_covered(em, staffed_partly):
    version = staffed_partly["version"]
    with pytest.raises(ValidationError) as exc:
        hand_off(em, version, delivery_person("Lee Lead"))
    message = " ".join(exc.value.messages)
    assert "Migration engineer: 12 of 20 hours a week confirmed." in message
    assert "Project manager: 0 of 4 hours a week confirmed." in message
    assert SowVersion.objects.get(pk=version.pk).status == "signed" and not HandOff.objects.exists()


def test_staffing_confirmed_with_override_reason_is_kept_and_shown(em, staffed_partly):
    version = staffed_partly["version"]
    done = hand_off(em, version, delivery_person("Lee Lead"), reason="  PM staffed by the partner  ")
    assert done.staffing_confirmed and done.staffing_override_reason == "PM staffed by the partner"
    page = client_for(em).get(version.get_absolute_url()).content.decode()
    assert 'data-testid="staffing-override">PM staffed by the partner<' in page


def test_hand_off_without_staffing_confirmed_needs_no_reason(em, staffed_partly):
    done = hand_off(em, staffed_partly["version"], delivery_person("Lee Lead"), confirmed=False, reason="x")
    assert not done.staffing_confirmed and done.staffing_override_reason == ""


def test_staffing_confirmed_once_every_requirement_is_covered(em, psops, staffed_partly):
    for need, hours in ((staffed_partly["engineer_need"], "8"), (staffed_partly["pm_need"], "4")):
        extra = services.assignment_propose(
            actor=em.user, requirement=need, person=delivery_person(f"Top up {hours}"), hours_per_week=hours
        )
        services.assignment_confirm(actor=psops.user, assignment=extra)
    version = staffed_partly["version"]
    version.refresh_from_db()
    done = hand_off(em, version, delivery_person("Lee Lead"), reason="not needed")
    assert done.staffing_confirmed and done.staffing_override_reason == ""  # no gap: nothing to explain


@pytest.mark.parametrize(
    "role", [Role.ENGAGEMENT_MANAGER, Role.EM_MANAGER, Role.PS_DIRECTOR, Role.LEADERSHIP]
)
def test_delivery_lead_must_be_in_a_delivery_role(role, em, director, draft, make_person):
    version = take_to(draft, "signed", em=em, director=director)
    outsider = make_person(role, name="Not Delivery")
    with pytest.raises(ValidationError) as exc:
        hand_off(em, version, outsider)
    assert "Not Delivery is not in a delivery role" in " ".join(exc.value.messages)
    assert SowVersion.objects.get(pk=version.pk).status == "signed"


def test_hand_off_form_lists_only_delivery_roles(em, director, draft, make_person):
    version = take_to(draft, "signed", em=em, director=director)
    lead = make_person(Role.PROJECT_MANAGER, name="Paula Lead")
    leader = make_person(Role.LEADERSHIP, name="Lara Leadership")
    client = client_for(em)
    page = client.get(version.get_absolute_url()).content.decode()
    form = page[page.index('name="delivery_lead"') :]
    form = form[: form.index("</select>")]
    assert "Paula Lead" in form and "Lara Leadership" not in form and em.name not in form
    response = client.post(
        reverse("sow:transition", args=[version.pk, "handoff"]),
        {"version": version.version, "delivery_lead": leader.pk, "kickoff_date": "2027-04-05"},
    )
    assert response.status_code == 200  # the form again, with the error next to the field
    assert "Select a valid choice" in response.content.decode()
    assert SowVersion.objects.get(pk=version.pk).status == "signed"
    assert lead.pk
