"""Reads for the scoping board, lists, the estimate page, the TA queue and diffs."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.types import AnyUser
from scoping import access, calculator
from scoping.models import (
    BOARD_COLUMNS,
    Estimate,
    EstimateLine,
    ScopingIssue,
    TaAssistance,
    TaReview,
    TaReviewState,
)


def issues_for_user(user: AnyUser) -> QuerySet[ScopingIssue]:
    latest = Estimate.objects.filter(scoping_issue=OuterRef("pk")).order_by("-number")
    return (
        ScopingIssue.objects.filter(access.visible_filter(user))
        .select_related("opportunity", "opportunity__account", "opportunity__region", "assignee")
        .annotate(
            latest_estimate_total=Subquery(latest.values("total")[:1]),
            latest_estimate_currency=Subquery(latest.values("currency")[:1]),
            latest_estimate_number=Subquery(latest.values("number")[:1]),
        )
    )


def filter_issues(
    qs: QuerySet[ScopingIssue],
    *,
    assignee: Any = None,
    region: Any = None,
    quarter: str = "",
    status: str = "",
    search: str = "",
) -> QuerySet[ScopingIssue]:
    if assignee:
        qs = qs.filter(assignee=assignee)
    if region:
        qs = qs.filter(opportunity__region=region)
    if quarter and quarter != "any":
        fq = FiscalQuarter.current() if quarter == "current" else FiscalQuarter.parse(quarter)
        qs = qs.filter(opportunity__close_date__range=(fq.start, fq.end))
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(
            Q(title__icontains=search)
            | Q(opportunity__account__name__icontains=search)
            | Q(opportunity__name__icontains=search)
        )
    return qs


@dataclass
class BoardColumn:
    status: str
    label: str
    issues: list[ScopingIssue] = field(default_factory=list)


def board(qs: QuerySet[ScopingIssue]) -> list[BoardColumn]:
    """One column per status, in workflow order (one query for all cards); each card knows how many
    whole days it has been in its status, counted in the current time zone."""
    columns = {status.value: BoardColumn(status.value, status.label) for status in BOARD_COLUMNS}
    today = timezone.localdate()
    for issue in qs.order_by("-updated_at"):
        issue.days_in_status = max(0, (today - timezone.localdate(issue.status_changed_at)).days)  # type: ignore[attr-defined]  # shown on the card
        columns[issue.status].issues.append(issue)
    return list(columns.values())


def issue_for_user(*, user: AnyUser, pk: int) -> ScopingIssue:
    issue = (
        ScopingIssue.objects.select_related(
            "opportunity",
            "opportunity__account",
            "opportunity__region",
            "opportunity__engagement_manager",
            "assignee",
        )
        .filter(pk=pk)
        .first()
    )
    if issue is None or not access.can_view(user, issue):
        raise Http404("No such scoping issue.")
    return issue


def estimate_for_user(*, user: AnyUser, pk: int) -> Estimate:
    estimate = (
        Estimate.objects.select_related(
            "scoping_issue",
            "scoping_issue__opportunity",
            "scoping_issue__opportunity__account",
            "scoping_issue__opportunity__engagement_manager",
            "scoping_issue__assignee",
            "created_by",
        )
        .filter(pk=pk)
        .first()
    )
    if estimate is None or not access.can_view(user, estimate.scoping_issue):
        raise Http404("No such estimate.")
    return estimate


def estimate_lines(estimate: Estimate) -> list[EstimateLine]:
    return list(estimate.lines.select_related("offering"))


def estimate_totals(estimate: Estimate, lines: list[EstimateLine]) -> calculator.Totals:
    return calculator.compute(
        lines,
        contingency_percent=estimate.contingency_percent,
        expenses=estimate.expenses,
        discount=estimate.discount,
    )


def ta_queue(user: AnyUser) -> QuerySet[ScopingIssue]:
    """Issues waiting on a Technical Architect: review needed, or assistance requested."""
    return (
        issues_for_user(user)
        .filter(Q(ta_review_state=TaReviewState.NEEDS_REVIEW) | Q(ta_assistance=TaAssistance.REQUESTED))
        .order_by("updated_at")
    )


# --------------------------------------------------------------------------- diff


@dataclass
class LineDiff:
    change: str  # added, removed, changed
    description: str
    before: EstimateLine | None
    after: EstimateLine | None
    fields: list[str] = field(default_factory=list)


@dataclass
class EstimateDiff:
    old: Estimate
    new: Estimate
    lines: list[LineDiff]
    total_delta: Decimal
    hours_delta: Decimal
    settings_changes: list[tuple[str, Any, Any]]


def _line_key(line: EstimateLine) -> tuple[Any, ...]:
    return (line.kind, line.offering_id, line.role_name, line.description)


_COMPARED = ("quantity", "hours", "unit_price", "bill_rate")


def estimate_diff(old: Estimate, new: Estimate) -> EstimateDiff:
    """Lines added, removed and changed between two versions, matched by kind, offering, role and
    description, and the change in totals."""
    old_lines: dict[tuple[Any, ...], list[EstimateLine]] = {}
    for line in old.lines.all():
        old_lines.setdefault(_line_key(line), []).append(line)
    diffs: list[LineDiff] = []
    for line in new.lines.all():
        matches = old_lines.get(_line_key(line))
        if not matches:
            diffs.append(LineDiff("added", line.description, None, line))
            continue
        before = matches.pop(0)
        changed = [name for name in _COMPARED if getattr(before, name) != getattr(line, name)]
        if changed:
            diffs.append(LineDiff("changed", line.description, before, line, changed))
    for remaining in old_lines.values():
        for line in remaining:
            diffs.append(LineDiff("removed", line.description, line, None))
    settings_changes = [
        (label, getattr(old, name), getattr(new, name))
        for name, label in (
            ("contingency_percent", "Contingency %"),
            ("expenses", "Expenses"),
            ("discount", "Discount"),
        )
        if getattr(old, name) != getattr(new, name)
    ]
    return EstimateDiff(
        old=old,
        new=new,
        lines=diffs,
        total_delta=new.total - old.total,
        hours_delta=new.total_hours - old.total_hours,
        settings_changes=settings_changes,
    )


def previous_version(estimate: Estimate) -> Estimate | None:
    return (
        Estimate.objects.filter(scoping_issue_id=estimate.scoping_issue_id, number__lt=estimate.number)
        .order_by("-number")
        .first()
    )


def estimate_ta_decisions(estimate: Estimate) -> list[TaReview]:
    """The Technical Architects' decisions on this estimate version, newest first, with their
    comments (what the EM must change when it was sent back)."""
    return list(
        TaReview.objects.filter(
            estimate=estimate, decision__in=[TaReview.Decision.APPROVED, TaReview.Decision.SENT_BACK]
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )
