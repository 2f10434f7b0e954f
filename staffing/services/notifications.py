"""The person booked hears of it, told through the one notification service: when proposed for a
staffing requirement and when the assignment is confirmed (email only if they have no login)."""

from __future__ import annotations

from django.contrib.auth.models import User

from notifications.models import Kind
from notifications.services import notify
from staffing import matching
from staffing.models import Assignment


def _terms(assignment: Assignment) -> str:
    requirement = assignment.requirement
    sow = requirement.sow
    what = requirement.title or requirement.get_delivery_role_display()
    return (
        f"{what} on {sow.reference} {sow.title}: {matching.hours_text(assignment.hours_per_week)} h a week, "
        f"{assignment.start_date:%d %b %Y} – {assignment.end_date:%d %b %Y}."
    )


def tell_proposed(assignment: Assignment, *, actor: User) -> None:
    notify(
        recipients=[assignment.person],
        kind=Kind.STAFFING_PROPOSED,
        title=f"Proposed for {assignment.requirement.sow.reference} {assignment.requirement.sow.title}",
        body=f"You were proposed as {_terms(assignment)} It is not confirmed yet.",
        link=assignment.get_absolute_url(),
        event_key=f"staffing_proposed:assignment:{assignment.pk}",
        actor=actor,
    )


def tell_confirmed(assignment: Assignment, *, actor: User) -> None:
    notify(
        recipients=[assignment.person],
        kind=Kind.STAFFING_CONFIRMED,
        title=f"Confirmed on {assignment.requirement.sow.reference} {assignment.requirement.sow.title}",
        body=f"Your assignment is confirmed: {_terms(assignment)}",
        link=assignment.get_absolute_url(),
        event_key=f"staffing_confirmed:assignment:{assignment.pk}",
        actor=actor,
    )
