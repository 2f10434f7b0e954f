"""One sync run: pull, then push, under a lock so two runs never overlap, logged as a SyncRun.
The Celery task (which Sync now queues) and `manage.py sync_salesforce` both come through here."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind
from notifications.selectors import administrators
from notifications.services import notify
from salesforce import lease, safeguards
from salesforce.client import SalesforceClient
from salesforce.config import SalesforceConfig, load_config
from salesforce.errors import (
    SalesforceError,
    SalesforceNotConfigured,
    SalesforceRateLimited,
    SalesforceUnavailable,
    backoff_seconds,
)
from salesforce.models import SyncCursor, SyncRun
from salesforce.pull import CURSOR_NAME, PullResult, pull, sync_cursor
from salesforce.push import PushResult, push

logger = logging.getLogger(__name__)


@dataclass
class SyncRunResult:
    """The run (unsaved for a dry run) and whether a transient failure deserves an early retry."""

    run: SyncRun
    retry_later: bool = False
    dry_run: bool = False


def sync_lock_acquire(*, ttl_seconds: int) -> str | None:
    """Take the sync lease (one conditional UPDATE); the token to release it, or None if held."""
    cursor = sync_cursor()
    now = timezone.now()
    token = uuid.uuid4().hex
    taken = (
        SyncCursor.objects.filter(pk=cursor.pk)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(lock_token=token, locked_until=now + dt.timedelta(seconds=ttl_seconds))
    )
    return token if taken else None


def sync_lock_release(*, token: str) -> None:
    SyncCursor.objects.filter(name=CURSOR_NAME, lock_token=token).update(lock_token="", locked_until=None)


def _copy_counts(run: SyncRun, pulled: PullResult, pushed: PushResult | None) -> None:
    run.pulled, run.created, run.updated = pulled.pulled, pulled.created, pulled.updated
    run.removed, run.conflicts = pulled.removed, pulled.conflicts
    if pushed is not None:
        run.conflicts += pushed.conflicts  # found by the read before a push batch
        run.pushed, run.push_failed = pushed.pushed, pushed.failed


def _notes(pulled: PullResult, pushed: PushResult | None) -> list[str]:
    notes = []
    if pulled.unmatched_em:
        notes.append(
            f"{pulled.unmatched_em} Engagement Manager(s) in Salesforce match no person here "
            "(set Salesforce user ids on people)."
        )
    if pushed is not None and pushed.held:
        notes.append(f"{pushed.held} push(es) wait for an EM to resolve a conflict.")
    if pushed is not None and pushed.retried:
        notes.append(f"{pushed.retried} record update(s) will be retried.")
    if pushed is not None and pushed.conflicts:
        notes.append(
            f"{pushed.conflicts} field(s) changed in Salesforce since the app last read them were not "
            "pushed: each is a conflict for the EM to resolve."
        )
    if pushed is not None and pushed.already_there:
        notes.append(
            f"{pushed.already_there} record(s) already held the values being sent (an earlier call that "
            "timed out had been applied); they were not sent again."
        )
    if pushed is not None and pushed.isolated_calls:
        notes.append(
            f"Salesforce refused a whole batch; {pushed.isolated_calls} smaller call(s) found the record(s) "
            "it was about, and only those failed."
        )
    return notes


def _dry_run(config: SalesforceConfig, *, trigger: str, full: bool) -> SyncRunResult:
    now = timezone.now()
    run = SyncRun(trigger=trigger, full=full, started_at=now)
    with SalesforceClient(config) as client:
        pulled = pull(client, full=full, dry_run=True)
        pushed = push(client, dry_run=True)
    _copy_counts(run, pulled, pushed)
    run.api_calls = client.api_calls
    run.api_usage_used, run.api_usage_limit = client.api_usage or (None, None)
    run.finished_at = timezone.now()
    run.outcome = SyncRun.Outcome.SUCCESS
    run.message = "Dry run: nothing was changed. " + " ".join(_notes(pulled, pushed))
    return SyncRunResult(run=run, dry_run=True)


def _tell_push_failures(run: SyncRun) -> None:
    """Administrators hear once per run of the pushes that failed in it (they fix and retry them)."""
    try:
        notify(
            recipients=administrators(),
            kind=Kind.SALESFORCE_PUSH_FAILED,
            title=f"{run.push_failed} Salesforce push(es) failed",
            body=(
                f"The sync run of {timezone.localtime(run.started_at):%d %b %Y %H:%M} could not push "
                f"{run.push_failed} EM change(s) to Salesforce. {run.message}".strip()
            ),
            link=reverse("admin:engagements_pendingpush_changelist") + "?status__exact=failed",
            event_key=f"salesforce_push_failed:sync_run:{run.pk}",
        )
    except Exception:  # telling must never fail the run that already happened
        logger.exception("salesforce_push_failure_not_told", extra={"sync_run_id": run.pk})


def salesforce_sync_run(
    *,
    trigger: str = SyncRun.Trigger.SCHEDULE,
    actor: User | None = None,
    full: bool = False,
    dry_run: bool = False,
    reconcile: bool = False,
) -> SyncRunResult:
    """Pull then push, unless another run holds the lock or a rate limit pause is on (then a
    "skipped" run is logged and nothing else happens). Raises SalesforceNotConfigured when off.

    The watermark only moves with committed pages and pushes only clear confirmed rows, so a run
    that fails half-way loses nothing: the next one carries on.
    """
    config = load_config()
    if not config.enabled:
        raise SalesforceNotConfigured("; ".join(config.problems))
    if dry_run:
        return _dry_run(config, trigger=trigger, full=full)

    now = timezone.now()
    cursor = sync_cursor()
    if cursor.paused_until is not None and cursor.paused_until > now:
        run = SyncRun.objects.create(
            trigger=trigger,
            started_by=actor,
            full=full,
            started_at=now,
            finished_at=now,
            outcome=SyncRun.Outcome.SKIPPED,
            message=(
                f"Paused until {cursor.paused_until:%Y-%m-%d %H:%M} UTC after Salesforce reported its "
                f"API limit reached ({cursor.last_error})."
            ),
        )
        return SyncRunResult(run=run)
    token = sync_lock_acquire(ttl_seconds=lease.lease_seconds())
    if token is None:
        run = SyncRun.objects.create(
            trigger=trigger,
            started_by=actor,
            full=full,
            started_at=now,
            finished_at=now,
            outcome=SyncRun.Outcome.SKIPPED,
            message="Another sync run was in progress; this one did nothing.",
        )
        return SyncRunResult(run=run)

    # Runs still "running" now had their worker stop (their lease lapsed): closed as interrupted.
    lease.close_interrupted(last_seen=cursor.locked_until)
    run = SyncRun.objects.create(trigger=trigger, started_by=actor, full=full, started_at=now)
    pulled = PullResult()
    pushed: PushResult | None = None
    stopped: SalesforceError | None = None
    client: SalesforceClient | None = None
    org_notes: list[str] = []
    try:
        client = SalesforceClient(config)
        lease.keep(client, token)
        try:
            held = safeguards.before_pull(full=full)
            pull(client, full=full, result=pulled)
            org_notes = safeguards.after_pull(
                client, full=full, reconcile_requested=reconcile, pulled=pulled, held=held
            )
        except SalesforceError as exc:
            stopped = safeguards.explain_pull_failure(client, exc)
        else:
            blocked = safeguards.push_guard(client)
            pushed = push(client) if blocked is None else PushResult(stopped_by=blocked)
            stopped = pushed.stopped_by
    except SalesforceError as exc:  # e.g. the login itself was refused
        stopped = exc
    except Exception as exc:
        run.outcome = SyncRun.Outcome.FAILED
        run.message = f"Unexpected error: {exc.__class__.__name__}: {exc}"[:4000]
        raise
    finally:
        if client is not None:
            client.close()
            run.api_calls = client.api_calls
            run.api_usage_used, run.api_usage_limit = client.api_usage or (None, None)
        _copy_counts(run, pulled, pushed)
        notes = _notes(pulled, pushed) + org_notes + safeguards.usage_notes(client)
        if run.outcome == SyncRun.Outcome.RUNNING:
            if stopped is not None:
                run.outcome = SyncRun.Outcome.FAILED if pushed is None else SyncRun.Outcome.PARTIAL
                stage = "pull" if pushed is None else "push"
                notes.insert(0, safeguards.stop_note(stage, stopped))
            elif run.push_failed:
                run.outcome = SyncRun.Outcome.PARTIAL
            else:
                run.outcome = SyncRun.Outcome.SUCCESS
            run.message = " ".join(notes)[:4000]
        if isinstance(stopped, SalesforceRateLimited) and pushed is None:
            until = now + dt.timedelta(seconds=backoff_seconds(config, 0, rate_limited=True))
            SyncCursor.objects.filter(pk=cursor.pk).update(paused_until=until, last_error=str(stopped)[:2000])
        elif stopped is None:
            SyncCursor.objects.filter(pk=cursor.pk).update(paused_until=None, last_error="")
        elif not isinstance(stopped, SalesforceRateLimited):
            SyncCursor.objects.filter(pk=cursor.pk).update(last_error=str(stopped)[:2000])
        run.finished_at = timezone.now()
        run.save()
        sync_lock_release(token=token)
        if run.push_failed:
            _tell_push_failures(run)
    retry_later = isinstance(stopped, SalesforceUnavailable) and not isinstance(
        stopped, SalesforceRateLimited
    )
    return SyncRunResult(run=run, retry_later=retry_later)
