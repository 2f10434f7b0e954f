"""Reads for SOW pages, the approval queue and diffs."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.types import AnyUser
from engagements.models import Risk
from scoping.models import Estimate, EstimateLine
from sow import access, margin
from sow.models import (
    SECTIONS,
    Approval,
    ApprovalStep,
    ChangeRequest,
    ChangeRequestStatus,
    CostLine,
    MarginTarget,
    Sow,
    SowDocument,
    SowStatus,
    SowVersion,
    SupplierEntity,
)


def sows_for_user(user: AnyUser) -> QuerySet[Sow]:
    """The SOWs `user` may read (sow.access.visible_filter)."""
    return Sow.objects.filter(access.visible_filter(user))


def latest_versions(sows: QuerySet[Sow]) -> QuerySet[SowVersion]:
    """The newest version of each of `sows` (the one its pages and lists show), with the SOW and its
    deal, newest SOW first: one query however many SOWs, filtered and paged in the database."""
    newest = SowVersion.objects.filter(sow=OuterRef("sow")).order_by("-number").values("number")[:1]
    return (
        SowVersion.objects.filter(sow__in=sows.values("pk"), number=Subquery(newest))
        .select_related(
            "sow",
            "sow__opportunity",
            "sow__opportunity__account",
            "sow__opportunity__region",
            "sow__scoping_issue",
        )
        .order_by("-sow__created_at", "-sow_id")
    )


def latest_version(sow: Sow) -> SowVersion | None:
    return latest_versions(Sow.objects.filter(pk=sow.pk)).first()


def sow_list(user: AnyUser, *, status: str = "") -> QuerySet[SowVersion]:
    """The SOW list: the latest version of each SOW `user` may read, in `status` if given."""
    versions = latest_versions(sows_for_user(user))
    return versions.filter(status=status) if status else versions


def sow_for_user(*, user: AnyUser, pk: int) -> Sow:
    sow = (
        Sow.objects.select_related(
            "opportunity", "opportunity__account", "opportunity__engagement_manager", "scoping_issue"
        )
        .filter(pk=pk)
        .first()
    )
    if sow is None or not access.can_view(user, sow):
        raise Http404("No such SOW.")
    return sow


def version_for_user(*, user: AnyUser, pk: int) -> SowVersion:
    version = (
        SowVersion.objects.select_related(
            "sow",
            "sow__opportunity",
            "sow__opportunity__account",
            "sow__opportunity__engagement_manager",
            "sow__scoping_issue",
            "sow__scoping_issue__opportunity",
            "estimate",
            "author",
        )
        .filter(pk=pk)
        .first()
    )
    if version is None or not access.can_view(user, version.sow):
        raise Http404("No such SOW version.")
    return version


def cost_lines(version: SowVersion) -> list[CostLine]:
    return list(
        CostLine.objects.filter(cost_estimate__sow_version=version).select_related(
            "person", "estimate_line", "delivery_role"
        )
    )


def approvals(version: SowVersion) -> list[Approval]:
    return list(Approval.objects.filter(sow_version__sow=version.sow).select_related("actor", "sow_version"))


def documents(version: SowVersion) -> dict[str, SowDocument]:
    return {d.kind: d for d in version.documents.all()}


def last_approved(version: SowVersion) -> SowVersion | None:
    return (
        SowVersion.objects.filter(sow=version.sow, number__lt=version.number, decided_at__isnull=False)
        .filter(approvals__decision=Approval.Decision.APPROVED)
        .order_by("-number")
        .first()
    )


def approval_queue() -> list[SowVersion]:
    """Submitted versions, oldest first, each with its margin (a fixed number of queries)."""
    versions = list(
        SowVersion.objects.filter(status=SowStatus.SUBMITTED)
        .select_related(
            "sow",
            "sow__opportunity",
            "sow__opportunity__account",
            "sow__opportunity__region",
            "sow__opportunity__engagement_manager",
            "sow__scoping_issue",
            "author",
        )
        .order_by("submitted_at", "pk")
    )
    margins_for(versions)
    return versions


def _cogs_by_version(version_ids: list[int]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for line in CostLine.objects.filter(cost_estimate__sow_version_id__in=version_ids).select_related(
        "cost_estimate"
    ):
        key = line.cost_estimate.sow_version_id
        totals[key] = totals.get(key, Decimal("0")) + line.cost
    return totals


def margins_for(versions: list[SowVersion]) -> list[SowVersion]:
    """Attach `.margin` to each version with two queries in all (and return them)."""
    targets = dict(MarginTarget.objects.values_list("category", "target_percent"))
    costs = _cogs_by_version([v.pk for v in versions])
    for version in versions:
        version.margin = margin.compute(  # type: ignore[attr-defined]  # attached for pages and exports
            price=version.total,
            cogs=costs.get(version.pk, Decimal("0")),
            target_percent=margin.target_for(version.category, targets),
        )
    return versions


@dataclass
class SectionDiff:
    label: str
    changed: bool
    lines: list[tuple[str, str]]  # (marker, text): "+", "-", " "


def version_diff(old: SowVersion, new: SowVersion) -> list[SectionDiff]:
    result = []
    for name, label in [*SECTIONS, ("recommendation", "Recommendation to the approver")]:
        before = (getattr(old, name) or "").splitlines()
        after = (getattr(new, name) or "").splitlines()
        lines = []
        for row in difflib.ndiff(before, after):
            marker, text = row[:1], row[2:]
            if marker in ("+", "-", " "):
                lines.append((marker, text))
        result.append(SectionDiff(label, before != after, lines))
    return result


def supplier_for(version: SowVersion) -> SupplierEntity | None:
    """The entity that contracts the version: its opportunity's region's own, else the default."""
    region_id = version.sow.opportunity.region_id
    entities = SupplierEntity.objects.filter(region__isnull=True)
    if region_id is not None:
        entities = SupplierEntity.objects.filter(region_id=region_id) | entities
    return entities.order_by(F("region_id").asc(nulls_last=True)).first()


@dataclass(frozen=True)
class QueueSummary:
    """How many SOW versions wait for a decision, and since when the oldest has."""

    waiting: int
    oldest_submitted_at: dt.datetime | None

    def oldest_age(self, now: dt.datetime) -> str:
        """The oldest's wait in words: "3 d", "5 h", "under 1 h" (empty when nothing waits)."""
        if self.oldest_submitted_at is None:
            return ""
        waited = now - self.oldest_submitted_at
        if waited.days >= 1:
            return f"{waited.days} d"
        hours = int(waited.total_seconds() // 3600)
        return f"{hours} h" if hours >= 1 else "under 1 h"


def queue_summary() -> QueueSummary:
    """The approval queue in two queries: how many SOW versions and change requests are submitted,
    and the oldest submission."""
    row = SowVersion.objects.filter(status=SowStatus.SUBMITTED).aggregate(
        waiting=Count("pk"), oldest=Min("submitted_at")
    )
    # Change requests wait in the same queue.
    crs = ChangeRequest.objects.filter(status=ChangeRequestStatus.SUBMITTED).aggregate(
        waiting=Count("pk"), oldest=Min("submitted_at")
    )
    oldest = [at for at in (row["oldest"], crs["oldest"]) if at is not None]
    return QueueSummary(
        waiting=(row["waiting"] or 0) + (crs["waiting"] or 0), oldest_submitted_at=min(oldest, default=None)
    )


def open_risks(version: SowVersion) -> list[Risk]:
    """The opportunity's open risks, most severe first."""
    order: dict[str, int] = {Risk.Severity.HIGH: 0, Risk.Severity.MEDIUM: 1, Risk.Severity.LOW: 2}
    risks = list(Risk.objects.filter(opportunity_id=version.sow.opportunity_id, status=Risk.Status.OPEN))
    return sorted(risks, key=lambda risk: (order.get(risk.severity, 3), risk.pk))


@dataclass(frozen=True)
class EstimateLineDiff:
    marker: str  # "+" added, "-" removed, "~" changed, " " unchanged
    description: str
    before: Decimal | None
    after: Decimal | None
    before_size: str
    after_size: str


@dataclass(frozen=True)
class EstimateDiff:
    base: Estimate | None
    estimate: Estimate
    lines: list[EstimateLineDiff]

    @property
    def total_change(self) -> Decimal | None:
        return None if self.base is None else self.estimate.total - self.base.total

    @property
    def changed(self) -> bool:
        return any(line.marker != " " for line in self.lines)


def _size(line: EstimateLine) -> str:
    if line.kind == EstimateLine.Kind.ACTIVITY:
        return f"{line.hours:,.2f} h"
    return f"{line.quantity} × {line.unit_price:,.2f}"


def estimate_diff(version: SowVersion) -> EstimateDiff:
    """The version's estimate line by line against the one before it: the estimate of the last
    approved version when that was another, else the scoping issue's previous estimate version."""
    estimate = version.estimate
    base: Estimate | None = None
    approved = last_approved(version)
    if approved is not None and approved.estimate_id != estimate.pk:
        base = approved.estimate
    else:
        base = (
            Estimate.objects.filter(scoping_issue_id=estimate.scoping_issue_id, number__lt=estimate.number)
            .order_by("-number")
            .first()
        )
    after = {(line.kind, line.description): line for line in estimate.lines.all()}
    before = {} if base is None else {(line.kind, line.description): line for line in base.lines.all()}
    rows = []
    for key, line in after.items():
        old = before.get(key)
        if base is None:
            marker = " "
        elif old is None:
            marker = "+"
        else:
            marker = "~" if (old.amount, _size(old)) != (line.amount, _size(line)) else " "
        rows.append(
            EstimateLineDiff(
                marker,
                line.description,
                None if old is None else old.amount,
                line.amount,
                "" if old is None else _size(old),
                _size(line),
            )
        )
    for key, old in before.items():
        if key not in after:
            rows.append(EstimateLineDiff("-", old.description, old.amount, None, _size(old), ""))
    return EstimateDiff(base=base, estimate=estimate, lines=rows)


def change_request_for_user(*, user: AnyUser, pk: int) -> ChangeRequest:
    """A change request `user` may read (its SOW's rule), else 404."""
    change_request = (
        ChangeRequest.objects.select_related(
            "sow",
            "sow__opportunity",
            "sow__opportunity__account",
            "sow__opportunity__engagement_manager",
            "sow__scoping_issue",
            "sow_version",
            "sow_version__estimate",
            "estimate",
            "author",
        )
        .filter(pk=pk)
        .first()
    )
    if change_request is None or not access.can_view(user, change_request.sow):
        raise Http404("No such change request.")
    return change_request


def change_request_queue() -> list[ChangeRequest]:
    """Submitted change requests, oldest first (a fixed number of queries)."""
    return list(
        ChangeRequest.objects.filter(status=ChangeRequestStatus.SUBMITTED)
        .select_related(
            "sow",
            "sow__opportunity",
            "sow__opportunity__account",
            "sow__opportunity__region",
            "sow__opportunity__engagement_manager",
            "sow_version",
            "author",
        )
        .order_by("submitted_at", "pk")
    )


# --------------------------------------------------------------------------- the approval ladder


def waiting_text(delta: dt.timedelta) -> str:
    """ "2 d 3 h", "5 h 10 min", "12 min"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@dataclass(frozen=True)
class LadderRow:
    """One step of a ladder as shown: its title, where it stands, waiting time and due time."""

    title: str
    status: str
    status_label: str
    decided: str
    comment: str
    waiting: str
    due_at: dt.datetime | None
    overdue: bool
    frozen: bool  # False: a preview of what a submission now would get


def ladder_rows(subject: SowVersion | ChangeRequest, now: dt.datetime | None = None) -> list[LadderRow]:
    """The subject's ladder: its frozen steps once submitted, else the preview from the rules."""
    from sow.services import ladder

    now = now or timezone.now()
    rows = []
    for step in ladder.shown_ladder(subject):
        if isinstance(step, ApprovalStep):
            waiting = step.status == ApprovalStep.Status.WAITING
            rows.append(
                LadderRow(
                    title=step.title,
                    status=step.status,
                    status_label=step.get_status_display(),
                    decided=ladder.decided_words(step) if step.decided_by_id else "",
                    comment=step.comment,
                    waiting=waiting_text(now - step.started_at) if waiting and step.started_at else "",
                    due_at=step.due_at if waiting else None,
                    overdue=bool(waiting and step.due_at and step.due_at <= now),
                    frozen=True,
                )
            )
        else:
            rows.append(LadderRow(step.title, "planned", "If submitted now", "", "", "", None, False, False))
    return rows


def waiting_steps(
    *, versions: list[SowVersion] | None = None, change_requests: list[ChangeRequest] | None = None
) -> dict[tuple[str, int], ApprovalStep]:
    """The waiting step of each subject, in one query: {("sow", version pk) | ("cr", pk): step}."""
    found: dict[tuple[str, int], ApprovalStep] = {}
    version_ids = [v.pk for v in versions or []]
    cr_ids = [c.pk for c in change_requests or []]
    if not version_ids and not cr_ids:
        return found
    rows = ApprovalStep.objects.filter(
        Q(sow_version_id__in=version_ids) | Q(change_request_id__in=cr_ids),
        status=ApprovalStep.Status.WAITING,
    ).select_related("approver_person")
    for step in rows:
        key = ("sow", step.sow_version_id) if step.sow_version_id else ("cr", step.change_request_id or 0)
        found[key] = step
    return found


def round_steps(waiting: dict[tuple[str, int], ApprovalStep]) -> dict[tuple[str, int], list[ApprovalStep]]:
    """Every step of the round each waiting step belongs to, in one query (keys as `waiting_steps`)."""
    found: dict[tuple[str, int], list[ApprovalStep]] = {key: [] for key in waiting}
    if not waiting:
        return found
    match = Q(pk__in=[])
    for step in waiting.values():
        if step.sow_version_id:
            match |= Q(sow_version_id=step.sow_version_id, round=step.round)
        else:
            match |= Q(change_request_id=step.change_request_id, round=step.round)
    for row in ApprovalStep.objects.filter(match).order_by("position"):
        key = ("sow", row.sow_version_id) if row.sow_version_id else ("cr", row.change_request_id or 0)
        found.setdefault(key, []).append(row)
    return found


@dataclass(frozen=True)
class ClosingApproval:
    version: SowVersion
    step: ApprovalStep | None
    waiting: str
    overdue: bool


def approvals_closing_in(quarter: FiscalQuarter, now: dt.datetime | None = None) -> list[ClosingApproval]:
    """Submitted SOW versions whose opportunity closes in `quarter` (open deals), the longest
    waiting first, with the step each waits at (two queries whatever the number)."""
    now = now or timezone.now()
    versions = list(
        SowVersion.objects.filter(
            status=SowStatus.SUBMITTED,
            sow__opportunity__close_date__gte=quarter.start,
            sow__opportunity__close_date__lte=quarter.end,
            sow__opportunity__is_closed=False,
        )
        .select_related("sow", "sow__opportunity", "sow__opportunity__account")
        .order_by("submitted_at", "pk")
    )
    steps = waiting_steps(versions=versions)
    rows = []
    for version in versions:
        step = steps.get(("sow", version.pk))
        since = step.started_at if step and step.started_at else version.submitted_at
        rows.append(
            ClosingApproval(
                version=version,
                step=step,
                waiting=waiting_text(now - since) if since else "",
                overdue=bool(step and step.due_at and step.due_at <= now),
            )
        )
    rows.sort(key=lambda r: r.step.started_at if r.step and r.step.started_at else now)
    return rows
