"""Staffing a SOW: its structured staffing requirements and the people assigned to them.

Who may do what is in staffing/access.py. Requirements change until the SOW is handed off;
assignments are confirmed by PS Operations once the SOW is signed (or handed off), with enough
availability in every week unless an override reason is given and recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import Conflict
from core.validators import SINGLE_LINE_MESSAGE, has_control_characters
from people.models import DELIVERY_ROLES, Person, Skill, time_zone_names
from people.services import clean_hours, clean_languages
from sow.models import Sow
from staffing import access, matching
from staffing.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    RequirementSkill,
    StaffingRequirement,
)
from staffing.selectors import sow_stage

MAX_PERIOD_DAYS = 731
MAX_TEXT = 4000

# --------------------------------------------------------------------------- requirements


def _errors() -> tuple[dict[str, list[ValidationError]], Any]:
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str | ValidationError, code: str = "invalid") -> None:
        if isinstance(message, ValidationError):
            errors.setdefault(field, []).extend(message.error_list)
        else:
            errors.setdefault(field, []).append(ValidationError(message, code=code))

    return errors, add


def _clean_requirement(
    *,
    title: str,
    delivery_role: str,
    hours_per_week: Any,
    start_date: Any,
    end_date: Any,
    customer_time_zone: str,
    overlap_hours: Any,
    languages: Iterable[str] | str | None,
    required_skills: Mapping[int, int],
    nice_skills: Mapping[int, int],
    notes: str,
) -> dict[str, Any]:
    errors, add = _errors()
    clean: dict[str, Any] = {}
    clean["title"] = " ".join((title or "").split())
    if has_control_characters(title or ""):
        add("title", SINGLE_LINE_MESSAGE, "control_characters")
    elif len(clean["title"]) > 120:
        add("title", "At most 120 characters.", "max_length")
    if delivery_role not in {role.value for role in DELIVERY_ROLES}:
        add("delivery_role", "Choose a delivery role.", "invalid_choice")
    clean["delivery_role"] = delivery_role
    try:
        clean["hours_per_week"] = clean_hours(
            hours_per_week,
            field_label="Hours per week",
            low=Decimal("0"),
            high=Decimal("80"),
            allow_low=False,
        )
    except ValidationError as exc:
        add("hours_per_week", exc)
    try:
        clean["overlap_hours"] = clean_hours(
            overlap_hours, field_label="Overlap", low=Decimal("0"), high=Decimal("8")
        )
    except ValidationError as exc:
        add("overlap_hours", exc)
    if not isinstance(start_date, dt.date):
        add("start_date", "Enter the start date.", "required")
    if not isinstance(end_date, dt.date):
        add("end_date", "Enter the end date.", "required")
    if isinstance(start_date, dt.date) and isinstance(end_date, dt.date):
        if end_date < start_date:
            add("end_date", "The end date is before the start date.", "order")
        elif (end_date - start_date).days > MAX_PERIOD_DAYS:
            add("end_date", "A requirement covers at most two years; split longer ones.", "too_long")
    clean["start_date"], clean["end_date"] = start_date, end_date
    clean["customer_time_zone"] = (customer_time_zone or "").strip()
    if clean["customer_time_zone"] not in time_zone_names():
        add(
            "customer_time_zone",
            f"“{clean['customer_time_zone'][:64]}” is not an IANA time zone (e.g. America/New_York).",
        )
    try:
        clean["languages"] = clean_languages(languages)
    except ValidationError as exc:
        add("languages", exc)
    clean["notes"] = (notes or "").strip()
    if len(clean["notes"]) > MAX_TEXT:
        add("notes", f"At most {MAX_TEXT} characters.", "max_length")
    known = set(Skill.objects.filter(pk__in=[*required_skills, *nice_skills]).values_list("pk", flat=True))
    for field, skills in (("required_skills", required_skills), ("nice_skills", nice_skills)):
        for skill_id, level in skills.items():
            if skill_id not in known:
                add(field, "Choose skills from the managed skill list.", "unknown_skill")
            elif not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
                add(field, "Skill levels go from 1 to 5.", "level_range")
    if set(required_skills) & set(nice_skills):
        add("nice_skills", "A skill is either required or nice to have, not both.", "both")
    clean["required_skills"], clean["nice_skills"] = dict(required_skills), dict(nice_skills)
    if errors:
        raise ValidationError(errors)
    return clean


def _check_requirements_editable(actor: User, sow: Sow) -> None:
    access.can_edit.require(actor, sow)
    stage = sow_stage(sow)
    if stage.handed_off:
        raise ValidationError(
            f"{sow.reference} is handed off to delivery; its staffing requirements are frozen.",
            code="handed_off",
        )
    if stage.closed:
        raise ValidationError(f"{sow.reference} is withdrawn.", code="withdrawn")


def _save_skills(actor: User, requirement: StaffingRequirement, clean: dict[str, Any]) -> None:
    wanted = {
        **{skill_id: (level, False) for skill_id, level in clean["nice_skills"].items()},
        **{skill_id: (level, True) for skill_id, level in clean["required_skills"].items()},
    }
    current = {row.skill_id: row for row in RequirementSkill.objects.filter(requirement=requirement)}
    for skill_id, row in current.items():
        row._history_user = actor  # type: ignore[attr-defined]
        if skill_id not in wanted:
            row.delete()
        elif (row.min_level, row.required) != wanted[skill_id]:
            row.min_level, row.required = wanted[skill_id]
            row.save(update_fields=["min_level", "required"])
    for skill_id, (level, required) in wanted.items():
        if skill_id not in current:
            row = RequirementSkill(
                requirement=requirement, skill_id=skill_id, min_level=level, required=required
            )
            row._history_user = actor  # type: ignore[attr-defined]
            row.save()


_REQUIREMENT_FIELDS = [
    "title",
    "delivery_role",
    "hours_per_week",
    "start_date",
    "end_date",
    "customer_time_zone",
    "overlap_hours",
    "languages",
    "notes",
]


@transaction.atomic
def staffing_requirement_create(
    *,
    actor: User,
    sow: Sow,
    delivery_role: str,
    hours_per_week: Any,
    start_date: Any,
    end_date: Any,
    customer_time_zone: str,
    overlap_hours: Any = Decimal("0"),
    languages: Iterable[str] | str | None = None,
    required_skills: Mapping[int, int] | None = None,
    nice_skills: Mapping[int, int] | None = None,
    title: str = "",
    notes: str = "",
) -> StaffingRequirement:
    """Add a structured staffing requirement to a SOW that is not handed off or withdrawn."""
    _check_requirements_editable(actor, sow)
    clean = _clean_requirement(
        title=title,
        delivery_role=delivery_role,
        hours_per_week=hours_per_week,
        start_date=start_date,
        end_date=end_date,
        customer_time_zone=customer_time_zone,
        overlap_hours=overlap_hours,
        languages=languages,
        required_skills=required_skills or {},
        nice_skills=nice_skills or {},
        notes=notes,
    )
    requirement = StaffingRequirement(sow=sow, created_by=actor, **{f: clean[f] for f in _REQUIREMENT_FIELDS})
    requirement._history_user = actor  # type: ignore[attr-defined]
    requirement.save()
    _save_skills(actor, requirement, clean)
    return requirement


@transaction.atomic
def staffing_requirement_update(
    *,
    actor: User,
    requirement: StaffingRequirement,
    expected_version: int,
    delivery_role: str,
    hours_per_week: Any,
    start_date: Any,
    end_date: Any,
    customer_time_zone: str,
    overlap_hours: Any,
    languages: Iterable[str] | str | None,
    required_skills: Mapping[int, int],
    nice_skills: Mapping[int, int],
    title: str = "",
    notes: str = "",
) -> StaffingRequirement:
    """Change a requirement; refused when someone else changed it first (version check) or when
    active assignments would fall outside the new dates."""
    _check_requirements_editable(actor, requirement.sow)
    clean = _clean_requirement(
        title=title,
        delivery_role=delivery_role,
        hours_per_week=hours_per_week,
        start_date=start_date,
        end_date=end_date,
        customer_time_zone=customer_time_zone,
        overlap_hours=overlap_hours,
        languages=languages,
        required_skills=required_skills,
        nice_skills=nice_skills,
        notes=notes,
    )
    outside = (
        Assignment.objects.filter(requirement=requirement, status__in=ACTIVE_ASSIGNMENT)
        .exclude(start_date__gte=clean["start_date"], end_date__lte=clean["end_date"])
        .count()
    )
    if outside:
        raise ValidationError(
            {
                "start_date": ValidationError(
                    f"{outside} active assignment(s) fall outside these dates; cancel them first.",
                    code="assignments_outside",
                )
            }
        )
    if not StaffingRequirement.objects.filter(pk=requirement.pk, version=expected_version).update(
        version=F("version") + 1
    ):
        raise Conflict(
            "Someone else changed this requirement while you were editing. Nothing was saved; reload."
        )
    fresh = StaffingRequirement.objects.select_related("sow").get(pk=requirement.pk)
    for name in _REQUIREMENT_FIELDS:
        setattr(fresh, name, clean[name])
    fresh._history_user = actor  # type: ignore[attr-defined]
    fresh.save()
    _save_skills(actor, fresh, clean)
    return fresh


@transaction.atomic
def staffing_requirement_delete(*, actor: User, requirement: StaffingRequirement) -> None:
    """Remove a requirement that nobody is proposed or confirmed on."""
    _check_requirements_editable(actor, requirement.sow)
    if Assignment.objects.filter(requirement=requirement, status__in=ACTIVE_ASSIGNMENT).exists():
        raise ValidationError(
            "Cancel its assignments before removing this requirement.", code="has_assignments"
        )
    requirement._history_user = actor  # type: ignore[attr-defined]
    requirement.delete()


# --------------------------------------------------------------------------- assignments


def _bookings(
    person: Person, start: dt.date, end: dt.date, *, exclude_pk: int | None
) -> list[matching.Booking]:
    rows = Assignment.objects.filter(
        person=person, status__in=ACTIVE_ASSIGNMENT, start_date__lte=end, end_date__gte=start
    )
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return [
        matching.Booking(a.start_date, a.end_date, a.hours_per_week, a.status == AssignmentStatus.CONFIRMED)
        for a in rows
    ]


def over_allocation(assignment: Assignment) -> list[matching.WeekLoad]:
    """Weeks in which the person's other confirmed work plus this assignment exceeds their capacity."""
    return matching.over_allocated_weeks(
        assignment.person.weekly_capacity_hours,
        _bookings(assignment.person, assignment.start_date, assignment.end_date, exclude_pk=assignment.pk),
        assignment.start_date,
        assignment.end_date,
        assignment.hours_per_week,
    )


