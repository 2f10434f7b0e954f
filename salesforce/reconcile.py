"""Scope changes and purges are seen: the pull only reads records that match the condition and
queryAll stops returning a record once it is purged from the recycle bin, so neither tells the app
that an opportunity it holds has left. Reconciliation (daily, and with `sync_salesforce --full`)
asks Salesforce about every opportunity the app holds open, by id:

1. ``queryAll SELECT Id, IsDeleted FROM Opportunity WHERE Id IN (…) AND (<condition>)`` — the ids
   still in scope (SOQL cannot select the condition as a boolean, so it filters);
2. for the ids that did not come back, ``queryAll SELECT Id, IsDeleted … WHERE Id IN (…)`` — which
   of them still exist (out of scope, or deleted) and which are gone (purged).

Those out of scope, deleted or purged are marked removed with the reason: kept and visible, out of
the pipeline lists and the forecast, never pushed again. One that is back in scope is restored.
If far fewer are in scope than the app holds open (a condition that no longer matches, e.g. a
renamed record type), nothing is removed and the run carries a warning instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from engagements.models import Opportunity, RemovalReason
from salesforce.client import SalesforceClient
from salesforce.config import SalesforceConfig
from salesforce.ids import id_key, is_salesforce_id
from salesforce.mapping import SOBJECT
from salesforce.models import OrgCheck

logger = logging.getLogger(__name__)

CHANGE_REASON = "Salesforce reconciliation"
# Below this many open opportunities a shrink is not judged (a small org changes a lot in a day).
SHRINK_MINIMUM = 10


@dataclass
class ReconcileResult:
    checked: int = 0
    in_scope: int = 0
    removed: dict[str, int] = field(default_factory=dict)  # reason -> newly removed
    restored: int = 0
    queries: int = 0
    warning: str = ""  # why nothing was removed

    @property
    def removed_total(self) -> int:
        return sum(self.removed.values())

    def note(self) -> str:
        if self.warning:
            return self.warning
        parts = [f"Reconciliation checked {self.checked} opportunit{'y' if self.checked == 1 else 'ies'}"]
        labels = {
            RemovalReason.OUT_OF_SCOPE: "out of scope",
            RemovalReason.DELETED: "deleted",
            RemovalReason.PURGED: "purged",
        }
        removed = [f"{n} {labels[RemovalReason(reason)]}" for reason, n in sorted(self.removed.items()) if n]
        if removed:
            parts.append(f"removed {', '.join(removed)}")
        if self.restored:
            parts.append(f"restored {self.restored} back in scope")
        return "; ".join(parts) + "."


def _held_open() -> list[tuple[int, str | None, str]]:
    """(pk, Salesforce id, removal reason) of every synced opportunity that is open or removed."""
    return list(
        Opportunity.objects.filter(salesforce_id__isnull=False)
        .filter(Q(is_closed=False) | Q(removed_in_salesforce_at__isnull=False))
        .order_by("pk")
        .values_list("pk", "salesforce_id", "removed_in_salesforce_reason")
    )


def _id_list(ids: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in ids)


def _query_ids(client: SalesforceClient, ids: list[str], condition: str) -> dict[str, bool]:
    """id key -> IsDeleted, for the ids Salesforce returns (queryAll: deleted ones too)."""
    where = f"Id IN ({_id_list(ids)})" + (f" AND ({condition})" if condition else "")
    # SOQL, not SQL: ids checked by shape, the condition from the settings.
    soql = f"SELECT Id, IsDeleted FROM {SOBJECT} WHERE {where}"  # noqa: S608
    found: dict[str, bool] = {}
    for page in client.query_pages(soql, include_deleted=True):
        for record in page:
            found[id_key(str(record.get("Id") or ""))] = bool(record.get("IsDeleted"))
    return found


def _status(
    client: SalesforceClient, config: SalesforceConfig, ids: list[str], result: ReconcileResult
) -> dict[str, str]:
    """id key -> "" (in scope) or a RemovalReason, for one chunk of ids."""
    in_scope = _query_ids(client, ids, config.condition)
    result.queries += 1
    statuses = {key: (RemovalReason.DELETED if deleted else "") for key, deleted in in_scope.items()}
    missing = [value for value in ids if id_key(value) not in in_scope]
    if missing and config.condition:
        existing = _query_ids(client, missing, "")
        result.queries += 1
    else:
        existing = {}
    for value in missing:
        key = id_key(value)
        if key in existing:
            statuses[key] = RemovalReason.DELETED if existing[key] else RemovalReason.OUT_OF_SCOPE
        else:
            statuses[key] = RemovalReason.PURGED
    return statuses


def record_scope_check(*, problems: list[str], details: dict[str, object]) -> None:
    OrgCheck.objects.update_or_create(
        kind=OrgCheck.Kind.SCOPE,
        defaults={"checked_at": timezone.now(), "problems": problems, "details": details},
    )


def shrink_warning(*, found: int, held: int, config: SalesforceConfig, what: str) -> str:
    """The warning when Salesforce returned far fewer opportunities than the app holds open."""
    if held < SHRINK_MINIMUM or found >= held * config.pull_shrink_warning_share:
        return ""
    return (
        f"{what} found only {found} of the {held} open opportunities PS Pipeline holds "
        f"(below {config.pull_shrink_warning_share:.0%}). Check SALESFORCE_OPPORTUNITY_CONDITION "
        "(a renamed record type or a changed field?) and the integration user's access."
    )


def reconcile(client: SalesforceClient, *, dry_run: bool = False) -> ReconcileResult:
    """Check every opportunity held open against Salesforce by id; mark those out of scope,
    deleted or purged as removed (with the reason) and restore those back in scope."""
    config = client.config
    result = ReconcileResult()
    held = [(pk, sf_id, reason) for pk, sf_id, reason in _held_open() if is_salesforce_id(sf_id or "")]
    result.checked = len(held)
    statuses: dict[str, str] = {}
    ids = [sf_id for _, sf_id, _ in held if sf_id]
    for start in range(0, len(ids), config.reconcile_chunk_size):
        statuses.update(_status(client, config, ids[start : start + config.reconcile_chunk_size], result))

    open_now = [(pk, sf_id) for pk, sf_id, reason in held if not reason]
    result.in_scope = sum(1 for _, sf_id in open_now if statuses.get(id_key(sf_id or "")) == "")
    result.warning = shrink_warning(
        found=result.in_scope, held=len(open_now), config=config, what="Reconciliation"
    )
    if not dry_run:
        record_scope_check(
            problems=[result.warning] if result.warning else [],
            details={
                "held_open": len(open_now),
                "in_scope": result.in_scope,
                "by": "reconciliation",
                "reconciled_at": timezone.now().isoformat(),
            },
        )
    if result.warning:
        result.warning += " Nothing was removed."
        logger.warning("%s", result.warning)
        return result

    changes: dict[int, str] = {}
    for pk, sf_id, reason in held:
        status = statuses.get(id_key(sf_id or ""), RemovalReason.PURGED)
        if status != reason:
            changes[pk] = status
    if changes:
        _apply(changes, result, dry_run=dry_run)
    return result


@transaction.atomic
def _apply(changes: dict[int, str], result: ReconcileResult, *, dry_run: bool) -> None:
    now = timezone.now()
    rows = list(Opportunity.objects.select_for_update().filter(pk__in=list(changes)).order_by("pk"))
    changed: list[Opportunity] = []
    for opportunity in rows:
        status = changes[opportunity.pk]
        if status == opportunity.removed_in_salesforce_reason:
            continue  # the pull got there first
        if status:
            if opportunity.removed_in_salesforce_at is None:
                opportunity.removed_in_salesforce_at = now
                result.removed[status] = result.removed.get(status, 0) + 1
            opportunity.removed_in_salesforce_reason = status
        else:
            opportunity.removed_in_salesforce_at = None
            opportunity.removed_in_salesforce_reason = ""
            result.restored += 1
        opportunity.last_synced_at = now
        changed.append(opportunity)
    if changed:
        bulk_update_with_history(
            changed,
            Opportunity,
            ["removed_in_salesforce_at", "removed_in_salesforce_reason", "last_synced_at"],
            batch_size=500,
            default_change_reason=CHANGE_REASON,
        )
    if dry_run:
        transaction.set_rollback(True)


def held_open_count() -> int:
    """Synced opportunities the app holds that are not removed (what a full pull should return)."""
    synced = Opportunity.objects.filter(salesforce_id__isnull=False)
    return synced.filter(removed_in_salesforce_at__isnull=True).count()


def check_full_pull(*, config: SalesforceConfig, pulled: int, held: int) -> str:
    """After a full pull: the warning if it returned far fewer records than the app held (kept as
    the scope check, so /health/ is degraded until a full pull or reconciliation looks normal)."""
    warning = shrink_warning(found=pulled, held=held, config=config, what="The full pull")
    previous = OrgCheck.objects.filter(kind=OrgCheck.Kind.SCOPE).first()
    details: dict[str, object] = {"held_open": held, "pulled": pulled, "by": "full pull"}
    if previous is not None and previous.details.get("reconciled_at"):
        details["reconciled_at"] = previous.details["reconciled_at"]
    record_scope_check(problems=[warning] if warning else [], details=details)
    return warning


def reconcile_due(config: SalesforceConfig, *, now: dt.datetime | None = None) -> bool:
    """True when no reconciliation ran in the last SALESFORCE_RECONCILE_INTERVAL_HOURS."""
    check = OrgCheck.objects.filter(kind=OrgCheck.Kind.SCOPE).first()
    last = (check.details or {}).get("reconciled_at") if check else None
    if not last:
        return True
    moment = dt.datetime.fromisoformat(str(last))
    return (now or timezone.now()) - moment >= dt.timedelta(hours=config.reconcile_interval_hours)


def first_pull_baseline() -> bool:
    """Before any reconciliation: count the pull that just loaded everything as one (True), so
    the first scheduled run does not re-read every record it has just read."""
    if OrgCheck.objects.filter(kind=OrgCheck.Kind.SCOPE).exists():
        return False
    record_scope_check(
        problems=[],
        details={
            "held_open": held_open_count(),
            "by": "first pull",
            "reconciled_at": timezone.now().isoformat(),
        },
    )
    return True
