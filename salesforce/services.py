"""Writes people ask for: Sync now and Check the org again. (Resolving a conflict is
`conflicts.sync_conflict_resolve`; a run itself is `sync.salesforce_sync_run`, which the task and
the command call.)"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from core.types import AnyUser
from salesforce import access
from salesforce.config import load_config
from salesforce.models import SyncRun
from salesforce.tasks import salesforce_org_check, salesforce_sync


def salesforce_sync_request(*, actor: AnyUser, full: bool = False) -> None:
    """Sync now: administrators (or holders of run_salesforce_sync) queue a run straight away."""
    access.can_run_salesforce_sync.require(actor)
    config = load_config()
    if not config.enabled:
        raise ValidationError(
            "The Salesforce sync is off: " + " ".join(config.problems), code="not_configured"
        )
    actor_id = actor.pk
    transaction.on_commit(
        lambda: salesforce_sync.delay(trigger=SyncRun.Trigger.MANUAL, actor_id=actor_id, full=full)
    )


def salesforce_org_check_request(*, actor: AnyUser) -> None:
    """Check the org again: describe Opportunity now instead of waiting for the daily refresh."""
    access.can_run_salesforce_sync.require(actor)
    config = load_config()
    if not config.enabled:
        raise ValidationError(
            "The Salesforce sync is off: " + " ".join(config.problems), code="not_configured"
        )
    transaction.on_commit(lambda: salesforce_org_check.delay())