def _clean_assignment_terms(
    requirement: StaffingRequirement, hours_per_week: Any, start_date: Any, end_date: Any
) -> tuple[Decimal, dt.date, dt.date]:
    errors, add = _errors()
    hours = requirement.hours_per_week
    if hours_per_week not in (None, ""):
        try:
            hours = clean_hours(
                hours_per_week,
                field_label="Hours per week",
                low=Decimal("0"),
                high=Decimal("80"),
                allow_low=False,
            )
        except ValidationError as exc:
            add("hours_per_week", exc)
    start = start_date or requirement.start_date
    end = end_date or requirement.end_date
    if not isinstance(start, dt.date):
        add("start_date", "Enter a date.")
    elif not requirement.start_date <= start <= requirement.end_date:
        add(
            "start_date",
            f"Within the requirement's dates ({requirement.start_date} to {requirement.end_date}).",
        )
    if not isinstance(end, dt.date):
        add("end_date", "Enter a date.")
    elif not requirement.start_date <= end <= requirement.end_date:
        add(
            "end_date",
            f"Within the requirement's dates ({requirement.start_date} to {requirement.end_date}).",
        )
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        add("end_date", "The end date is before the start date.", "order")
    if errors:
        raise ValidationError(errors)
    return hours, start, end


@transaction.atomic
def assignment_propose(
    *,
    actor: User,
    requirement: StaffingRequirement,
    person: Person,
    hours_per_week: Any = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
) -> Assignment:
    """Propose a person for a requirement (pipeline); hours and dates default to the requirement's."""
    sow = requirement.sow
    if not access.can_edit(actor, sow):
        raise PermissionDenied(
            "Only the SOW's EM, their manager, PS Operations or an administrator may propose."
        )
    stage = sow_stage(sow)
    if stage.closed:
        raise ValidationError(f"{sow.reference} is withdrawn.", code="withdrawn")
    if stage.handed_off and not access.can_manage(actor):
        raise PermissionDenied("After hand-off, PS Operations staff the engagement.")
    if not person.active or person.role not in {role.value for role in DELIVERY_ROLES}:
        raise ValidationError(
            {"person": ValidationError("Choose an active delivery person.", code="not_delivery")}
        )
    hours, start, end = _clean_assignment_terms(requirement, hours_per_week, start_date, end_date)
    if Assignment.objects.filter(
        requirement=requirement, person=person, status__in=ACTIVE_ASSIGNMENT
    ).exists():
        raise ValidationError(
            {"person": ValidationError(f"{person.name} is already on this requirement.", code="duplicate")}
        )
    assignment = Assignment(
        requirement=requirement,
        person=person,
        hours_per_week=hours,
        start_date=start,
        end_date=end,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    assignment._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise ValidationError(
            {"person": ValidationError(f"{person.name} is already on this requirement.", code="duplicate")}
        ) from None
    return assignment


def _over_allocation_message(
    person: Person, weeks: list[matching.WeekLoad], hours: Decimal, total: int
) -> str:
    first = weeks[0]
    return (
        f"Confirming over-allocates {person.name} in {len(weeks)} of {total} week(s) "
        f"(week of {first.week:%Y-%m-%d}: {matching.hours_text(first.capacity)} h capacity, "
        f"{matching.hours_text(first.confirmed)} h already confirmed + {matching.hours_text(hours)} h = "
        f"{matching.hours_text(first.confirmed + hours)} h). Give an override reason to confirm anyway."
    )


@transaction.atomic
def assignment_confirm(*, actor: User, assignment: Assignment, override_reason: str = "") -> Assignment:
    """Proposed → confirmed, by PS Operations, once the SOW is signed or handed off.

    Checks the person's capacity in every week of the assignment against their other confirmed work;
    over-allocation is refused unless an override reason is given, which is recorded.
    """
    if not access.can_manage(actor):
        raise PermissionDenied("Only PS Operations confirm assignments.")
    # Lock the person so two confirmations for the same person are checked one after the other.
    person = Person.objects.select_for_update().get(pk=assignment.person_id)
    locked = Assignment.objects.select_for_update().select_related("requirement__sow").get(pk=assignment.pk)
    locked.person = person
    if locked.status != AssignmentStatus.PROPOSED:
        raise ValidationError(
            f"This assignment is {locked.get_status_display().lower()}; only proposed ones can be confirmed.",
            code="bad_state",
        )
    sow = locked.requirement.sow
    if not sow_stage(sow).signed:
        raise ValidationError(
            f"{sow.reference} is not signed yet; assignments are confirmed after signature.",
            code="not_signed",
        )
    if not person.active:
        raise ValidationError(f"{person.name} is no longer active.", code="inactive")
    override_reason = (override_reason or "").strip()
    if len(override_reason) > MAX_TEXT:
        raise ValidationError(
            {"override_reason": ValidationError(f"At most {MAX_TEXT} characters.", code="max_length")}
        )
    over = over_allocation(locked)
    if over and not override_reason:
        total = len(matching.weeks_between(locked.start_date, locked.end_date))
        raise ValidationError(
            {
                "override_reason": ValidationError(
                    _over_allocation_message(person, over, locked.hours_per_week, total),
                    code="over_allocated",
                )
            }
        )
    locked.status = AssignmentStatus.CONFIRMED
    locked.confirmed_by = actor
    locked.confirmed_at = timezone.now()
    locked.override_reason = override_reason if over else ""
    locked._history_user = actor  # type: ignore[attr-defined]
    locked.save()
    return locked


@transaction.atomic
def assignment_staff(
    *,
    actor: User,
    requirement: StaffingRequirement,
    person: Person,
    hours_per_week: Any = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    override_reason: str = "",
) -> Assignment:
    """PS Operations put a person straight on a signed SOW: propose and confirm in one step
    (all or nothing)."""
    if not access.can_manage(actor):
        raise PermissionDenied("Only PS Operations confirm assignments.")
    assignment = assignment_propose(
        actor=actor,
        requirement=requirement,
        person=person,
        hours_per_week=hours_per_week,
        start_date=start_date,
        end_date=end_date,
    )
    return assignment_confirm(actor=actor, assignment=assignment, override_reason=override_reason)


@transaction.atomic
def assignment_cancel(*, actor: User, assignment: Assignment, reason: str = "") -> Assignment:
    """Cancel a proposal (its proposers and PS Operations) or a confirmed assignment (PS Operations,
    with a reason)."""
    locked = Assignment.objects.select_for_update().select_related("requirement__sow").get(pk=assignment.pk)
    sow = locked.requirement.sow
    reason = (reason or "").strip()
    if locked.status == AssignmentStatus.CANCELLED:
        raise ValidationError("This assignment is already cancelled.", code="bad_state")
    if locked.status == AssignmentStatus.CONFIRMED:
        if not access.can_manage(actor):
            raise PermissionDenied("Only PS Operations cancel confirmed assignments.")
        if not reason:
            raise ValidationError(
                {"reason": ValidationError("Say why a confirmed assignment is cancelled.", code="required")}
            )
    else:
        access.can_edit.require(actor, sow)
    if len(reason) > MAX_TEXT:
        raise ValidationError(
            {"reason": ValidationError(f"At most {MAX_TEXT} characters.", code="max_length")}
        )
    locked.status = AssignmentStatus.CANCELLED
    locked.cancelled_by = actor
    locked.cancelled_at = timezone.now()
    locked.cancel_reason = reason
    locked._history_user = actor  # type: ignore[attr-defined]
    locked.save()
    return locked
