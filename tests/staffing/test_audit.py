"""Each staffing write leaves one audit entry, in the same transaction, naming who did it, what they
did and each change in words (the override or cancellation reason as its note); a refused write
leaves none."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import Conflict
from core.models import AuditEntry
from core.roles import Role
from staffing import services
from staffing.models import Assignment, AssignmentStatus, RequirementSkill, StaffingRequirement
from tests.people.factories import SkillFactory, delivery_person
from tests.staffing.factories import AssignmentFactory, StaffingRequirementFactory, requirement_skill

pytestmark = pytest.mark.django_db
D = Decimal


def entries(obj):
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        ).order_by("at", "pk")
    )


def the_one_entry(obj, since=0):
    """The single entry written about `obj` after the first `since` ones."""
    new = entries(obj)[since:]
    assert len(new) == 1, [entry.action for entry in new]
    return new[0]


def change(entry, field):
    lines = [(line["before"], line["after"]) for line in entry.changes if line["field"] == field]
    assert len(lines) == 1, entry.changes
    return lines[0]


def requirement_args(**overrides):
    args = {
        "delivery_role": Role.PS_ENGINEER,
        "hours_per_week": "24",
        "start_date": dt.date(2027, 4, 5),
        "end_date": dt.date(2027, 4, 30),
        "customer_time_zone": "America/New_York",
        "overlap_hours": "4",
        "languages": "english, German",
        "required_skills": {},
        "nice_skills": {},
        "title": "Lead engineer",
    }
    return {**args, **overrides}


@pytest.fixture
def requirement(signed):
    return StaffingRequirementFactory(sow=signed.sow, title="Lead engineer", hours_per_week=D("24"))


@pytest.fixture
def engineer(db):
    return delivery_person("Sam Taylor", skills={"Kubernetes": 4})


def busy_elsewhere(requirement, person):
    """30 h confirmed on another requirement in one week of `requirement`: 24 h more over-allocates."""
    AssignmentFactory(
        requirement=StaffingRequirementFactory(sow=requirement.sow),
        person=person,
        hours_per_week=D("30"),
        start_date=dt.date(2027, 4, 12),
        end_date=dt.date(2027, 4, 16),
    )


# --------------------------------------------------------------------------- requirements


def test_adding_a_requirement_is_recorded_with_what_it_asks_for_its_skills_included(em, draft):
    kubernetes, aws = SkillFactory(name="Kubernetes"), SkillFactory(name="AWS")
    requirement = services.staffing_requirement_create(
        actor=em.user,
        sow=draft.sow,
        **requirement_args(required_skills={kubernetes.pk: 3}, nice_skills={aws.pk: 2}),
    )
    entry = the_one_entry(requirement)
    assert (entry.actor, entry.action, entry.object_url) == (
        em.user,
        "added a staffing requirement",
        requirement.get_absolute_url(),
    )
    assert change(entry, "title") == ("", "Lead engineer")
    assert change(entry, "delivery role") == ("", "PS Engineer")
    assert change(entry, "hours per week") == ("", "24.00")
    assert change(entry, "languages") == ("", "English, German")
    assert change(entry, "skills") == ("", "Kubernetes ≥ 3, AWS ≥ 2 (nice to have)")
    assert {row.history.get().history_user for row in RequirementSkill.objects.all()} == {em.user}


def test_changing_a_requirement_records_each_changed_field_and_its_skills_in_words(em, requirement):
    requirement_skill(requirement, "Kubernetes", 3)
    helm = SkillFactory(name="Helm")
    kubernetes = RequirementSkill.objects.get().skill
    services.staffing_requirement_update(
        actor=em.user,
        requirement=requirement,
        expected_version=requirement.version,
        **requirement_args(
            hours_per_week="10",
            customer_time_zone="Europe/Berlin",
            languages="English",
            required_skills={kubernetes.pk: 4},
            nice_skills={helm.pk: 2},
        ),
    )
    entry = the_one_entry(requirement)
    assert (entry.actor, entry.action, entry.note) == (em.user, "changed the staffing requirement", "")
    assert change(entry, "hours per week") == ("24.00", "10.00")
    assert change(entry, "skills") == ("Kubernetes ≥ 3", "Kubernetes ≥ 4, Helm ≥ 2 (nice to have)")
    # Fields given as they were (and the version counter) make no line.
    assert {line["field"] for line in entry.changes} == {"hours per week", "skills"}
    assert requirement.history.latest().history_user == em.user
    assert RequirementSkill.objects.get(skill=kubernetes).history.latest().history_user == em.user


def test_a_stale_or_refused_requirement_change_records_nothing(em, leadership, requirement):
    args = requirement_args(hours_per_week="10")
    services.staffing_requirement_update(actor=em.user, requirement=requirement, expected_version=1, **args)
    count = len(entries(requirement))
    with pytest.raises(Conflict):
        services.staffing_requirement_update(
            actor=em.user, requirement=requirement, expected_version=1, **{**args, "hours_per_week": "12"}
        )
    with pytest.raises(PermissionDenied):
        services.staffing_requirement_update(
            actor=leadership.user, requirement=requirement, expected_version=2, **args
        )
    with pytest.raises(ValidationError):
        services.staffing_requirement_update(
            actor=em.user, requirement=requirement, expected_version=2, **{**args, "hours_per_week": "0"}
        )
    assert len(entries(requirement)) == count
    assert StaffingRequirement.objects.get(pk=requirement.pk).version == 2


def test_changing_a_requirement_removed_meanwhile_is_a_conflict_not_an_error(em, requirement):
    seen = StaffingRequirement.objects.get(pk=requirement.pk)
    services.staffing_requirement_delete(actor=em.user, requirement=requirement)
    with pytest.raises(Conflict) as exc:
        services.staffing_requirement_update(
            actor=em.user, requirement=seen, expected_version=seen.version, **requirement_args()
        )
    assert exc.value.message == services.requirements.REMOVED_REQUIREMENT


def test_removing_a_requirement_is_recorded_under_its_name_with_its_cancelled_assignments(
    em, requirement, engineer
):
    cancelled = AssignmentFactory(requirement=requirement, person=engineer, status=AssignmentStatus.CANCELLED)
    label, pk = requirement.label, requirement.pk
    services.staffing_requirement_delete(actor=em.user, requirement=requirement)
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(StaffingRequirement), object_id=str(pk)
    )
    assert (entry.actor, entry.action, entry.object_label) == (
        em.user,
        "removed a staffing requirement",
        label,
    )
    assert not Assignment.objects.filter(pk=cancelled.pk).exists()
    assert Assignment.history.filter(id=cancelled.pk, history_type="-").get().history_user == em.user


# --------------------------------------------------------------------------- assignments


def test_proposing_records_the_person_and_terms_linking_to_the_assignment(em, requirement, engineer):
    assignment = services.assignment_propose(
        actor=em.user, requirement=requirement, person=engineer, hours_per_week="16"
    )
    entry = the_one_entry(assignment)
    assert (entry.actor, entry.action) == (em.user, "proposed Sam Taylor")
    assert entry.object_url == f"{requirement.get_absolute_url()}#assignment-{assignment.pk}"
    assert change(entry, "person") == ("", "Sam Taylor")
    assert change(entry, "status") == ("", "Proposed")
    assert change(entry, "hours per week") == ("", "16.00")
    assert change(entry, "start date") == ("", "2027-04-05")
    assert assignment.history.get().history_user == em.user


def test_confirming_over_capacity_records_the_override_reason_as_the_note(em, psops, requirement, engineer):
    busy_elsewhere(requirement, engineer)
    proposal = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    with pytest.raises(ValidationError):
        services.assignment_confirm(actor=psops.user, assignment=proposal)
    assert len(entries(proposal)) == 1
    services.assignment_confirm(
        actor=psops.user, assignment=proposal, override_reason="Go-live; overtime agreed"
    )
    entry = the_one_entry(proposal, since=1)
    assert (entry.actor, entry.action, entry.note) == (
        psops.user,
        "confirmed Sam Taylor",
        "Go-live; overtime agreed",
    )
    assert change(entry, "status") == ("Proposed", "Confirmed")
    assert change(entry, "override reason") == ("—", "Go-live; overtime agreed")
    assert Assignment.objects.get(pk=proposal.pk).history.latest().history_user == psops.user


def test_a_confirmation_within_capacity_has_no_note(em, psops, requirement, engineer):
    proposal = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    services.assignment_confirm(actor=psops.user, assignment=proposal, override_reason="Not needed")
    entry = the_one_entry(proposal, since=1)
    assert (entry.action, entry.note) == ("confirmed Sam Taylor", "")
    assert not [line for line in entry.changes if line["field"] == "override reason"]


def test_staffing_in_one_step_is_one_confirmation_listing_what_it_was_made_with(psops, requirement, engineer):
    busy_elsewhere(requirement, engineer)
    assignment = services.assignment_staff(
        actor=psops.user, requirement=requirement, person=engineer, override_reason="Backfill"
    )
    entry = the_one_entry(assignment)
    assert (entry.actor, entry.action, entry.note) == (psops.user, "confirmed Sam Taylor", "Backfill")
    assert change(entry, "status") == ("", "Confirmed")
    assert change(entry, "person") == ("", "Sam Taylor")
    assert change(entry, "override reason") == ("", "Backfill")


def test_a_refused_confirmation_records_nothing(em, requirement, engineer):
    proposal = services.assignment_propose(actor=em.user, requirement=requirement, person=engineer)
    with pytest.raises(PermissionDenied):
        services.assignment_confirm(actor=em.user, assignment=proposal)
    with pytest.raises(PermissionDenied):
        services.assignment_staff(actor=em.user, requirement=requirement, person=delivery_person("B"))
    assert len(entries(proposal)) == 1
    assert Assignment.objects.count() == 1


def test_cancelling_records_the_reason_as_the_note(psops, requirement, engineer):
    confirmed = AssignmentFactory(requirement=requirement, person=engineer)
    services.assignment_cancel(actor=psops.user, assignment=confirmed, reason="Customer delayed the start")
    entry = the_one_entry(confirmed)
    assert (entry.actor, entry.action, entry.note) == (
        psops.user,
        "cancelled the assignment",
        "Customer delayed the start",
    )
    assert change(entry, "status") == ("Confirmed", "Cancelled")
    assert change(entry, "cancel reason") == ("—", "Customer delayed the start")


def test_a_refused_cancellation_records_nothing(em, psops, requirement, engineer):
    confirmed = AssignmentFactory(requirement=requirement, person=engineer)
    with pytest.raises(PermissionDenied):
        services.assignment_cancel(actor=em.user, assignment=confirmed, reason="x")
    with pytest.raises(ValidationError):
        services.assignment_cancel(actor=psops.user, assignment=confirmed, reason="  ")
    assert entries(confirmed) == []


# --------------------------------------------------------------------------- the requirement as it is now


def test_a_proposal_takes_the_requirement_as_it_is_now_not_as_the_page_saw_it(em, requirement, engineer):
    """The page loaded the requirement for 5–30 April; someone narrowed it to 19–30 April since."""
    seen = StaffingRequirement.objects.get(pk=requirement.pk)
    services.staffing_requirement_update(
        actor=em.user,
        requirement=requirement,
        expected_version=requirement.version,
        **requirement_args(start_date=dt.date(2027, 4, 19)),
    )
    assignment = services.assignment_propose(actor=em.user, requirement=seen, person=engineer)
    assert (assignment.start_date, assignment.hours_per_week) == (dt.date(2027, 4, 19), D("24.00"))
    with pytest.raises(ValidationError) as exc:
        services.assignment_propose(
            actor=em.user, requirement=seen, person=delivery_person("B"), start_date=dt.date(2027, 4, 5)
        )
    assert "start_date" in exc.value.error_dict


def test_proposing_on_a_requirement_removed_meanwhile_is_refused_with_a_message(em, requirement, engineer):
    seen = StaffingRequirement.objects.get(pk=requirement.pk)
    services.staffing_requirement_delete(actor=em.user, requirement=requirement)
    with pytest.raises(ValidationError) as exc:
        services.assignment_propose(actor=em.user, requirement=seen, person=engineer)
    assert exc.value.code == "removed"
    assert not Assignment.objects.exists()
