"""Staffing rules, tested on the services directly."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import Conflict
from core.roles import Role
from sow import services as sow_services
from staffing import services
from staffing.models import Assignment, AssignmentStatus, RequirementSkill, StaffingRequirement
from tests.people.factories import SkillFactory, delivery_person
from tests.sow.factories import take_to
from tests.staffing.factories import AssignmentFactory, StaffingRequirementFactory

pytestmark = pytest.mark.django_db
D = Decimal


def requirement_args(**overrides):
    args = {
        "delivery_role": Role.PS_ENGINEER,
        "hours_per_week": "24",
        "start_date": dt.date(2027, 3, 1),
        "end_date": dt.date(2027, 4, 30),
        "customer_time_zone": "America/New_York",
        "overlap_hours": "4",
        "languages": "english, German",
        "required_skills": {},
        "nice_skills": {},
        "title": "Lead engineer",
    }
    args.update(overrides)
    return args


@pytest.fixture
def requirement(signed):
    return StaffingRequirementFactory(sow=signed.sow, hours_per_week=D("24"))


@pytest.fixture
def engineer(db):
    return delivery_person("Sam Taylor", skills={"Kubernetes": 4})


# ---------------------------------------------------------------- requirements


def test_em_creates_requirement_with_skills_and_clean_languages(em, draft):
    kubernetes, aws = SkillFactory(name="Kubernetes"), SkillFactory(name="AWS")
    requirement = services.staffing_requirement_create(
        actor=em.user,
        sow=draft.sow,
        **requirement_args(required_skills={kubernetes.pk: 3}, nice_skills={aws.pk: 2}),
    )
    assert requirement.languages == ["English", "German"]
    assert requirement.hours_per_week == D("24.00")
    assert {(rs.skill.name, rs.min_level, rs.required) for rs in requirement.skills.all()} == {
        ("Kubernetes", 3, True),
        ("AWS", 2, False),
    }
    assert requirement.history.first().history_user == em.user


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"customer_time_zone": "Mars/Olympus_Mons"}, "customer_time_zone", "invalid"),
        ({"customer_time_zone": "EST5EDTX"}, "customer_time_zone", "invalid"),
        ({"hours_per_week": "0"}, "hours_per_week", "range"),
        ({"hours_per_week": "81"}, "hours_per_week", "range"),
        ({"hours_per_week": "abc"}, "hours_per_week", "invalid"),
        ({"hours_per_week": "NaN"}, "hours_per_week", "invalid"),
        ({"overlap_hours": "8.5"}, "overlap_hours", "range"),
        ({"end_date": dt.date(2027, 2, 1)}, "end_date", "order"),
        ({"end_date": dt.date(2030, 1, 1)}, "end_date", "too_long"),
        ({"start_date": None}, "start_date", "required"),
        ({"delivery_role": Role.ENGAGEMENT_MANAGER}, "delivery_role", "invalid_choice"),
        ({"languages": "English, 42"}, "languages", "invalid"),
        ({"languages": ["English", "<script>"]}, "languages", "invalid"),
        ({"required_skills": {999999: 3}}, "required_skills", "unknown_skill"),
        ({"title": "x" * 121}, "title", "max_length"),
    ],
)
def test_requirement_bad_input_is_refused_per_field(em, draft, overrides, field, code):
    with pytest.raises(ValidationError) as exc:
        services.staffing_requirement_create(actor=em.user, sow=draft.sow, **requirement_args(**overrides))
    assert [e.code for e in exc.value.error_dict[field]] == [code]
    assert not StaffingRequirement.objects.exists()


def test_requirement_skill_levels_and_double_listing_refused(em, draft):
    skill = SkillFactory(name="Kubernetes")
    for required, nice, field, code in [
        ({skill.pk: 6}, {}, "required_skills", "level_range"),
        ({skill.pk: 0}, {}, "required_skills", "level_range"),
        ({}, {skill.pk: 9}, "nice_skills", "level_range"),
        ({skill.pk: 3}, {skill.pk: 2}, "nice_skills", "both"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.staffing_requirement_create(
                actor=em.user, sow=draft.sow, **requirement_args(required_skills=required, nice_skills=nice)
            )
        assert [e.code for e in exc.value.error_dict[field]] == [code]
    assert not RequirementSkill.objects.exists()


@pytest.mark.parametrize("who", ["leadership", "director", "other_em"])
def test_requirement_create_refused_for_roles_without_edit(who, draft, leadership, director, other_em):
    actor = {"leadership": leadership, "director": director, "other_em": other_em}[who]
    with pytest.raises(PermissionDenied):
        services.staffing_requirement_create(actor=actor.user, sow=draft.sow, **requirement_args())


def test_em_manager_and_psops_may_create(em_manager, psops, draft):
    services.staffing_requirement_create(actor=em_manager.user, sow=draft.sow, **requirement_args())
    services.staffing_requirement_create(actor=psops.user, sow=draft.sow, **requirement_args())
    assert StaffingRequirement.objects.count() == 2


def test_update_with_stale_version_is_refused(em, requirement):
    args = requirement_args(start_date=requirement.start_date, end_date=requirement.end_date)
    services.staffing_requirement_update(actor=em.user, requirement=requirement, expected_version=1, **args)
    with pytest.raises(Conflict):
        services.staffing_requirement_update(
            actor=em.user, requirement=requirement, expected_version=1, **{**args, "hours_per_week": "10"}
        )
    requirement.refresh_from_db()
    assert requirement.version == 2 and requirement.hours_per_week == D("24")


def test_update_refused_when_assignments_fall_outside_new_dates(em, requirement, engineer):
    AssignmentFactory(requirement=requirement, person=engineer)
    with pytest.raises(ValidationError) as exc:
        services.staffing_requirement_update(
            actor=em.user,
            requirement=requirement,
            expected_version=1,
            **requirement_args(start_date=dt.date(2027, 4, 12), end_date=dt.date(2027, 4, 30)),
        )
    assert exc.value.error_dict["start_date"][0].code == "assignments_outside"


def test_requirements_frozen_after_hand_off(em, psops, director, draft):
    requirement = StaffingRequirementFactory(sow=draft.sow)
    take_to(draft, "handed_off", em=em, director=director)
    for actor in (em, psops):
        with pytest.raises(ValidationError) as exc:
            services.staffing_requirement_create(actor=actor.user, sow=draft.sow, **requirement_args())
        assert exc.value.code == "handed_off"
        with pytest.raises(ValidationError):
            services.staffing_requirement_delete(actor=actor.user, requirement=requirement)


def test_requirements_closed_when_withdrawn(em, draft):
    sow_services.sow_withdraw(
        actor=em.user, version=draft, expected_version=draft.version, reason="Customer went elsewhere"
    )
    with pytest.raises(ValidationError) as exc:
        services.staffing_requirement_create(actor=em.user, sow=draft.sow, **requirement_args())
    assert exc.value.code == "withdrawn"


def test_delete_refused_while_someone_is_on_it(em, requirement, engineer):
    assignment = AssignmentFactory(requirement=requirement, person=engineer, status=AssignmentStatus.PROPOSED)
    with pytest.raises(ValidationError):
        services.staffing_requirement_delete(actor=em.user, requirement=requirement)
    services.assignment_cancel(actor=em.user, assignment=assignment)
    services.staffing_requirement_delete(actor=em.user, requirement=requirement)
    assert not StaffingRequirement.objects.exists()


# ---------------------------------------------------------------- proposing


def test_em_proposes_before_signature_with_the_requirements_terms(em, draft, engineer):
    requirement = StaffingRequirementFactory(sow=draft.sow)
    assignment = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    assert assignment.status == AssignmentStatus.PROPOSED
    assert (assignment.hours_per_week, assignment.start_date, assignment.end_date) == (
        requirement.hours_per_week,
        requirement.start_date,
        requirement.end_date,
    )
    assert assignment.proposed_by == em.user and assignment.proposed_at is not None


def test_propose_refuses_duplicates_dates_outside_and_non_delivery_people(em, requirement, engineer):
    services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    with pytest.raises(ValidationError) as exc:
        services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    assert exc.value.error_dict["person"][0].code == "duplicate"
    other = delivery_person("Other")
    with pytest.raises(ValidationError) as exc:
        services.assignment_propose(
            actor=em.user, requirement=requirement, person=other, start_date=dt.date(2027, 1, 1)
        )
    assert "start_date" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.assignment_propose(actor=em.user, requirement=requirement, person=other, hours_per_week="0")
    assert "hours_per_week" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.assignment_propose(actor=em.user, requirement=requirement, person=em)
    assert exc.value.error_dict["person"][0].code == "not_delivery"
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize("who", ["leadership", "director", "other_em"])
def test_propose_refused_for_roles_without_edit(who, requirement, engineer, leadership, director, other_em):
    actor = {"leadership": leadership, "director": director, "other_em": other_em}[who]
    with pytest.raises(PermissionDenied):
        services.assignment_propose(actor=actor.user, requirement=requirement, person=engineer)


# ---------------------------------------------------------------- confirming


def test_confirm_refused_before_signature(em, psops, draft, engineer):
    requirement = StaffingRequirementFactory(sow=draft.sow)
    assignment = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    with pytest.raises(ValidationError) as exc:
        services.assignment_confirm(actor=psops.user, assignment=assignment)
    assert exc.value.code == "not_signed"
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.PROPOSED


@pytest.mark.parametrize("who", ["em", "em_manager", "leadership", "director"])
def test_only_psops_confirm(who, requirement, engineer, em, em_manager, leadership, director):
    assignment = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    actor = {"em": em, "em_manager": em_manager, "leadership": leadership, "director": director}[who]
    with pytest.raises(PermissionDenied):
        services.assignment_confirm(actor=actor.user, assignment=assignment)


def test_confirm_on_signed_and_handed_off_sow(em, psops, admin_person, director, draft):
    requirement = StaffingRequirementFactory(sow=draft.sow)
    first = services.assignment_propose(actor=em.user, requirement=requirement, person=delivery_person("A"))
    version = take_to(draft, "signed", em=em, director=director)
    confirmed = services.assignment_confirm(actor=psops.user, assignment=first)
    assert confirmed.status == AssignmentStatus.CONFIRMED and confirmed.confirmed_by == psops.user
    assert confirmed.override_reason == ""
    sow_services.sow_hand_off(
        actor=em.user,
        version=version,
        expected_version=version.version,
        delivery_lead=delivery_person("Lead"),
        kickoff_date=dt.date(2027, 4, 5),
        staffing_confirmed=True,
    )
    second = services.assignment_staff(
        actor=admin_person.user, requirement=requirement, person=delivery_person("B")
    )
    assert second.status == AssignmentStatus.CONFIRMED


def test_over_allocation_refused_without_reason_then_allowed_and_recorded(em, psops, requirement, engineer):
    """Capacity 40; 30 h confirmed elsewhere in the week of 12 April only; this is 24 h a week."""
    other = StaffingRequirementFactory(sow=requirement.sow)
    AssignmentFactory(
        requirement=other,
        person=engineer,
        hours_per_week=D("30"),
        start_date=dt.date(2027, 4, 12),
        end_date=dt.date(2027, 4, 16),
    )
    assignment = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    with pytest.raises(ValidationError) as exc:
        services.assignment_confirm(actor=psops.user, assignment=assignment)
    error = exc.value.error_dict["override_reason"][0]
    assert error.code == "over_allocated"
    assert error.message == (
        "Confirming over-allocates Sam Taylor in 1 of 4 week(s) (week of 2027-04-12: 40 h capacity, "
        "30 h already confirmed + 24 h = 54 h). Give an override reason to confirm anyway."
    )
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.PROPOSED
    with pytest.raises(ValidationError):
        services.assignment_confirm(actor=psops.user, assignment=assignment, override_reason="   ")
    done = services.assignment_confirm(
        actor=psops.user, assignment=assignment, override_reason="Customer go-live; overtime agreed with Sam"
    )
    assert done.status == AssignmentStatus.CONFIRMED
    assert done.override_reason == "Customer go-live; overtime agreed with Sam"
    assert done.history.first().history_user == psops.user


def test_proposals_elsewhere_do_not_block_a_confirmation(em, psops, requirement, engineer):
    other = StaffingRequirementFactory(sow=requirement.sow)
    AssignmentFactory(
        requirement=other, person=engineer, status=AssignmentStatus.PROPOSED, hours_per_week=D("40")
    )
    assignment = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    assert services.assignment_confirm(actor=psops.user, assignment=assignment).status == "confirmed"


def test_exactly_full_capacity_is_not_over_allocation(em, psops, requirement, engineer):
    other = StaffingRequirementFactory(sow=requirement.sow)
    AssignmentFactory(requirement=other, person=engineer, hours_per_week=D("16"))
    assignment = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    assert services.assignment_confirm(actor=psops.user, assignment=assignment).override_reason == ""


def test_staff_in_one_step_is_all_or_nothing(psops, requirement, engineer):
    other = StaffingRequirementFactory(sow=requirement.sow)
    AssignmentFactory(requirement=other, person=engineer, hours_per_week=D("40"))
    with pytest.raises(ValidationError):
        services.assignment_staff(actor=psops.user, requirement=requirement, person=engineer)
    assert not Assignment.objects.filter(requirement=requirement).exists()
    done = services.assignment_staff(
        actor=psops.user, requirement=requirement, person=engineer, override_reason="Backfill for two weeks"
    )
    assert done.status == AssignmentStatus.CONFIRMED and done.override_reason == "Backfill for two weeks"


def test_confirm_twice_is_refused(psops, requirement, engineer):
    done = services.assignment_staff(actor=psops.user, requirement=requirement, person=engineer)
    with pytest.raises(ValidationError) as exc:
        services.assignment_confirm(actor=psops.user, assignment=done)
    assert exc.value.code == "bad_state"


# ---------------------------------------------------------------- cancelling


def test_cancel_rules(em, psops, requirement, engineer, leadership):
    proposal = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    with pytest.raises(PermissionDenied):
        services.assignment_cancel(actor=leadership.user, assignment=proposal)
    assert services.assignment_cancel(actor=em.user, assignment=proposal).status == AssignmentStatus.CANCELLED
    confirmed = services.assignment_staff(actor=psops.user, requirement=requirement, person=engineer)
    with pytest.raises(PermissionDenied):
        services.assignment_cancel(actor=em.user, assignment=confirmed, reason="x")
    with pytest.raises(ValidationError) as exc:
        services.assignment_cancel(actor=psops.user, assignment=confirmed)
    assert exc.value.error_dict["reason"][0].code == "required"
    done = services.assignment_cancel(actor=psops.user, assignment=confirmed, reason="Customer delayed start")
    assert (done.status, done.cancel_reason, done.cancelled_by) == (
        "cancelled",
        "Customer delayed start",
        psops.user,
    )
    with pytest.raises(ValidationError):
        services.assignment_cancel(actor=psops.user, assignment=done, reason="again")
