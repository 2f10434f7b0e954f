"""Reads for SOW pages, the approval queue and diffs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import Http404

from core.types import AnyUser
from sow import access, margin
from sow.models import (
    SECTIONS,
    Approval,
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
