"""What a run does around the pull and the push to stay safe against a real org: the full-pull
size check and the reconciliation (when due, or asked for) after the pull; the field-map check
before the push; and the run's notes about them and about the org's API usage."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from salesforce.client import SalesforceClient
from salesforce.describe import (
    SalesforceFieldMapMismatch,
    current_problems,
    org_describe_refresh,
    push_blocker,
)
from salesforce.errors import (
    SalesforceError,
    SalesforceRateLimited,
    SalesforceRequestError,
    SalesforceSessionRevoked,
    backoff_seconds,
)
from salesforce.models import SyncCursor
from salesforce.pull import CURSOR_NAME, PullResult
from salesforce.reconcile import (
    check_full_pull,
    first_pull_baseline,
    held_open_count,
    reconcile,
    reconcile_due,
)

logger = logging.getLogger(__name__)


def before_pull(*, full: bool) -> int:
    """What a full pull is measured against: the synced opportunities held, not removed."""
    return held_open_count() if full else 0


def after_pull(
    client: SalesforceClient, *, full: bool, reconcile_requested: bool, pulled: PullResult, held: int
) -> list[str]:
    """Check a full pull's size, then reconcile when asked or due (skipped while the org's API
    usage is high); the notes for the run. Reconciliation's removals count as the run's removed."""
    notes: list[str] = []
    if full:
        warning = check_full_pull(config=client.config, pulled=pulled.pulled, held=held)
        if warning:
            notes.append(f"Warning: {warning}")
    if not (reconcile_requested or full or reconcile_due(client.config)):
        return notes
    if not (reconcile_requested or full) and first_pull_baseline():
        return notes  # the first pull read everything in scope: reconciled as of now
    if client.slowed:
        notes.append("Reconciliation skipped while the org's API usage is high; it runs when usage falls.")
        return notes
    try:
        result = reconcile(client)
    except SalesforceRequestError as exc:  # e.g. a condition Salesforce refuses
        notes.append(f"Reconciliation failed: {exc}")
        return notes
    pulled.removed += result.removed_total
    notes.append(f"Warning: {result.warning}" if result.warning else result.note())
    return notes


def push_guard(client: SalesforceClient) -> SalesforceError | None:
    """The error that stops the whole push (the field map does not fit the org), else None."""
    try:
        return push_blocker(client)
    except SalesforceRequestError as exc:
        return SalesforceFieldMapMismatch(
            f"Nothing was pushed: Salesforce refused the Opportunity describe ({exc})."
        )
    except SalesforceRateLimited as exc:  # the org's limit (or our share of it) is used up
        until = timezone.now() + dt.timedelta(seconds=backoff_seconds(client.config, 0, rate_limited=True))
        SyncCursor.objects.update_or_create(
            name=CURSOR_NAME, defaults={"paused_until": until, "last_error": str(exc)[:2000]}
        )
        return exc
    except SalesforceError as exc:  # unavailable: the push would fail the same way
        return exc


def explain_pull_failure(client: SalesforceClient, exc: SalesforceError) -> SalesforceError:
    """A pull refused for an unknown field (INVALID_FIELD) is usually the field map: describe the
    org and say which mapped field is wrong, instead of Salesforce's bare message."""
    if not (isinstance(exc, SalesforceRequestError) and exc.code == "INVALID_FIELD"):
        return exc
    try:
        check = org_describe_refresh(client)
    except SalesforceError:
        return exc
    problems = current_problems(check, client.config)
    if not problems:
        return exc
    return SalesforceFieldMapMismatch(
        "Nothing was pulled or pushed: the field map does not fit the Salesforce org. "
        + " ".join(problems)
        + f" (Salesforce: {exc})"
    )


def stop_note(stage: str, stopped: SalesforceError) -> str:
    """How the run says what stopped it: these errors say it themselves."""
    if isinstance(stopped, SalesforceSessionRevoked | SalesforceFieldMapMismatch):
        return str(stopped)
    return f"The {stage} stopped: {stopped}"


def usage_notes(client: SalesforceClient | None) -> list[str]:
    note = client.usage_note() if client is not None else ""
    return [note] if note else []
