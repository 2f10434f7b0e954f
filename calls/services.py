"""Writes for forecast calls: submitting and revising a call, and the weekly reminders.

Every rule lives here: only the person submits their own call (a manager's own call is their team
call); numbers are Decimal in the corporate currency, Best case at least Commit; a note (at most
1,000 characters) is required when the call differs from what the form was prefilled with; a call
after the week's deadline is marked late; only this week's calls can be made or revised (a past
week is frozen); two revisions from the same starting version: the second is refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calls import access, selectors
from calls.models import CallReminder, ForecastCall, ForecastCallRevision, Level
from core import actions
from core.exceptions import Conflict
from core.fiscal import FiscalQuarter
from core.mail import send_notification
from core.money import quantize_cents
from core.types import AnyUser
from people.models import Person

NOTE_MAX_LENGTH = 1000
MAX_AMOUNT = Decimal("999999999999.99")
STALE = (
    "This call was revised by another submission since you opened the page; nothing was saved. "
    "Reload the page to see the call as it is now."
)


def _amount(value: object, field: str, errors: dict[str, list[ValidationError]]) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(ValidationError("Enter a number.", code="invalid"))
        return None
    if not amount.is_finite():
        errors.setdefault(field, []).append(ValidationError("Enter a number.", code="invalid"))
        return None
    if amount < 0:
        errors.setdefault(field, []).append(ValidationError("A call cannot be negative.", code="negative"))
        return None
    if amount > MAX_AMOUNT:
        errors.setdefault(field, []).append(ValidationError("That amount is too large.", code="too_large"))
        return None
    if amount != quantize_cents(amount):
        errors.setdefault(field, []).append(
            ValidationError("Use at most two decimal places.", code="decimal_places")
        )
        return None
    return amount


def call_defaults(
    *, person: Person, quarter: FiscalQuarter, week: dt.date, rollup: selectors.Rollup | None = None
) -> selectors.CallLine:
    """The person's line this week: level, system numbers and the numbers the form starts from."""
    rollup = rollup or selectors.rollup(quarter, week)
    try:
        return rollup.line(person.pk)
    except StopIteration:
        raise ValidationError(
            f"{person} is not in the forecast hierarchy (Engagement Managers and the people above them).",
            code="not_in_hierarchy",
        ) from None


