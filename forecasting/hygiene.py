"""Deal hygiene: the flags that say a deal's data cannot be trusted for this week's call.

One definition per flag, each usable as a queryset filter, an annotation and a count:

- *past due*: open, its close date already gone (engagements.deal_flags.past_due_call, the same
  rule as the dashboard's past-due figure);
- *pushed out of the quarter*: open, and its close date has moved into a later fiscal quarter at
  least once in the weekly snapshots; the count of pushes is the number of snapshot weeks whose
  close date lies in a later fiscal quarter than the previous snapshot's (that opportunity's row
  in the latest earlier snapshot holding it);
- *no EM review*: open, and never confirmed by its EM or not for STALE_AFTER_DAYS
  (engagements.selectors.stale_call, the pipeline's "stale");
- *Salesforce category disagrees with the EM colour*: open, and the owner's forecast category
  (Salesforce's ForecastCategoryName) and the EM's colour point opposite ways: **Commit** while the
  EM says Red or Grey, or **Omitted** while the EM says Green or Amber
  (engagements.deal_flags.category_disagrees_call).

Every flag is over open opportunities not removed in Salesforce.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from engagements.deal_flags import (
    SF_CATEGORIES,
    category_disagrees,
    category_disagrees_call,
    past_due_call,
)
from engagements.models import Confidence, Opportunity
from engagements.selectors import stale_call
from forecasting.models import ForecastSnapshotRow

PAST_DUE = "past_due"
PUSHED = "pushed"
STALE = "stale"
CATEGORY = "category"

FLAGS: dict[str, str] = {
    PAST_DUE: "Close date in the past while open",
    PUSHED: "Close date pushed out of its quarter",
    STALE: "No EM review",
    CATEGORY: "Salesforce category disagrees with the EM colour",
}
SHORT: dict[str, str] = {
    PAST_DUE: "past due",
    PUSHED: "pushed",
    STALE: "no EM review",
    CATEGORY: "category ≠ colour",
}
# The annotation each flag is read from (annotate_flags adds them).
FIELDS: dict[str, str] = {
    PAST_DUE: "hygiene_past_due",
    PUSHED: "hygiene_pushed",
    STALE: "hygiene_stale",
    CATEGORY: "hygiene_category",
}

COLOURS = [Confidence.GREEN, Confidence.AMBER, Confidence.RED, Confidence.GREY]


def stale_days() -> int:
    return int(settings.STALE_AFTER_DAYS)


# --------------------------------------------------------------------------- the definitions


def open_live() -> Q:
    """The opportunities every flag is about: open and not removed in Salesforce."""
    return Q(is_closed=False, removed_in_salesforce_at__isnull=True)


def past_due_q() -> Q:
    return past_due_call()


def stale_q() -> Q:
    return Q(is_closed=False) & stale_call()


def category_disagrees_q() -> Q:
    return category_disagrees_call()


__all__ = ["category_disagrees"]  # re-exported: the rule on one pair of values


def _pushed_rows() -> QuerySet[ForecastSnapshotRow]:
    """The opportunity's snapshot rows marked pushed (forecasting.pushes, from a partial index)."""
    return ForecastSnapshotRow.objects.filter(opportunity_id=OuterRef("pk"), close_pushed=True)


def push_count_expression() -> Expression:
    """Per opportunity: how many snapshot weeks moved its close date into a later fiscal quarter
    than the previous snapshot holding it (its rows marked when each snapshot was taken)."""
    return Func(
        Subquery(_pushed_rows().order_by().values("pk")),
        template="(SELECT COUNT(*) FROM %(expressions)s AS pushes)",
        output_field=IntegerField(),
    )


def pushed_q() -> Q:
    """Open with at least one push (an EXISTS the database answers as one semi-join)."""
    return Q(is_closed=False) & Q(Exists(_pushed_rows()))


def flag_q(flag: str) -> Q:
    """The filter for one flag (over a queryset from annotate_flags)."""
    return {
        PAST_DUE: past_due_q,
        PUSHED: pushed_q,
        STALE: stale_q,
        CATEGORY: category_disagrees_q,
    }[flag]()


