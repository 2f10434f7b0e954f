"""Reads for the sync health page and the opportunity page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.types import AnyUser
from engagements.models import Opportunity, PendingPush
from salesforce import access
from salesforce.config import SalesforceConfig, load_config
from salesforce.describe import current_problems
from salesforce.models import OrgCheck, SalesforceChange, SyncConflict, SyncCursor, SyncRun
from salesforce.pull import CURSOR_NAME, pull_query
from salesforce.schedule import SCHEDULE_NAME


@dataclass
class SyncHealth:
    config: SalesforceConfig
    cursor: SyncCursor | None
    runs: list[SyncRun]
    last_success: SyncRun | None
    pending: int
    failed: int
    waiting_retry: int
    failed_pushes: list[PendingPush]
    open_conflicts: list[SyncConflict]
    open_conflict_count: int
    schedule: Any  # django_celery_beat PeriodicTask or None
    next_query: str = ""
    locked: bool = False
    paused: bool = False
    field_map: list[tuple[str, str]] = field(default_factory=list)
    org: OrgState | None = None


@dataclass
class MappedField:
    """One mapped EM field as the org's describe has it (None when the describe does not list it)."""

    key: str
    name: str
    meta: dict[str, Any] | None


@dataclass
class OrgState:
    """What the sync knows about the org: the describe and its problems, the scope check."""

    describe: OrgCheck | None
    describe_problems: list[str]
    fields: list[MappedField]
    refresh_error: str
    scope: OrgCheck | None
    scope_summary: str = ""


def _scope_summary(check: OrgCheck | None) -> str:
    if check is None:
        return ""
    details = check.details or {}
    held = details.get("held_open", 0)
    when = f"{timezone.localtime(check.checked_at):%Y-%m-%d %H:%M}"
    if details.get("by") == "reconciliation":
        in_scope = details.get("in_scope", 0)
        return f"Last reconciliation {when}: {in_scope} of {held} open opportunities in scope."
    if details.get("by") == "full pull":
        return f"Last full pull {when}: {details.get('pulled', 0)} records for {held} opportunities held."
    return f"First pull {when}: {held} opportunities loaded; reconciled daily from then on."


def org_state(config: SalesforceConfig) -> OrgState:
    """The kept describe checked against the settings now, and the last scope check."""
    checks = {c.kind: c for c in OrgCheck.objects.all()}
    check = checks.get(OrgCheck.Kind.DESCRIBE)
    described = dict(check.details.get("fields") or {}) if check is not None else {}
    refresh_error = str(check.details.get("refresh_error") or "") if check is not None else ""
    return OrgState(
        describe=check,
        describe_problems=current_problems(check, config) if check is not None else [],
        fields=[
            MappedField(key, name, described.get(name.lower()) if check is not None else None)
            for key, name in sorted(config.field_map.items())
        ],
        refresh_error=refresh_error,
        scope=checks.get(OrgCheck.Kind.SCOPE),
        scope_summary=_scope_summary(checks.get(OrgCheck.Kind.SCOPE)),
    )


def last_successful_run() -> SyncRun | None:
    return (
        SyncRun.objects.filter(outcome__in=[SyncRun.Outcome.SUCCESS, SyncRun.Outcome.PARTIAL])
        .order_by("-started_at")
        .first()
    )


def sync_health(*, run_limit: int = 20, list_limit: int = 50) -> SyncHealth:
    """Configuration status, recent runs, the outbox and open conflicts, for administrators."""
    config = load_config()
    now = timezone.now()
    cursor = SyncCursor.objects.filter(name=CURSOR_NAME).first()
    counts = PendingPush.objects.aggregate(
        pending=Count("pk", filter=Q(status=PendingPush.Status.PENDING)),
        failed=Count("pk", filter=Q(status=PendingPush.Status.FAILED)),
        waiting=Count("pk", filter=Q(status=PendingPush.Status.PENDING, next_attempt_at__gt=now)),
    )
    conflicts = SyncConflict.objects.filter(status=SyncConflict.Status.OPEN)
    return SyncHealth(
        config=config,
        cursor=cursor,
        runs=list(SyncRun.objects.select_related("started_by")[:run_limit]),
        last_success=last_successful_run(),
        pending=counts["pending"],
        failed=counts["failed"],
        waiting_retry=counts["waiting"],
        failed_pushes=list(
            PendingPush.objects.filter(status=PendingPush.Status.FAILED)
            .select_related("opportunity")
            .order_by("-updated_at")[:list_limit]
        ),
        open_conflicts=list(conflicts.select_related("opportunity")[:list_limit]),
        open_conflict_count=conflicts.count(),
        schedule=PeriodicTask.objects.select_related("interval").filter(name=SCHEDULE_NAME).first(),
        next_query=pull_query(config) if config.enabled else "",
        locked=bool(cursor and cursor.locked_until and cursor.locked_until > now),
        paused=bool(cursor and cursor.paused_until and cursor.paused_until > now),
        field_map=sorted(config.field_map.items()),
        org=org_state(config),
    )


@dataclass
class ConflictRow:
    conflict: SyncConflict
    yours: str  # the app's value now: what "keep mine" sends
    theirs: str


@dataclass
class OpportunitySyncState:
    """What the opportunity page shows about Salesforce: open conflicts, held fields, freshness."""

    conflicts: list[ConflictRow]
    held_fields: list[str]
    last_checked_at: dt.datetime | None
    removed_at: dt.datetime | None
    removed_reason: str = ""


def _current_display(opportunity: Opportunity, key: str) -> str:
    if key == "engagement_manager":
        em = opportunity.engagement_manager
        return em.name if em else "Unassigned"
    return str(getattr(opportunity, key) or "") or "(empty)"


def open_conflicts_for(*, opportunity: Opportunity) -> QuerySet[SyncConflict]:
    return SyncConflict.objects.filter(opportunity=opportunity, status=SyncConflict.Status.OPEN).order_by(
        "field"
    )


def opportunity_sync_state(*, opportunity: Opportunity) -> OpportunitySyncState:
    conflicts = list(open_conflicts_for(opportunity=opportunity))
    last = last_successful_run() if opportunity.salesforce_id else None
    return OpportunitySyncState(
        conflicts=[
            ConflictRow(c, _current_display(opportunity, c.field), c.salesforce_display) for c in conflicts
        ],
        held_fields=[c.get_field_display() for c in conflicts],
        last_checked_at=last.finished_at if last else None,
        removed_at=opportunity.removed_in_salesforce_at,
        removed_reason=(
            opportunity.get_removed_in_salesforce_reason_display()
            if opportunity.removed_in_salesforce_reason
            else "Removed in Salesforce"
        ),
    )


def conflict_for_user(*, user: AnyUser, pk: int) -> SyncConflict:
    """The conflict if the user may see its opportunity; 404 otherwise."""
    conflict = (
        SyncConflict.objects.select_related("opportunity", "opportunity__engagement_manager")
        .filter(pk=pk)
        .first()
    )
    if conflict is None or not access.can_view_sync_conflicts(user, conflict.opportunity):
        raise Http404("No such conflict.")
    return conflict


def salesforce_changes(*, opportunity: Opportunity, limit: int = 10) -> list[SalesforceChange]:
    """The latest values the pull took in for this opportunity, with who changed them in Salesforce."""
    return list(SalesforceChange.objects.filter(opportunity=opportunity)[:limit])