@transaction.atomic
def call_submit(
    *,
    actor: AnyUser,
    person: Person,
    quarter: FiscalQuarter,
    commit: object,
    best_case: object,
    note: str = "",
    expected_version: int = 0,
    week: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ForecastCall:
    """Submit (expected_version 0) or revise (the version the user saw) `person`'s call for
    `quarter` this week. Field errors come as a ValidationError keyed by field."""
    access.can_submit_call.require(actor, person)
    now = now or timezone.now()
    this_week = selectors.current_week(now)
    if week is not None and week != this_week:
        raise ValidationError(
            f"The week of {week:%Y-%m-%d} is closed: its calls are kept as they were submitted. "
            f"Calls can be made for this week (of {this_week:%Y-%m-%d}) only.",
            code="frozen",
        )
    if quarter not in selectors.quarters_open(now):
        message = "Calls are made for the current quarter or the next."
        raise ValidationError({"quarter": [ValidationError(message, code="quarter")]})
    errors: dict[str, list[ValidationError]] = {}
    commit_amount = _amount(commit, "commit", errors)
    best_amount = _amount(best_case, "best_case", errors)
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        errors.setdefault("note", []).append(
            ValidationError(
                f"Keep the note to {NOTE_MAX_LENGTH:,} characters (it has {len(note):,}).", code="max_length"
            )
        )
    if commit_amount is not None and best_amount is not None and best_amount < commit_amount:
        errors.setdefault("best_case", []).append(
            ValidationError("Best case cannot be below Commit.", code="below_commit")
        )
    if errors:
        raise ValidationError(errors)
    assert commit_amount is not None and best_amount is not None
    # One submission per person at a time: the first call of a week has no row to claim yet.
    actions.lock(Person.objects.all(), pk=person.pk)
    line = call_defaults(person=person, quarter=quarter, week=this_week)
    default_commit = line.below_commit if line.below_commit is not None else Decimal("0")
    default_best = line.below_best_case if line.below_best_case is not None else Decimal("0")
    if (commit_amount != default_commit or best_amount != default_best) and not note:
        what = "your system numbers" if line.level == Level.EM else "the sum of your team's calls"
        raise ValidationError(
            {"note": [ValidationError(f"Say why the call differs from {what}.", code="note_required")]}
        )
    existing = ForecastCall.objects.filter(person=person, quarter=quarter.label, week=this_week).first()
    late = selectors.is_late(this_week, now)
    values = {
        "level": line.level,
        "commit": commit_amount,
        "best_case": best_amount,
        "currency": str(settings.CORPORATE_CURRENCY),
        "system_commit": line.system_commit if line.system_commit is not None else Decimal("0"),
        "system_best_case": line.system_best_case if line.system_best_case is not None else Decimal("0"),
        "default_commit": default_commit,
        "default_best_case": default_best,
        "note": note,
        "submitted_at": now,
        "submitted_by": actor if actor.is_authenticated else None,
        "late": late,
    }
    if existing is None:
        if expected_version != 0:
            raise Conflict(STALE)
        call = ForecastCall(
            person=person, quarter=quarter.label, week=this_week, first_submitted_at=now, version=1, **values
        )
        actions.create(call, actor=actor, action="submitted the forecast call" + (" (late)" if late else ""))
    else:
        if expected_version == 0:
            raise Conflict(
                "A call for this week was submitted since you opened the page; nothing was saved. "
                "Reload the page to see it."
            )
        call = actions.claim(
            ForecastCall.objects.all(), pk=existing.pk, expected_version=expected_version, stale_message=STALE
        )
        before = actions.snapshot(call)
        for name, value in values.items():
            setattr(call, name, value)
        actions.save(
            call,
            actor=actor,
            action="revised the forecast call" + (" (late)" if late else ""),
            before=before,
        )
    ForecastCallRevision.objects.create(
        call=call,
        number=call.version,
        **{k: v for k, v in values.items() if k != "level"},
    )
    return call


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Email everyone in the hierarchy without a call for the current quarter this week, once, in the
    FORECAST_CALL_REMINDER_HOURS before the deadline. Returns how many were reminded."""
    now = now or timezone.now()
    week = selectors.current_week(now)
    deadline = selectors.deadline_for(week)
    window = dt.timedelta(hours=int(settings.FORECAST_CALL_REMINDER_HOURS))
    if not deadline - window <= now < deadline:
        return 0
    quarter = selectors.quarters_open(now)[0]
    tree = selectors.hierarchy()
    missing = selectors.not_submitted(quarter, week)
    url = settings.SITE_URL.rstrip("/") + reverse("calls:mine")
    sent = 0
    for pk in missing:
        member = tree.members[pk]
        if not member.email:
            continue
        with transaction.atomic():
            _reminder, created = CallReminder.objects.get_or_create(
                person_id=pk, week=week, defaults={"quarter": quarter.label, "sent_at": now}
            )
            if not created:
                continue
            what = "your call" if member.level == Level.EM else "your team call"
            due = f"{deadline:%a %d %b %H:%M %Z}"
            send_notification(
                subject=f"Forecast call for {quarter.label} due {due}",
                body=(
                    f"Hello {member.name},\n\n"
                    f"You have not submitted {what} for {quarter.label} this week (week of {week:%Y-%m-%d}). "
                    f"It is due {deadline:%A %d %B %Y %H:%M %Z}; "
                    "a call after that is marked late.\n\n"
                    f"Submit it here: {url}\n"
                ),
                recipients=[member.email],
                context={"event": "forecast_call_reminder", "person": pk, "week": week.isoformat()},
            )
            sent += 1
    return sent
