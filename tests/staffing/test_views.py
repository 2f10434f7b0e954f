"""Staffing pages and actions: permissions per role, field errors, query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.roles import Role
from staffing.models import Assignment, AssignmentStatus, StaffingRequirement
from tests.conftest import client_for
from tests.people.factories import SkillFactory, delivery_person
from tests.staffing.factories import AssignmentFactory, StaffingRequirementFactory, requirement_skill

pytestmark = pytest.mark.django_db
D = Decimal
ROLES = ["anonymous", "em", "em_manager", "other_em", "director", "leadership", "psops", "admin"]


@pytest.fixture
def people(em, em_manager, other_em, director, leadership, psops, admin_person):
    return {
        "em": em,
        "em_manager": em_manager,
        "other_em": other_em,
        "director": director,
        "leadership": leadership,
        "psops": psops,
        "admin": admin_person,
    }


@pytest.fixture
def requirement(signed):
    requirement = StaffingRequirementFactory(sow=signed.sow, title="Lead engineer")
    requirement_skill(requirement, "Kubernetes", 3)
    return requirement


@pytest.fixture
def engineer(db):
    return delivery_person("Sam Taylor", skills={"Kubernetes": 4}, time_zone="Europe/Berlin")


def client(people, role):
    return Client() if role == "anonymous" else client_for(people[role])


def assert_anonymous_redirected(response):
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["requirement", "create", "edit", "list", "version"])
def test_page_access_per_role(people, requirement, page, role):
    url = {
        "requirement": requirement.get_absolute_url(),
        "create": reverse("staffing:requirement_create", args=[requirement.sow_id]),
        "edit": reverse("staffing:requirement_edit", args=[requirement.pk]),
        "list": reverse("staffing:list"),
        "version": requirement.sow.versions.get().get_absolute_url(),
    }[page]
    response = client(people, role).get(url)
    if role == "anonymous":
        return assert_anonymous_redirected(response)
    editors = {"em", "em_manager", "psops", "admin"}
    expected = {
        "requirement": 404 if role == "other_em" else 200,
        "version": 404 if role == "other_em" else 200,
        "list": 200,
        "create": 404 if role == "other_em" else (200 if role in editors else 403),
        "edit": 404 if role == "other_em" else (200 if role in editors else 403),
    }[page]
    assert response.status_code == expected
    if page == "version" and expected == 200:
        body = response.content.decode()
        assert 'data-testid="staffing-section"' in body and "Lead engineer" in body
        assert ("Add requirement" in body) == (role in editors)


def test_staffing_list_shows_only_visible_sows(people, requirement):
    assert "Lead engineer" in client(people, "psops").get(reverse("staffing:list")).content.decode()
    assert "Lead engineer" not in client(people, "other_em").get(reverse("staffing:list")).content.decode()


def test_menu_entries_by_permission(people):
    body = client(people, "psops").get(reverse("sow:list")).content.decode()
    assert reverse("staffing:list") in body and reverse("people:list") in body
    body = client(people, "em").get(reverse("sow:list")).content.decode()
    assert reverse("staffing:list") not in body and reverse("people:list") not in body


# ---------------------------------------------------------------- actions


@pytest.mark.parametrize("role", ROLES)
def test_propose_per_role(people, requirement, engineer, role):
    response = client(people, role).post(
        reverse("staffing:assignment_add", args=[requirement.pk]),
        {"person": engineer.pk, "action": "propose"},
    )
    if role == "anonymous":
        assert_anonymous_redirected(response)
    else:
        expected = {"other_em": 404, "director": 403, "leadership": 403}.get(role, 302)
        assert response.status_code == expected
    made = Assignment.objects.filter(requirement=requirement, status=AssignmentStatus.PROPOSED).exists()
    assert made == (role in {"em", "em_manager", "psops", "admin"})


@pytest.mark.parametrize("role", ROLES)
def test_confirm_candidate_per_role(people, requirement, engineer, role):
    response = client(people, role).post(
        reverse("staffing:assignment_add", args=[requirement.pk]),
        {"person": engineer.pk, "action": "confirm"},
    )
    if role == "anonymous":
        assert_anonymous_redirected(response)
    else:
        expected = {"other_em": 404, "psops": 302, "admin": 302}.get(role, 403)
        assert response.status_code == expected
    assert Assignment.objects.filter(status=AssignmentStatus.CONFIRMED).exists() == (
        role in {"psops", "admin"}
    )


@pytest.mark.parametrize("role", ROLES)
def test_confirm_proposal_per_role(people, requirement, engineer, role):
    proposal = AssignmentFactory(requirement=requirement, person=engineer, status=AssignmentStatus.PROPOSED)
    response = client(people, role).post(reverse("staffing:assignment_confirm", args=[proposal.pk]))
    if role == "anonymous":
        assert_anonymous_redirected(response)
    else:
        assert response.status_code == {"other_em": 404, "psops": 302, "admin": 302}.get(role, 403)
    proposal.refresh_from_db()
    assert (proposal.status == AssignmentStatus.CONFIRMED) == (role in {"psops", "admin"})


@pytest.mark.parametrize("role", ROLES)
def test_cancel_proposal_per_role(people, requirement, engineer, role):
    proposal = AssignmentFactory(requirement=requirement, person=engineer, status=AssignmentStatus.PROPOSED)
    response = client(people, role).post(
        reverse("staffing:assignment_cancel", args=[proposal.pk]), {"reason": ""}
    )
    if role == "anonymous":
        assert_anonymous_redirected(response)
    else:
        assert response.status_code == {"other_em": 404, "director": 403, "leadership": 403}.get(role, 302)
    proposal.refresh_from_db()
    assert (proposal.status == AssignmentStatus.CANCELLED) == (role in {"em", "em_manager", "psops", "admin"})


@pytest.mark.parametrize("role", ROLES)
def test_create_and_delete_requirement_per_role(people, signed, role):
    data = {
        "delivery_role": Role.PS_ENGINEER,
        "hours_per_week": "20",
        "start_date": "2027-04-05",
        "end_date": "2027-04-30",
        "customer_time_zone": "America/New_York",
        "overlap_hours": "3",
        "languages": "English",
    }
    response = client(people, role).post(reverse("staffing:requirement_create", args=[signed.sow_id]), data)
    editors = {"em", "em_manager", "psops", "admin"}
    if role == "anonymous":
        assert_anonymous_redirected(response)
    else:
        assert response.status_code == {"other_em": 404}.get(role, 302 if role in editors else 403)
    assert StaffingRequirement.objects.exists() == (role in editors)
    existing = StaffingRequirementFactory(sow=signed.sow)
    response = client(people, role).post(reverse("staffing:requirement_delete", args=[existing.pk]))
    if role != "anonymous":
        assert response.status_code == {"other_em": 404}.get(role, 302 if role in editors else 403)
    assert StaffingRequirement.objects.filter(pk=existing.pk).exists() == (role not in editors)


def test_get_on_actions_is_refused(people, requirement):
    assert (
        client(people, "psops").get(reverse("staffing:assignment_add", args=[requirement.pk])).status_code
        == 405
    )


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"customer_time_zone": "Nowhere/Special"}, "customer_time_zone"),
        ({"hours_per_week": "0"}, "hours_per_week"),
        ({"hours_per_week": "lots"}, "hours_per_week"),
        ({"overlap_hours": "12"}, "overlap_hours"),
        ({"end_date": "2027-01-01"}, "end_date"),
        ({"start_date": "2027-02-30"}, "start_date"),
        ({"delivery_role": "leadership"}, "delivery_role"),
        ({"languages": "English, 1337"}, "languages"),
        ({"skill_KUBERNETES": "r9"}, "skill_KUBERNETES"),
    ],
)
def test_requirement_bad_input_field_errors_and_nothing_saved(people, signed, data, field):
    skill = SkillFactory(name="Kubernetes")
    base = {
        "delivery_role": Role.PS_ENGINEER,
        "hours_per_week": "20",
        "start_date": "2027-04-05",
        "end_date": "2027-04-30",
        "customer_time_zone": "America/New_York",
        "overlap_hours": "3",
        "languages": "English",
    }
    data = {key.replace("KUBERNETES", str(skill.pk)): value for key, value in data.items()}
    field = field.replace("KUBERNETES", str(skill.pk))
    response = client(people, "em").post(
        reverse("staffing:requirement_create", args=[signed.sow_id]), {**base, **data}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert "is-invalid" in response.content.decode()
    assert not StaffingRequirement.objects.exists()


def test_requirement_edit_with_stale_version_shows_conflict(people, requirement):
    url = reverse("staffing:requirement_edit", args=[requirement.pk])
    data = {
        "delivery_role": Role.PS_ENGINEER,
        "hours_per_week": "30",
        "start_date": "2027-04-05",
        "end_date": "2027-04-30",
        "customer_time_zone": "Europe/Berlin",
        "overlap_hours": "4",
        "languages": "English",
        "version": "1",
    }
    assert client(people, "em").post(url, data).status_code == 302
    response = client(people, "psops").post(url, {**data, "hours_per_week": "10"})
    assert (
        response.status_code == 200 and "Someone else changed this requirement" in response.content.decode()
    )
    requirement.refresh_from_db()
    assert requirement.hours_per_week == D("30") and requirement.skills.count() == 0


def test_over_allocated_confirm_shows_override_field_error_then_succeeds_with_reason(
    people, requirement, engineer
):
    other = StaffingRequirementFactory(sow=requirement.sow)
    AssignmentFactory(requirement=other, person=engineer, hours_per_week=D("30"))
    c = client(people, "psops")
    page = c.get(requirement.get_absolute_url()).content.decode()
    assert f'id="row-override-{engineer.pk}"' in page  # the row asks for a reason up front
    response = c.post(
        reverse("staffing:assignment_add", args=[requirement.pk]),
        {"person": engineer.pk, "action": "confirm"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="candidate-error"' in body and "over-allocates Sam Taylor" in body
    assert not Assignment.objects.filter(requirement=requirement).exists()
    response = c.post(
        reverse("staffing:assignment_add", args=[requirement.pk]),
        {"person": engineer.pk, "action": "confirm", "override_reason": "Agreed overtime"},
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(requirement=requirement)
    assert assignment.status == AssignmentStatus.CONFIRMED and assignment.override_reason == "Agreed overtime"
    assert "Agreed overtime" in c.get(requirement.get_absolute_url()).content.decode()


def test_confirming_a_proposal_over_allocated_shows_error_on_its_row(people, requirement, engineer):
    other = StaffingRequirementFactory(sow=requirement.sow)
    AssignmentFactory(requirement=other, person=engineer, hours_per_week=D("30"))
    proposal = AssignmentFactory(requirement=requirement, person=engineer, status=AssignmentStatus.PROPOSED)
    response = client(people, "psops").post(reverse("staffing:assignment_confirm", args=[proposal.pk]))
    assert response.status_code == 200
    assert 'data-testid="assignment-error"' in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.PROPOSED


@pytest.mark.parametrize(
    "data",
    [
        {"person": "abc", "action": "propose"},
        {"person": "999999", "action": "propose"},
        {"action": "propose"},
        {"person": "PERSON", "action": "propose", "hours_per_week": "500", "source": "form"},
        {"person": "PERSON", "action": "propose", "start_date": "2020-01-01", "source": "form"},
        {"person": "PERSON", "action": "propose", "end_date": "not a date", "source": "form"},
    ],
)
def test_assignment_bad_input_never_500_and_nothing_saved(people, requirement, engineer, data):
    data = {key: (str(engineer.pk) if value == "PERSON" else value) for key, value in data.items()}
    response = client(people, "em").post(reverse("staffing:assignment_add", args=[requirement.pk]), data)
    assert response.status_code == 200
    assert response.context["assignment_form"].errors
    assert not Assignment.objects.exists()


def test_confirmed_cancel_without_reason_shows_error(people, requirement, engineer):
    confirmed = AssignmentFactory(requirement=requirement, person=engineer)
    response = client(people, "psops").post(
        reverse("staffing:assignment_cancel", args=[confirmed.pk]), {"reason": ""}
    )
    assert response.status_code == 200 and "Say why" in response.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.status == AssignmentStatus.CONFIRMED


def test_confirm_buttons_only_for_psops_on_signed_sows(people, draft, em, director):
    requirement = StaffingRequirementFactory(sow=draft.sow)
    delivery_person("Sam Taylor", time_zone="Europe/Berlin")
    body = client(people, "psops").get(requirement.get_absolute_url()).content.decode()
    assert "Propose" in body and 'value="confirm"' not in body and "proposals only" in body
    body = client(people, "em").get(requirement.get_absolute_url()).content.decode()
    assert 'value="confirm"' not in body


def test_candidates_escape_user_text(people, requirement):
    delivery_person('<script>alert("x")</script>', skills={"Kubernetes": 5}, time_zone="Europe/Berlin")
    body = client(people, "psops").get(requirement.get_absolute_url()).content.decode()
    assert '<script>alert("x")</script>' not in body and "&lt;script&gt;" in body


# ---------------------------------------------------------------- query counts


def _queries(c, url):
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_candidate_list_query_count_constant_as_people_and_assignments_grow(people, requirement):
    c = client(people, "psops")
    other = StaffingRequirementFactory(sow=requirement.sow)
    zones = ["Europe/Berlin", "America/New_York", "Asia/Singapore"]

    def grow(n, start):
        for i in range(start, start + n):
            person = delivery_person(
                f"Engineer {i:03d}", skills={"Kubernetes": 1 + i % 5, "AWS": 3}, time_zone=zones[i % 3]
            )
            AssignmentFactory(requirement=other, person=person, hours_per_week=D("8"))
            AssignmentFactory(
                requirement=StaffingRequirementFactory(sow=requirement.sow),
                person=person,
                status=AssignmentStatus.PROPOSED,
                hours_per_week=D("4"),
            )

    grow(3, 0)
    few = _queries(c, requirement.get_absolute_url())
    grow(40, 3)
    many = _queries(c, requirement.get_absolute_url())
    assert few == many
    assert many <= 20


def test_staffing_list_and_sow_page_query_counts_constant(people, signed, engineer):
    c = client(people, "psops")
    version_url = signed.get_absolute_url()

    def add(n):
        for _ in range(n):
            requirement = StaffingRequirementFactory(sow=signed.sow, end_date=dt.date(2099, 1, 1))
            requirement_skill(requirement, "Kubernetes", 2)
            AssignmentFactory(requirement=requirement, person=engineer, hours_per_week=D("1"))

    add(2)
    few = (_queries(c, reverse("staffing:list")), _queries(c, version_url))
    add(25)
    many = (_queries(c, reverse("staffing:list")), _queries(c, version_url))
    assert few == many


def test_person_page_lists_assignments_from_the_staffing_panel(
    people, requirement, engineer, make_person, region_emea
):
    AssignmentFactory(requirement=requirement, person=engineer)
    body = client(people, "psops").get(engineer.get_absolute_url()).content.decode()
    assert 'data-testid="person-assignments"' in body and "Lead engineer" in body and "Confirmed" in body
    # An EM Manager of another region sees that there is work, not where.
    emea_manager = make_person(Role.EM_MANAGER, username="emm.emea", region=region_emea)
    body = client_for(emea_manager).get(engineer.get_absolute_url()).content.decode()
    assert "Lead engineer" not in body and "1 more on SOWs outside your view" in body
