"""Assignments: people proposed for a staffing requirement while the deal is in the pipeline, and
confirmed by PS Operations once the SOW is signed (or handed off), with enough availability in every
week unless an override reason is given and recorded.

Each write locks what it is checked against (the requirement for a proposal, the person and the
assignment for a confirmation) and records one audit entry on the assignment, the override or
cancellation reason as its note.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import actions
from people.models import DELIVERY_ROLES, Person
from people.services import clean_hours
from staffing import access, matching
from staffing.models import (
    ACTIVE_ASSIGNMENT,
    Assignment,
    AssignmentStatus,
    StaffingRequirement,
)
from staffing.selectors import sow_stage
from staffing.services import notifications
from staffing.services.requirements import MAX_TEXT, collect_errors, lock_requirement


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
    errors, add = collect_errors()
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


def _duplicate(person: Person) -> ValidationError:
    return ValidationError(
        {"person": ValidationError(f"{person.name} is already on this requirement.", code="duplicate")}
    )


def _add(
    *,
    actor: User,
    requirement: StaffingRequirement,
    person: Person,
    hours_per_week: Any,
    start_date: dt.date | None,
    end_date: dt.date | None,
) -> Assignment:
    """Check and insert a proposal, checked against the requirement as it is now (locked, so its
    dates cannot change meanwhile); the caller writes the audit entry."""
    access.can_propose.require(actor, requirement.sow)
    locked = lock_requirement(requirement.pk)
    sow = locked.sow
    stage = sow_stage(sow)
    if stage.closed:
        raise ValidationError(f"{sow.reference} is withdrawn.", code="withdrawn")
    if stage.handed_off:
        access.can_staff_after_hand_off.require(actor)
    if not person.active or person.role not in {role.value for role in DELIVERY_ROLES}:
        raise ValidationError(
            {"person": ValidationError("Choose an active delivery person.", code="not_delivery")}
        )
    hours, start, end = _clean_assignment_terms(locked, hours_per_week, start_date, end_date)
    if Assignment.objects.filter(requirement=locked, person=person, status__in=ACTIVE_ASSIGNMENT).exists():
        raise _duplicate(person)
    assignment = Assignment(
        requirement=locked,
        person=person,
        hours_per_week=hours,
        start_date=start,
        end_date=end,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            actions.save(assignment, actor=actor, action="", audit=False)
    except IntegrityError:
        raise _duplicate(person) from None
    return assignment


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
    assignment = _add(
        actor=actor,
        requirement=requirement,
        person=person,
        hours_per_week=hours_per_week,
        start_date=start_date,
        end_date=end_date,
    )
    actions.record(
        actor=actor,
        action=f"proposed {person.name}",
        obj=assignment,
        changes=actions.diff(assignment, None),
    )
    notifications.tell_proposed(assignment, actor=actor)
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


def _confirm(
    *, actor: User, assignment: Assignment, override_reason: str
) -> tuple[Assignment, dict[str, Any]]:
    """Check and save proposed → confirmed; the row locked and its values before, for the caller's
    audit entry."""
    # Lock the person so two confirmations for the same person are checked one after the other.
    person = actions.lock(Person.objects.all(), pk=assignment.person_id)
    locked = actions.lock(Assignment.objects.select_related("requirement__sow"), pk=assignment.pk)
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
    before = actions.snapshot(locked)
    locked.status = AssignmentStatus.CONFIRMED
    locked.confirmed_by = actor
    locked.confirmed_at = timezone.now()
    locked.override_reason = override_reason if over else ""
    actions.save(locked, actor=actor, action="", audit=False)
    return locked, before


@transaction.atomic
def assignment_confirm(*, actor: User, assignment: Assignment, override_reason: str = "") -> Assignment:
    """Proposed → confirmed, by PS Operations, once the SOW is signed or handed off.

    Checks the person's capacity in every week of the assignment against their other confirmed work;
    over-allocation is refused unless an override reason is given, which is recorded.
    """
    access.can_confirm.require(actor)
    confirmed, before = _confirm(actor=actor, assignment=assignment, override_reason=override_reason)
    actions.record(
        actor=actor,
        action=f"confirmed {confirmed.person.name}",
        obj=confirmed,
        changes=actions.diff(confirmed, before),
        note=confirmed.override_reason,
    )
    notifications.tell_confirmed(confirmed, actor=actor)
    return confirmed


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
    (all or nothing), told as one confirmation listing what the assignment was made with."""
    access.can_confirm.require(actor)
    proposal = _add(
        actor=actor,
        requirement=requirement,
        person=person,
        hours_per_week=hours_per_week,
        start_date=start_date,
        end_date=end_date,
    )
    confirmed, _ = _confirm(actor=actor, assignment=proposal, override_reason=override_reason)
    actions.record(
        actor=actor,
        action=f"confirmed {person.name}",
        obj=confirmed,
        changes=actions.diff(confirmed, None),
        note=confirmed.override_reason,
    )
    notifications.tell_confirmed(confirmed, actor=actor)
    return confirmed


@transaction.atomic
def assignment_cancel(*, actor: User, assignment: Assignment, reason: str = "") -> Assignment:
    """Cancel a proposal (its proposers and PS Operations) or a confirmed assignment (PS Operations,
    with a reason)."""
    locked = actions.lock(Assignment.objects.select_related("requirement__sow", "person"), pk=assignment.pk)
    reason = (reason or "").strip()
    if locked.status == AssignmentStatus.CANCELLED:
        raise ValidationError("This assignment is already cancelled.", code="bad_state")
    access.require_may_cancel(actor, locked)
    if locked.status == AssignmentStatus.CONFIRMED and not reason:
        raise ValidationError(
            {"reason": ValidationError("Say why a confirmed assignment is cancelled.", code="required")}
        )
    if len(reason) > MAX_TEXT:
        raise ValidationError(
            {"reason": ValidationError(f"At most {MAX_TEXT} characters.", code="max_length")}
        )
    before = actions.snapshot(locked)
    locked.status = AssignmentStatus.CANCELLED
    locked.cancelled_by = actor
    locked.cancelled_at = timezone.now()
    locked.cancel_reason = reason
    return actions.save(locked, actor=actor, action="cancelled the assignment", before=before, note=reason)