def _bool(q: Q) -> Case:
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def annotate_flags(qs: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """Add `hygiene_pushes` (the count of pushes) and one boolean per flag (FIELDS)."""
    qs = qs.annotate(hygiene_pushes=push_count_expression())
    return qs.annotate(**{FIELDS[flag]: _bool(flag_q(flag)) for flag in FLAGS})


def annotate_pushes(qs: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """Add `hygiene_pushes` only (the count a "pushed" badge shows)."""
    if "hygiene_pushes" in qs.query.annotations:
        return qs
    return qs.annotate(hygiene_pushes=push_count_expression())


def register_list_flags() -> None:
    """Offer the four flags to the pipeline's lists (core.list_flags slot "pipeline")."""
    from core import list_flags

    list_flags.register(
        "pipeline",
        [
            list_flags.ListFlag(key, FLAGS[key], SHORT[key], lambda key=key: flag_q(key))  # type: ignore[misc]
            for key in FLAGS
        ],
        annotate_pushes,
    )


def filter_flag(qs: QuerySet[Opportunity], flag: str) -> QuerySet[Opportunity]:
    """The annotated queryset narrowed to one flag (an unknown flag raises KeyError)."""
    if flag not in FLAGS:
        raise KeyError(flag)
    if "hygiene_pushes" not in qs.query.annotations:
        qs = annotate_flags(qs)
    return qs.filter(flag_q(flag))


def flag_counts_for(qs: QuerySet[Opportunity]) -> dict[str, int]:
    """How many of `qs` carry each flag, plus `any` (at least one): one query."""
    any_flag = Q(pk__in=[])
    for flag in FLAGS:
        any_flag |= flag_q(flag)
    aggregates: dict[str, Any] = {flag: Count("pk", filter=flag_q(flag)) for flag in FLAGS}
    aggregates["any"] = Count("pk", filter=any_flag)
    return {key: int(value or 0) for key, value in qs.order_by().aggregate(**aggregates).items()}


def flags_of(row: Any) -> list[str]:
    """The flags an annotated opportunity carries, in FLAGS order."""
    return [flag for flag in FLAGS if getattr(row, FIELDS[flag], False)]


# --------------------------------------------------------------------------- reads for the pages


def hygiene_queryset(
    *,
    region_id: int | None = None,
    em_id: int | None = None,
    close_from: dt.date | None = None,
    close_to: dt.date | None = None,
) -> QuerySet[Opportunity]:
    """Open opportunities not removed in Salesforce, narrowed by region, EM and close dates, with
    every flag annotated."""
    qs = Opportunity.objects.filter(open_live())
    if region_id is not None:
        qs = qs.filter(region_id=region_id)
    if em_id is not None:
        qs = qs.filter(engagement_manager_id=em_id)
    if close_from is not None:
        qs = qs.filter(close_date__gte=close_from)
    if close_to is not None:
        qs = qs.filter(close_date__lte=close_to)
    return annotate_flags(qs.select_related("account", "region", "engagement_manager"))


@dataclass
class FlagCount:
    key: str
    label: str
    count: int


@dataclass
class CategoryCell:
    colour: str
    count: int
    disagrees: bool


@dataclass
class CategoryRow:
    category: str  # as Salesforce holds it ("" when empty)
    cells: list[CategoryCell] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.category or "(none)"


@dataclass
class HygieneSummary:
    counts: list[FlagCount]
    any_count: int
    matrix: list[CategoryRow]
    disagreements: list[Opportunity]  # the largest first, at most DISAGREEMENTS_SHOWN
    disagreement_count: int


DISAGREEMENTS_SHOWN = 10


def category_matrix(qs: QuerySet[Opportunity]) -> list[CategoryRow]:
    """Open deals counted by Salesforce category (rows) × EM colour (columns), with the cells the
    rule calls a disagreement marked: one query."""
    found: dict[str, dict[str, int]] = {}
    for row in qs.order_by().values("forecast_category", "em_confidence").annotate(n=Count("pk")):
        raw = (row["forecast_category"] or "").strip()
        # Salesforce's standard names spelled as Salesforce spells them, whatever the case.
        name = next((c for c in SF_CATEGORIES if c.lower() == raw.lower()), raw)
        cells = found.setdefault(name, {})
        cells[row["em_confidence"]] = cells.get(row["em_confidence"], 0) + row["n"]
    order = {name: n for n, name in enumerate(SF_CATEGORIES)}
    rows = []
    for name in sorted(found, key=lambda c: (order.get(c, len(order)), c)):
        rows.append(
            CategoryRow(
                name,
                [
                    CategoryCell(colour, found[name].get(colour, 0), category_disagrees(name, colour))
                    for colour in COLOURS
                ],
            )
        )
    return rows


def summary(*, region_id: int | None = None, em_id: int | None = None) -> HygieneSummary:
    """The dashboard's hygiene section: counts per flag, the category × colour table and the
    largest disagreements (3 queries)."""
    base = Opportunity.objects.filter(open_live())
    if region_id is not None:
        base = base.filter(region_id=region_id)
    if em_id is not None:
        base = base.filter(engagement_manager_id=em_id)
    counts = flag_counts_for(base)
    disagreements = list(
        base.filter(category_disagrees_q())
        .select_related("account", "engagement_manager")
        .order_by(F("amount").desc(nulls_last=True), "close_date", "pk")[:DISAGREEMENTS_SHOWN]
    )
    return HygieneSummary(
        counts=[FlagCount(key, label, counts[key]) for key, label in FLAGS.items()],
        any_count=counts["any"],
        matrix=category_matrix(base),
        disagreements=disagreements,
        disagreement_count=counts[CATEGORY],
    )


def dashboard_summary() -> HygieneSummary:
    """The organisation's summary on the live dashboard, computed once per data version and day and
    shared between the leaders opening it (forecasting.live_cache; computed each time when live
    caching is off)."""
    from forecasting import live_cache

    return live_cache.cached("hygiene", (timezone.localdate().isoformat(), stale_days()), summary)


def flags_for_ids(ids: Iterable[int]) -> dict[int, list[str]]:
    """The flags of each of these opportunities (one query), for badges on a page of rows."""
    wanted = [pk for pk in ids if pk is not None]
    if not wanted:
        return {}
    rows = annotate_flags(Opportunity.objects.filter(pk__in=wanted, removed_in_salesforce_at__isnull=True))
    return {row.pk: flags_of(row) for row in rows}


@dataclass
class OpportunityHygiene:
    """One opportunity's flags and the two views of it side by side."""

    flags: list[str]
    pushes: int
    salesforce_category: str
    em_colour: str
    disagrees: bool

    @property
    def flag_labels(self) -> list[str]:
        return [FLAGS[flag] for flag in self.flags]


def for_opportunity(opportunity: Opportunity) -> OpportunityHygiene:
    """The flags of one opportunity (one query)."""
    row = annotate_flags(Opportunity.objects.filter(pk=opportunity.pk)).first()
    flags = flags_of(row) if row is not None and row.removed_in_salesforce_at is None else []
    return OpportunityHygiene(
        flags=flags,
        pushes=int(getattr(row, "hygiene_pushes", 0) or 0),
        salesforce_category=opportunity.forecast_category,
        em_colour=opportunity.em_confidence,
        disagrees=category_disagrees(
            opportunity.forecast_category, opportunity.em_confidence, is_closed=opportunity.is_closed
        ),
    )
