"""Writes people ask for: Sync now and Check the org again. (Resolving a conflict is
`conflicts.sync_conflict_resolve`; a run itself is `sync.salesforce_sync_run`, which the task and
the command call.)"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from core.jobs import job_queue
from core.models import BackgroundJob
from core.types import AnyUser
from salesforce import access
from salesforce.config import load_config
from salesforce.models import SyncRun
from salesforce.tasks import salesforce_org_check, salesforce_sync

SYNC_JOB_KIND = "salesforce_sync"


def salesforce_sync_request(*, actor: AnyUser, full: bool = False) -> BackgroundJob:
    """Sync now: administrators (or holders of run_salesforce_sync) queue a run straight away; the
    job it returns is what the sync health page shows while the worker runs it."""
    access.can_run_salesforce_sync.require(actor)
    config = load_config()
    if not config.enabled:
        raise ValidationError(
            "The Salesforce sync is off: " + " ".join(config.problems), code="not_configured"
        )
    actor_id = actor.pk
    with transaction.atomic():
        job = job_queue(
            actor=actor,
            kind=SYNC_JOB_KIND,
            label="Full Salesforce sync" if full else "Salesforce sync",
            permission="salesforce.run_salesforce_sync",
        )
        job_id = job.pk
        transaction.on_commit(
            lambda: salesforce_sync.delay(
                trigger=SyncRun.Trigger.MANUAL, actor_id=actor_id, full=full, job_id=job_id
            )
        )
    return job


def salesforce_org_check_request(*, actor: AnyUser) -> None:
    """Check the org again: describe Opportunity now instead of waiting for the daily refresh."""
    access.can_run_salesforce_sync.require(actor)
    config = load_config()
    if not config.enabled:
        raise ValidationError(
            "The Salesforce sync is off: " + " ".join(config.problems), code="not_configured"
        )
    transaction.on_commit(lambda: salesforce_org_check.delay())
