"""Celery tasks: thin wrappers that take ids and run the sync."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.contrib.auth import get_user_model

from core.jobs import job_finish, job_progress, job_start
from salesforce.client import SalesforceClient
from salesforce.config import load_config
from salesforce.describe import org_describe_refresh, record_refresh_error
from salesforce.errors import SalesforceError, SalesforceNotConfigured, backoff_seconds
from salesforce.models import SyncRun
from salesforce.sync import salesforce_sync_run

logger = logging.getLogger(__name__)

SALESFORCE_SYNC_TASK = "salesforce.tasks.salesforce_sync"
ORG_CHECK_TASK = "salesforce.tasks.salesforce_org_check"
# The name the task had when the sync lived in engagements. Migration 0003 renames the beat schedule;
# a message already queued under this name (a Sync now pressed just before an upgrade) still runs.
LEGACY_SYNC_TASK = "engagements.tasks.salesforce_sync"


@shared_task(bind=True, name=SALESFORCE_SYNC_TASK, max_retries=3, ignore_result=True)
def salesforce_sync(
    self: Task[..., str],
    trigger: str = SyncRun.Trigger.SCHEDULE,
    actor_id: int | None = None,
    full: bool = False,
    job_id: int | None = None,
) -> str:
    """One Salesforce sync run (pull then push). Scheduled by beat; Sync now queues it too, with the
    job (core.jobs) its page watches.

    Retried with back-off when Salesforce was unreachable; a run that found the lock taken or the
    sync switched off simply ends (the next scheduled run carries on).
    """
    if not job_start(job_id):
        return "already finished"  # a redelivered Sync now whose run ended
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        result = salesforce_sync_run(trigger=trigger, actor=actor, full=full)
    except SalesforceNotConfigured as exc:
        logger.info("Salesforce sync is off: %s", exc)
        job_finish(job_id, ok=False, message=f"The Salesforce sync is off: {exc}")
        return "off"
    except Exception as exc:
        job_finish(job_id, ok=False, message=f"The sync stopped with an error: {exc}")
        raise
    request = self.request
    if result.retry_later and not request.is_eager and request.retries < (self.max_retries or 0):
        countdown = backoff_seconds(load_config(), request.retries + 1)
        logger.warning("Salesforce unavailable; retrying the sync in %.0fs", countdown)
        job_progress(
            job_id, done=0, message=f"Salesforce did not answer; trying again in {countdown:.0f} seconds."
        )
        raise self.retry(countdown=countdown)
    run = result.run
    job_finish(job_id, ok=run.outcome in SYNC_OK, message=sync_summary(run))
    return str(run.outcome)


# Outcomes a Sync now reports as done (the others as failed).
SYNC_OK = frozenset({SyncRun.Outcome.SUCCESS, SyncRun.Outcome.PARTIAL, SyncRun.Outcome.SKIPPED})


def sync_summary(run: SyncRun) -> str:
    """One line for the person who pressed Sync now: the outcome and what the run did."""
    counts = f"{run.pulled} read ({run.created} new, {run.updated} updated), {run.pushed} sent to Salesforce"
    if run.push_failed:
        counts += f", {run.push_failed} not sent"
    if run.conflicts:
        counts += f", {run.conflicts} conflict{'s' if run.conflicts != 1 else ''}"
    text = f"{run.get_outcome_display()}: {counts}."
    return f"{text} {run.message}".strip() if run.outcome != SyncRun.Outcome.SUCCESS else text


@shared_task(name=LEGACY_SYNC_TASK, ignore_result=True)
def salesforce_sync_legacy_name(
    trigger: str = SyncRun.Trigger.SCHEDULE, actor_id: int | None = None, full: bool = False
) -> str:
    """A message queued under the earlier name: the same run, in this worker (a retry it needs is
    queued under the current name)."""
    return str(salesforce_sync(trigger=trigger, actor_id=actor_id, full=full))


@shared_task(name=ORG_CHECK_TASK, ignore_result=True)
def salesforce_org_check() -> str:
    """Describe Opportunity now and check the field map against it (Check the org again)."""
    config = load_config()
    if not config.enabled:
        return "off"
    try:
        with SalesforceClient(config) as client:
            check = org_describe_refresh(client)
    except SalesforceError as exc:
        logger.warning("Salesforce org check failed: %s", exc)
        record_refresh_error(str(exc))
        return "failed"
    return "problems" if check.problems else "ok"
