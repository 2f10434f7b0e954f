"""Each staffing access rule refuses with its one message, on the page and in the service alike."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from core.roles import Role
from staffing import access, services
from staffing.models import Assignment, AssignmentStatus, StaffingRequirement
from tests.conftest import client_for
from tests.people.factories import delivery_person
from tests.sow.factories import take_to
from tests.staffing.factories import AssignmentFactory, StaffingRequirementFactory

pytestmark = pytest.mark.django_db


def page_refusal(response, rule):
    """The 403 page shows the rule's own message."""
    assert response.status_code == 403
    assert escape(rule.message) in response.content.decode()


def service_refusal(call, rule):
    with pytest.raises(PermissionDenied) as exc:
        call()
    assert str(exc.value) == rule.message


def requirement_args(requirement=None):
    return {
        "delivery_role": Role.PS_ENGINEER,
        "hours_per_week": "20",
        "start_date": requirement.start_date if requirement else dt.date(2027, 4, 5),
        "end_date": requirement.end_date if requirement else dt.date(2027, 4, 30),
        "customer_time_zone": "Europe/Berlin",
        "overlap_hours": "4",
        "languages": "English",
        "required_skills": {},
        "nice_skills": {},
    }


def form_data(requirement):
    return {
        "delivery_role": Role.PS_ENGINEER,
        "hours_per_week": "20",
        "start_date": requirement.start_date.isoformat(),
        "end_date": requirement.end_date.isoformat(),
        "customer_time_zone": "Europe/Berlin",
        "overlap_hours": "4",
        "languages": "English",
        "version": str(requirement.version),
    }


@pytest.fixture
def requirement(signed):
    return StaffingRequirementFactory(sow=signed.sow, title="Lead engineer")


@pytest.fixture
def engineer(db):
    return delivery_person("Sam Taylor", skills={"Kubernetes": 4}, time_zone="Europe/Berlin")


def test_can_edit_on_the_requirement_pages(leadership, requirement):
    client = client_for(leadership)
    page_refusal(
        client.get(reverse("staffing:requirement_create", args=[requirement.sow_id])), access.can_edit
    )
    page_refusal(client.get(reverse("staffing:requirement_edit", args=[requirement.pk])), access.can_edit)
    page_refusal(
        client.post(reverse("staffing:requirement_edit", args=[requirement.pk]), form_data(requirement)),
        access.can_edit,
    )
    page_refusal(client.post(reverse("staffing:requirement_delete", args=[requirement.pk])), access.can_edit)
    assert StaffingRequirement.objects.filter(pk=requirement.pk, version=1).exists()


def test_can_edit_in_the_requirement_services(leadership, requirement):
    for call in (
        lambda: services.staffing_requirement_create(
            actor=leadership.user, sow=requirement.sow, **requirement_args()
        ),
        lambda: services.staffing_requirement_update(
            actor=leadership.user,
            requirement=requirement,
            expected_version=requirement.version,
            **requirement_args(requirement),
        ),
        lambda: services.staffing_requirement_delete(actor=leadership.user, requirement=requirement),
    ):
        service_refusal(call, access.can_edit)
    assert list(StaffingRequirement.objects.values_list("pk", "version")) == [(requirement.pk, 1)]


def test_can_edit_decides_who_withdraws_a_proposal(leadership, requirement, engineer):
    proposal = AssignmentFactory(requirement=requirement, person=engineer, status=AssignmentStatus.PROPOSED)
    page_refusal(
        client_for(leadership).post(
            reverse("staffing:assignment_cancel", args=[proposal.pk]), {"reason": ""}
        ),
        access.can_edit,
    )
    service_refusal(
        lambda: services.assignment_cancel(actor=leadership.user, assignment=proposal), access.can_edit
    )
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.PROPOSED


def test_can_propose_on_the_page_and_in_the_service(leadership, requirement, engineer):
    page_refusal(
        client_for(leadership).post(
            reverse("staffing:assignment_add", args=[requirement.pk]), {"person": engineer.pk}
        ),
        access.can_propose,
    )
    service_refusal(
        lambda: services.assignment_propose(actor=leadership.user, requirement=requirement, person=engineer),
        access.can_propose,
    )
    assert not Assignment.objects.exists()


def test_can_confirm_on_both_pages_and_in_both_services(em, requirement, engineer):
    client = client_for(em)
    page_refusal(
        client.post(
            reverse("staffing:assignment_add", args=[requirement.pk]),
            {"person": engineer.pk, "action": "confirm"},
        ),
        access.can_confirm,
    )
    proposal = AssignmentFactory(requirement=requirement, person=engineer, status=AssignmentStatus.PROPOSED)
    page_refusal(client.post(reverse("staffing:assignment_confirm", args=[proposal.pk])), access.can_confirm)
    service_refusal(
        lambda: services.assignment_confirm(actor=em.user, assignment=proposal), access.can_confirm
    )
    service_refusal(
        lambda: services.assignment_staff(
            actor=em.user, requirement=requirement, person=delivery_person("B")
        ),
        access.can_confirm,
    )
    assert list(Assignment.objects.values_list("status", flat=True)) == [AssignmentStatus.PROPOSED]


def test_can_cancel_confirmed_on_the_page_and_in_the_service(em, requirement, engineer):
    confirmed = AssignmentFactory(requirement=requirement, person=engineer, status=AssignmentStatus.CONFIRMED)
    page_refusal(
        client_for(em).post(
            reverse("staffing:assignment_cancel", args=[confirmed.pk]), {"reason": "Customer delayed"}
        ),
        access.can_cancel_confirmed,
    )
    service_refusal(
        lambda: services.assignment_cancel(actor=em.user, assignment=confirmed, reason="Customer delayed"),
        access.can_cancel_confirmed,
    )
    confirmed.refresh_from_db()
    assert confirmed.status == AssignmentStatus.CONFIRMED


def test_can_staff_after_hand_off_on_the_page_and_in_the_service(em, director, draft, engineer):
    requirement = StaffingRequirementFactory(sow=draft.sow)
    take_to(draft, "handed_off", em=em, director=director)
    page_refusal(
        client_for(em).post(
            reverse("staffing:assignment_add", args=[requirement.pk]), {"person": engineer.pk}
        ),
        access.can_staff_after_hand_off,
    )
    service_refusal(
        lambda: services.assignment_propose(actor=em.user, requirement=requirement, person=engineer),
        access.can_staff_after_hand_off,
    )
    assert not Assignment.objects.exists()


def test_can_use_staffing_on_the_staffing_list(db):
    client = Client()
    client.force_login(User.objects.create_user("outsider", password="x"))
    page_refusal(client.get(reverse("staffing:list")), access.can_use_staffing)


def test_can_view_on_the_requirement_page_for_who_sees_the_sow_but_not_staffing(leadership, requirement):
    """A login given the SOW permissions one by one, without staffing's."""
    user = leadership.user
    kept = [p for p in Permission.objects.filter(group__user=user) if p.content_type.app_label != "staffing"]
    user.groups.clear()
    user.user_permissions.set(kept)
    page_refusal(client_for(leadership).get(requirement.get_absolute_url()), access.can_view)
    body = client_for(leadership).get(requirement.sow.versions.get().get_absolute_url()).content.decode()
    assert 'data-testid="staffing-section"' not in body
