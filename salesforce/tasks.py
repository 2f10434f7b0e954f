"""Celery tasks: thin wrappers that take ids and run the sync."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.contrib.auth import get_user_model

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
) -> str:
    """One Salesforce sync run (pull then push). Scheduled by beat; Sync now queues it too.

    Retried with back-off when Salesforce was unreachable; a run that found the lock taken or the
    sync switched off simply ends (the next scheduled run carries on).
    """
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        result = salesforce_sync_run(trigger=trigger, actor=actor, full=full)
    except SalesforceNotConfigured as exc:
        logger.info("Salesforce sync is off: %s", exc)
        return "off"
    request = self.request
    if result.retry_later and not request.is_eager and request.retries < (self.max_retries or 0):
        countdown = backoff_seconds(load_config(), request.retries + 1)
        logger.warning("Salesforce unavailable; retrying the sync in %.0fs", countdown)
        raise self.retry(countdown=countdown)
    return str(result.run.outcome)


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
