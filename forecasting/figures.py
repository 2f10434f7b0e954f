"""The forecast's figures, from the live pipeline or a stored weekly snapshot.

Every figure is defined once (METRICS) both as a database filter (for drill-downs) and as a test
on each row (for totals), so a drill-down's total always equals its figure. Amounts are converted
to the corporate currency with the rate in force on the as-of date (a snapshot keeps the rates of
the day it was taken); each opportunity's converted amount is rounded half-up to cents once and
every total is the sum of those rounded amounts. Amounts without a rate are left out of every
total and reported as a warning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Case, DecimalField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.money import quantize_cents
from engagements.deal_flags import past_due_call
from engagements.models import Confidence, Opportunity
from engagements.selectors import stale_call
from forecasting import live_cache, week_cache
from forecasting.models import (
    BookingsPlan,
    ExchangeRate,
    ForecastSnapshot,
    ForecastSnapshotRow,
    ForecastSnapshotTotal,
)
from forecasting.selectors import SNAPSHOT_LIMIT
from forecasting.totals import totals_ensure

ZERO = Decimal("0")
HUNDRED = Decimal("100")
COLOURS = [Confidence.GREEN, Confidence.AMBER, Confidence.RED, Confidence.GREY]


def corporate_currency() -> str:
    return str(settings.CORPORATE_CURRENCY)


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    q: Q  # over the unified source fields (s_*)
    test: Callable[[dict[str, Any]], bool]  # over an aggregated group


METRICS: dict[str, Metric] = {
    m.key: m
    for m in [
        Metric("closed_won", "Closed won", Q(s_won=True), lambda g: bool(g["s_won"])),
        Metric(
            "commit",
            "Commit (Green)",
            Q(s_closed=False, s_conf=Confidence.GREEN),
            lambda g: not g["s_closed"] and g["s_conf"] == Confidence.GREEN,
        ),
        Metric(
            "best_case",
            "Best case (Green + Amber)",
            Q(s_closed=False, s_conf__in=[Confidence.GREEN, Confidence.AMBER]),
            lambda g: not g["s_closed"] and g["s_conf"] in (Confidence.GREEN, Confidence.AMBER),
        ),
        Metric("pipeline", "Pipeline (all open)", Q(s_closed=False), lambda g: not g["s_closed"]),
    ]
}


def _open_in(colour: str) -> Callable[[dict[str, Any]], bool]:
    return lambda group: not group["s_closed"] and group["s_conf"] == colour


for _colour in COLOURS:
    METRICS[f"open_{_colour.lower()}"] = Metric(
        f"open_{_colour.lower()}", f"Open {_colour}", Q(s_closed=False, s_conf=_colour), _open_in(_colour)
    )
METRICS["stale"] = Metric(
    "stale",
    "Stale calls",
    Q(s_closed=False, s_stale=True),
    lambda g: not g["s_closed"] and bool(g["s_stale"]),
)
METRICS["past_due"] = Metric(
    "past_due",
    "Past due (open, close date before the as-of date)",
    Q(s_past_due=True),
    lambda g: bool(g["s_past_due"]),
)
METRICS["forecast"] = Metric(
    "forecast",
    "Forecast (Closed won + Commit)",
    Q(s_won=True) | Q(s_closed=False, s_conf=Confidence.GREEN),
    lambda g: bool(g["s_won"]) or (not g["s_closed"] and g["s_conf"] == Confidence.GREEN),
)
METRICS["best_case_forecast"] = Metric(
    "best_case_forecast",
    "Best-case forecast (Closed won + Best case)",
    Q(s_won=True) | Q(s_closed=False, s_conf__in=[Confidence.GREEN, Confidence.AMBER]),
    lambda g: bool(g["s_won"]) or (not g["s_closed"] and g["s_conf"] in (Confidence.GREEN, Confidence.AMBER)),
)


# --------------------------------------------------------------------------- rates


class RateBook:
    """Every exchange rate, loaded once per request; `on(date)` gives the rates in force that day."""

    def __init__(self, rows: Iterable[tuple[str, Decimal, dt.date]], version: str = "") -> None:
        self.rows = list(rows)
        self._cache: dict[dt.date, Rates] = {}
        # Changes whenever a rate is added, saved or deleted (a cached past week is keyed on it).
        self.version = version or repr(sorted(self.rows))

    @classmethod
    def load(cls) -> RateBook:
        rows = list(
            ExchangeRate.objects.values_list("currency", "rate", "effective_date", "pk", "changed_at")
        )
        version = hashlib.sha256(repr(sorted(rows, key=lambda r: r[3])).encode()).hexdigest()
        return cls([row[:3] for row in rows], version)

    def on(self, day: dt.date) -> Rates:
        if day not in self._cache:
            self._cache[day] = Rates(self.rows, day)
        return self._cache[day]


class Rates:
    """Exchange rates in force on a date."""

    def __init__(self, rows: Iterable[tuple[str, Decimal, dt.date]], on: dt.date) -> None:
        self.corporate = corporate_currency()
        self.on = on
        self._rates: dict[str, Decimal] = {}
        for currency, rate, effective in sorted(rows, key=lambda r: r[2]):
            if effective <= on:
                self._rates[currency] = rate

    @classmethod
    def frozen(cls, rates: dict[str, str], on: dt.date) -> Rates:
        """The rates a snapshot stored ({currency: rate as text}) when it was taken."""
        return cls([(currency, Decimal(rate), on) for currency, rate in rates.items()], on)

    def all(self) -> list[tuple[str, Decimal]]:
        """Every currency with a rate on the date, the corporate one included."""
        return [
            (self.corporate, Decimal("1")),
            *((c, r) for c, r in sorted(self._rates.items()) if c != self.corporate),
        ]

    def as_stored(self) -> dict[str, str]:
        return {currency: str(rate) for currency, rate in sorted(self._rates.items())}

    def rate(self, currency: str) -> Decimal | None:
        if currency == self.corporate:
            return Decimal("1")
        return self._rates.get(currency)

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        """One amount in the corporate currency, rounded half-up to cents (the only rounding)."""
        rate = self.rate(currency)
        return None if rate is None else quantize_cents(Decimal(amount) * rate)


# --------------------------------------------------------------------------- sources


@dataclass
class Source:
    """Where figures come from: the live pipeline or one snapshot, with its as-of moment."""

    snapshot: ForecastSnapshot | None
    as_of: dt.datetime

    @property
    def as_of_date(self) -> dt.date:
        return timezone.localtime(self.as_of).date()

    @property
    def label(self) -> str:
        return "live" if self.snapshot is None else f"week of {self.snapshot.week:%Y-%m-%d}"

    def rates(self, book: RateBook) -> Rates:
        """Live: the rates in force today. A snapshot: the rates it stored when it was taken."""
        if self.snapshot is None:
            return book.on(self.as_of_date)
        return Rates.frozen(self.snapshot.rates, self.as_of_date)

    def answers(self, quarter: FiscalQuarter) -> bool:
        """Whether this source holds every deal that counts in the quarter (a snapshot holds every
        open deal, and the closed ones inside its closed_from…closed_to range)."""
        snapshot = self.snapshot
        if snapshot is None:
            return True
        if snapshot.closed_from is not None and quarter.start < snapshot.closed_from:
            return False
        return snapshot.closed_to is None or quarter.end <= snapshot.closed_to

    def scope_text(self) -> str:
        """What the snapshot holds, in words (for saying why a quarter cannot be answered)."""
        snapshot = self.snapshot
        if snapshot is None:
            return "The live pipeline holds every opportunity."
        closed = "closed deals"
        if snapshot.closed_from is not None:
            closed += f" with a close date from {snapshot.closed_from:%Y-%m-%d}"
        if snapshot.closed_to is not None:
            closed += f" to {snapshot.closed_to:%Y-%m-%d}"
        return f"The snapshot of the week of {snapshot.week:%Y-%m-%d} holds every open deal and the {closed}."

    def rows(self) -> QuerySet[Any]:
        if self.snapshot is None:
            qs: QuerySet[Any] = Opportunity.objects.filter(removed_in_salesforce_at__isnull=True).annotate(
                s_amount=Coalesce(
                    F("amount"), Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2)
                ),
                s_currency=F("currency"),
                s_close=F("close_date"),
                s_won=F("is_won"),
                s_closed=F("is_closed"),
                s_conf=F("em_confidence"),
                s_em=F("engagement_manager_id"),
                s_region=F("region_id"),
                s_reviewed=F("em_reviewed_at"),
                s_opp=F("id"),
                s_name=F("name"),
                s_account=F("account__name"),
                s_stage=F("stage"),
                s_region_name=F("region__code"),
                s_em_name=F("engagement_manager__name"),
            )
        else:
            qs = ForecastSnapshotRow.objects.filter(snapshot=self.snapshot).annotate(
                s_amount=F("amount"),
                s_currency=F("currency"),
                s_close=F("close_date"),
                s_won=F("is_won"),
                s_closed=F("is_closed"),
                s_conf=F("confidence"),
                s_em=F("engagement_manager_id"),
                s_region=F("region_id"),
                s_reviewed=F("em_reviewed_at"),
                s_opp=F("opportunity_id"),
                s_name=F("name"),
                s_account=F("account_name"),
                s_stage=F("stage"),
                s_region_name=F("region_code"),
                s_em_name=F("engagement_manager_name"),
            )
        qs = qs.annotate(
            s_stale=Case(
                When(stale_call("s_reviewed", as_of=self.as_of), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            s_past_due=Case(
                When(past_due_call("s_close", "s_closed", as_of=self.as_of_date), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        return qs


def source_for(week: dt.date | None, snapshots: Iterable[ForecastSnapshot] | None = None) -> Source:
    """The live source, or the snapshot of `week` (looked up in `snapshots` when given)."""
    if week is None:
        return Source(None, timezone.now())
    if snapshots is not None:
        snapshot = next((s for s in snapshots if s.week == week), None)
    else:
        snapshot = ForecastSnapshot.objects.filter(week=week).first()
    if snapshot is None:
        raise ForecastSnapshot.DoesNotExist(f"No snapshot for the week of {week:%Y-%m-%d}.")
    return Source(snapshot, snapshot.taken_at)


def in_quarter(quarter: FiscalQuarter) -> Q:
    return Q(s_close__gte=quarter.start, s_close__lte=quarter.end)


# --------------------------------------------------------------------------- figures


@dataclass
class Money:
    """A corporate-currency total and what could not be converted."""

    amount: Decimal = ZERO
    count: int = 0
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    def add(self, total: Decimal, count: int, currency: str, rates: Rates) -> None:
        self.add_converted(total, rates.convert(total, currency), count, currency)

    def add_converted(self, total: Decimal, converted: Decimal | None, count: int, currency: str) -> None:
        self.count += count
        if converted is None:
            self.unconverted[currency] = self.unconverted.get(currency, ZERO) + total
        else:
            self.amount += converted


@dataclass
class Figures:
    metrics: dict[str, Money]
    plan: Decimal | None
    colour_counts: dict[str, int]
    open_count: int
    stale_count: int

    def __getitem__(self, key: str) -> Money:
        return self.metrics[key]

    @property
    def attainment_percent(self) -> Decimal | None:
        if not self.plan:
            return None
        return self.metrics["closed_won"].amount / self.plan * HUNDRED

    @property
    def gap(self) -> Decimal | None:
        if self.plan is None:
            return None
        return self.plan - self.metrics["closed_won"].amount

    @property
    def coverage(self) -> Decimal | None:
        """Open pipeline divided by the gap still to close (None when there is no gap)."""
        gap = self.gap
        if gap is None or gap <= 0:
            return None
        return self.metrics["pipeline"].amount / gap

    @property
    def grey_share_percent(self) -> Decimal | None:
        if not self.open_count:
            return None
        return Decimal(self.colour_counts.get(Confidence.GREY, 0)) / Decimal(self.open_count) * HUNDRED


def _empty_figures(plan: Decimal | None) -> Figures:
    return Figures({key: Money() for key in METRICS}, plan, dict.fromkeys(COLOURS, 0), 0, 0)


def _add_group(figures: Figures, group: dict[str, Any], keys: list[str], converted: Decimal | None) -> None:
    """Add one row (or `n` identical rows) whose converted amount, each, is `converted`."""
    n = group["n"]
    total = (group["s_amount"] or ZERO) * n
    for key in keys:
        figures.metrics[key].add_converted(
            total, None if converted is None else converted * n, n, group["s_currency"]
        )
    if not group["s_closed"]:
        figures.open_count += n
        figures.colour_counts[group["s_conf"]] = figures.colour_counts.get(group["s_conf"], 0) + n
        if group["s_stale"]:
            figures.stale_count += n


@dataclass
class Breakdown:
    key: int | None
    name: str
    figures: Figures


@dataclass
class Dashboard:
    quarter: FiscalQuarter
    source: Source
    corporate_currency: str
    overall: Figures
    by_region: list[Breakdown]
    by_em: list[Breakdown]
    warnings: list[str]
    closing: list[tuple[dt.date, Decimal, Decimal]] = field(default_factory=list)
    # The first PAST_DUE_SHOWN past-due deals by close date (the page lists these; the CSV reads every
    # one with drill_down); how many there are in all is the past-due figure's count.
    past_due: list[DrillRow] = field(default_factory=list)
    rate_warnings: list[str] = field(default_factory=list)  # amounts left out for want of a rate
    # The cache key these figures are kept under (None when they are not cached): the page's
    # rendered figures are kept under a key made from it (forecasting.fragments).
    cache_key: str | None = None

    @property
    def past_due_shown(self) -> list[DrillRow]:
        return self.past_due

    @property
    def past_due_count(self) -> int:
        return self.overall.metrics["past_due"].count

    @property
    def past_due_more(self) -> int:
        return max(0, self.past_due_count - len(self.past_due))


PAST_DUE_SHOWN = 25


def _closing_weeks(quarter: FiscalQuarter) -> dict[dt.date, list[Decimal]]:
    weeks: dict[dt.date, list[Decimal]] = {}
    week = quarter.start - dt.timedelta(days=quarter.start.weekday())
    while week <= quarter.end:
        weeks[week] = [ZERO, ZERO]
        week += dt.timedelta(days=7)
    return weeks


def _load_plans(quarter: FiscalQuarter) -> list[BookingsPlan]:
    return list(
        BookingsPlan.objects.filter(quarter=quarter.label).select_related("region", "engagement_manager")
    )


def _plans_version(plans: list[BookingsPlan]) -> tuple[Any, ...]:
    """Changes whenever a plan of the quarter is added, saved or deleted, or its region or EM renamed."""
    return tuple(
        (
            plan.pk,
            plan.updated_at.isoformat(),
            str(plan.amount),
            plan.currency,
            plan.region.code if plan.region else None,
            plan.engagement_manager.name if plan.engagement_manager else None,
        )
        for plan in sorted(plans, key=lambda p: p.pk)
    )


def _plans(
    plans: list[BookingsPlan], rates: Rates, names: dict[tuple[str, int], str]
) -> tuple[Decimal | None, dict[int, Decimal], dict[int, Decimal], list[str]]:
    """The quarter's plans in the corporate currency (overall, by region, by EM); `names` gets the
    name of every region and EM that has a plan, so each has a row even without deals."""
    overall: Decimal | None = None
    by_region: dict[int, Decimal] = {}
    by_em: dict[int, Decimal] = {}
    warnings = []
    for plan in plans:
        amount = rates.convert(plan.amount, plan.currency)
        if plan.engagement_manager is not None:
            names[("em", plan.engagement_manager.pk)] = plan.engagement_manager.name
        elif plan.region is not None:
            names[("region", plan.region.pk)] = plan.region.code
        if amount is None:
            warnings.append(f"No exchange rate for {plan.currency}: the plan {plan} is left out.")
            continue
        if plan.engagement_manager_id:
            by_em[plan.engagement_manager_id] = by_em.get(plan.engagement_manager_id, ZERO) + amount
        elif plan.region_id:
            by_region[plan.region_id] = by_region.get(plan.region_id, ZERO) + amount
        else:
            overall = (overall or ZERO) + amount
    if overall is None and by_region:
        overall = sum(by_region.values(), ZERO)
    return overall, by_region, by_em, warnings


def dashboard(quarter: FiscalQuarter, source: Source, book: RateBook | None = None) -> Dashboard:
    """Headline figures, by region, by EM and by close week, for one quarter from one source
    (one query for the rows, one for the plans, and the rates unless a rate book is given).
    Every region and EM with a plan for the quarter has a row, deals or not. A snapshot's figures
    come from the cache while its rows, the rates and the quarter's plans are unchanged."""
    book = book or RateBook.load()
    plans = _load_plans(quarter)
    snapshot = source.snapshot

    def compute(key: str | None) -> Dashboard:
        board = _dashboard(quarter, source, book, plans)
        board.cache_key = key
        return board

    if snapshot is None:
        parts = (quarter.label, corporate_currency(), source.as_of_date, book.version, _plans_version(plans))
        live_key = live_cache.key_for("dashboard", parts)
        return live_cache.cached("dashboard", parts, lambda: compute(live_key), key=live_key)
    key = week_cache.cache_key(
        "dashboard",
        quarter.label,
        corporate_currency(),
        week_cache.snapshot_version(snapshot),
        book.version,
        _plans_version(plans),
    )
    return week_cache.cached(key, lambda: compute(key))


def _dashboard(
    quarter: FiscalQuarter, source: Source, book: RateBook, plans: list[BookingsPlan]
) -> Dashboard:
    rates = source.rates(book)
    names: dict[tuple[str, int], str] = {}
    plan, region_plans, em_plans, warnings = _plans(plans, rates, names)
    overall = _empty_figures(plan)
    regions: dict[int | None, Breakdown] = {}
    ems: dict[int | None, Breakdown] = {}
    closing = _closing_weeks(quarter)
    past_due: list[DrillRow] = []
    accumulate = _accumulate_sql if connection.vendor == "postgresql" and USE_SQL else _accumulate_python
    accumulate(quarter, source, rates, overall, regions, ems, region_plans, em_plans, closing, past_due)
    return _finish(
        quarter,
        source,
        rates,
        overall,
        regions,
        ems,
        names,
        region_plans,
        em_plans,
        warnings,
        closing,
        past_due,
    )


def _accumulate_python(
    quarter: FiscalQuarter,
    source: Source,
    rates: Rates,
    overall: Figures,
    regions: dict[int | None, Breakdown],
    ems: dict[int | None, Breakdown],
    region_plans: dict[int, Decimal],
    em_plans: dict[int, Decimal],
    closing: dict[dt.date, list[Decimal]],
    past_due: list[DrillRow],
) -> None:
    """The figures added up row by row in Python (SQLite; the reference for the SQL path)."""
    rows = (
        source.rows()
        .filter(in_quarter(quarter))
        .values(
            *_ROW_FIELDS,
            "s_region",
            "s_em",
            "s_region_name",
            "s_em_name",
            "s_won",
            "s_closed",
            "s_stale",
            "s_past_due",
        )
        .order_by("s_close", "s_name", "s_opp")
    )
    # The metrics a row counts in depend only on these flags: worked out once per combination.
    keys_for: dict[tuple[Any, ...], list[str]] = {}
    converted_for: dict[tuple[Decimal, str], Decimal | None] = {}
    for row in rows:
        row["n"] = 1
        flags = (row["s_won"], row["s_closed"], row["s_conf"], row["s_stale"], row["s_past_due"])
        keys = keys_for.get(flags)
        if keys is None:
            keys = keys_for[flags] = [metric.key for metric in METRICS.values() if metric.test(row)]
        amount_key = (row["s_amount"] or ZERO, row["s_currency"])
        if amount_key in converted_for:
            converted = converted_for[amount_key]
        else:
            converted = converted_for[amount_key] = rates.convert(*amount_key)
        _add_group(overall, row, keys, converted)
        if (row["s_won"] or not row["s_closed"]) and converted is not None:
            monday = row["s_close"] - dt.timedelta(days=row["s_close"].weekday())
            closing[monday][0 if row["s_won"] else 1] += converted
        if row["s_past_due"] and len(past_due) < PAST_DUE_SHOWN:
            past_due.append(_drill_row(row, converted))
        # A breakdown is made only when its first row comes (never as a throwaway default).
        region = regions.get(row["s_region"])
        if region is None:
            region = regions[row["s_region"]] = Breakdown(
                row["s_region"],
                row["s_region_name"] or "No region",
                _empty_figures(region_plans.get(row["s_region"] or 0)),
            )
        _add_group(region.figures, row, keys, converted)
        em = ems.get(row["s_em"])
        if em is None:
            em = ems[row["s_em"]] = Breakdown(
                row["s_em"],
                row["s_em_name"] or "Unassigned",
                _empty_figures(em_plans.get(row["s_em"] or 0)),
            )
        _add_group(em.figures, row, keys, converted)


def _finish(
    quarter: FiscalQuarter,
    source: Source,
    rates: Rates,
    overall: Figures,
    regions: dict[int | None, Breakdown],
    ems: dict[int | None, Breakdown],
    names: dict[tuple[str, int], str],
    region_plans: dict[int, Decimal],
    em_plans: dict[int, Decimal],
    warnings: list[str],
    closing: dict[dt.date, list[Decimal]],
    past_due: list[DrillRow],
) -> Dashboard:
    for (kind, pk), name in names.items():
        target, scope_plans = (regions, region_plans) if kind == "region" else (ems, em_plans)
        if pk not in target:
            target[pk] = Breakdown(pk, name, _empty_figures(scope_plans.get(pk)))
    unconverted: dict[str, Decimal] = defaultdict(Decimal)
    for metric in ("closed_won", "pipeline"):
        for currency, amount in overall.metrics[metric].unconverted.items():
            unconverted[currency] += amount
    rate_warnings = [
        f"No exchange rate for {currency} on {source.as_of_date:%Y-%m-%d}: {currency} {amount:,.2f} "
        f"is left out of the totals. Add a rate in the admin."
        for currency, amount in sorted(unconverted.items())
    ]
    return Dashboard(
        quarter=quarter,
        source=source,
        corporate_currency=rates.corporate,
        overall=overall,
        by_region=sorted(regions.values(), key=lambda b: b.name),
        by_em=sorted(ems.values(), key=lambda b: (b.key is None, b.name)),
        warnings=warnings + rate_warnings,
        closing=[(week, won, open_) for week, (won, open_) in closing.items()],
        past_due=past_due,
        rate_warnings=rate_warnings,
    )


# Whether PostgreSQL adds the figures up in one statement (the Python path stays for SQLite and
# as the reference the SQL path is tested against).
USE_SQL = True
_SETS = {"overall": 0, "region": 1, "em": 2, "week": 3, "row": 4}


def _accumulate_sql(
    quarter: FiscalQuarter,
    source: Source,
    rates: Rates,
    overall: Figures,
    regions: dict[int | None, Breakdown],
    ems: dict[int | None, Breakdown],
    region_plans: dict[int, Decimal],
    em_plans: dict[int, Decimal],
    closing: dict[dt.date, list[Decimal]],
    past_due: list[DrillRow],
) -> None:
    """The same figures from one PostgreSQL statement: GROUP BY GROUPING SETS (region, EM, close
    week, total; each with the currency, for amounts left unconverted) and one FILTER sum per metric
    (each metric's condition is its Q, compiled by the ORM), each row's amount converted with the rate
    of its currency and rounded to cents before it is summed. The past-due rows come from the same
    statement, appended to the groups with UNION ALL."""
    flags = {
        f"m_{key}": Case(When(metric.q, then=Value(True)), default=Value(False))
        for key, metric in METRICS.items()
    }
    inner = (
        source.rows()
        .filter(in_quarter(quarter))
        .annotate(**flags)
        .values(
            *_ROW_FIELDS,
            "s_region",
            "s_em",
            "s_region_name",
            "s_em_name",
            "s_won",
            "s_closed",
            "s_past_due",
            *flags,
        )
        .order_by()
    )
    inner_sql, inner_params = inner.query.sql_with_params()
    rate_rows = rates.all()
    values = ", ".join(["(%s, CAST(%s AS numeric))"] * len(rate_rows))
    # Every group has one currency, so its rows are either all converted or all without a rate: one
    # sum per metric (converted, or else the amounts as they are) and the group's "has a rate" say which.
    metric_columns = []
    for key in METRICS:
        m = f"src.m_{key}"
        metric_columns += [
            f"COUNT(*) FILTER (WHERE {m})",
            f"SUM(COALESCE(src.conv, src.s_amount)) FILTER (WHERE {m})",
        ]
    pad = ", ".join(["NULL"] * len(metric_columns))
    sql = f"""
        WITH rates (currency, rate) AS (VALUES {values}),
        src AS (
            SELECT q.*, ROUND(q.s_amount * rates.rate, 2) AS conv, rates.rate IS NOT NULL AS has_rate,
                   CAST(date_trunc('week', q.s_close) AS date) AS wk
            FROM ({inner_sql}) q LEFT JOIN rates ON rates.currency = q.s_currency
        )
        (SELECT
            CASE WHEN GROUPING(src.wk) = 0 THEN 3 WHEN GROUPING(src.s_em) = 0 THEN 2
                 WHEN GROUPING(src.s_region) = 0 THEN 1 ELSE 0 END,
            src.s_currency, src.s_region, src.s_em, src.wk,
            MIN(src.s_region_name), MIN(src.s_em_name),
            SUM(src.conv) FILTER (WHERE src.s_won),
            SUM(src.conv) FILTER (WHERE NOT src.s_won AND NOT src.s_closed),
            BOOL_AND(src.has_rate),
            NULL, NULL, NULL, CAST(NULL AS date), NULL, NULL, CAST(NULL AS numeric), CAST(NULL AS numeric),
            {", ".join(metric_columns)}
        FROM src
        GROUP BY GROUPING SETS (
            (src.s_currency), (src.s_region, src.s_currency), (src.s_em, src.s_currency), (src.wk)
        ))
        UNION ALL
        (SELECT 4, src.s_currency, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                src.s_opp, src.s_name, src.s_account, src.s_close, src.s_stage, src.s_conf, src.s_amount,
                src.conv, {pad}
        FROM src WHERE src.s_past_due ORDER BY src.s_close, src.s_name, src.s_opp LIMIT %s)
        ORDER BY 1, 14, 12, 11
    """  # noqa: S608 (only the ORM's own SQL and fixed column names are formatted in)
    params = [value for pair in rate_rows for value in pair] + list(inner_params) + [PAST_DUE_SHOWN]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        results = cursor.fetchall()
    keys = list(METRICS)
    first = 18  # the first metric column
    column = {key: first + 2 * index for index, key in enumerate(keys)}
    for result in results:
        kind, currency, region_id, em_id, week = result[:5]
        if kind == _SETS["week"]:
            if week in closing:
                closing[week][0] += result[7] or ZERO
                closing[week][1] += result[8] or ZERO
            continue
        if kind == _SETS["row"]:
            opp, name, account, close, stage, conf, amount, conv = result[10:18]
            past_due.append(DrillRow(opp, name, account, close, stage, conf, amount, currency, conv))
            continue
        if kind == _SETS["overall"]:
            figures = overall
        elif kind == _SETS["region"]:
            region = regions.get(region_id)
            if region is None:
                region = regions[region_id] = Breakdown(
                    region_id, result[5] or "No region", _empty_figures(region_plans.get(region_id or 0))
                )
            figures = region.figures
        else:
            em = ems.get(em_id)
            if em is None:
                em = ems[em_id] = Breakdown(
                    em_id, result[6] or "Unassigned", _empty_figures(em_plans.get(em_id or 0))
                )
            figures = em.figures
        has_rate = result[9]
        for key in keys:
            n, total = result[column[key]], result[column[key] + 1]
            if not n:
                continue
            money = figures.metrics[key]
            money.count += n
            if has_rate:
                money.amount += total or ZERO
            else:
                money.unconverted[currency] = money.unconverted.get(currency, ZERO) + (total or ZERO)
        figures.open_count += result[column["pipeline"]]
        figures.stale_count += result[column["stale"]]
        for colour in COLOURS:
            figures.colour_counts[colour] += result[column[f"open_{colour.lower()}"]]


# --------------------------------------------------------------------------- drill-down


@dataclass
class DrillRow:
    opportunity_id: int | None
    name: str
    account: str
    close_date: dt.date
    stage: str
    confidence: str
    amount: Decimal
    currency: str
    converted: Decimal | None


_ROW_FIELDS = ("s_opp", "s_name", "s_account", "s_close", "s_stage", "s_conf", "s_amount", "s_currency")


def _drill_row(row: dict[str, Any], converted: Decimal | None) -> DrillRow:
    return DrillRow(
        row["s_opp"],
        row["s_name"],
        row["s_account"],
        row["s_close"],
        row["s_stage"],
        row["s_conf"],
        row["s_amount"],
        row["s_currency"],
        converted,
    )


def drill_down(
    quarter: FiscalQuarter,
    source: Source,
    metric: str,
    *,
    region: int | None = None,
    em: int | None = None,
    unassigned: bool = False,
    no_region: bool = False,
    book: RateBook | None = None,
) -> tuple[list[DrillRow], Money]:
    """The rows behind one figure, and their total computed the same way as the figure."""
    rates = source.rates(book or RateBook.load())
    qs = source.rows().filter(in_quarter(quarter)).filter(METRICS[metric].q)
    if region is not None:
        qs = qs.filter(s_region=region)
    if no_region:
        qs = qs.filter(s_region__isnull=True)
    if em is not None:
        qs = qs.filter(s_em=em)
    if unassigned:
        qs = qs.filter(s_em__isnull=True)
    total = Money()
    rows = []
    for row in qs.values(*_ROW_FIELDS).order_by("s_close", "s_name", "s_opp"):
        converted = rates.convert(row["s_amount"], row["s_currency"])
        total.add_converted(row["s_amount"], converted, 1, row["s_currency"])
        rows.append(_drill_row(row, converted))
    return rows, total


# --------------------------------------------------------------------------- trend and closing weeks


@dataclass
class TrendPoint:
    week: dt.date
    closed_won: Decimal
    commit: Decimal
    best_case: Decimal
    plan: Decimal | None
    unconverted: dict[str, Decimal] = field(default_factory=dict)  # left out for want of a rate

    @property
    def forecast(self) -> Decimal:
        """Closed won + Commit."""
        return self.closed_won + self.commit

    @property
    def best_case_forecast(self) -> Decimal:
        """Closed won + Best case."""
        return self.closed_won + self.best_case


def trend(
    quarter: FiscalQuarter,
    plan: Decimal | None,
    book: RateBook | None = None,
    snapshots: Iterable[ForecastSnapshot] | None = None,
) -> list[TrendPoint]:
    """Closed won, Commit and Best case (and so both forecasts) at each snapshot week of the quarter,
    each week with the rates its snapshot stored; snapshots that cannot answer the quarter are left
    out. Read from the per-snapshot totals (one query, plus one for the snapshots unless they are
    given; a snapshot without totals gets them written first)."""
    del book  # each snapshot carries its own rates
    weeks_from, weeks_to = quarter.start - dt.timedelta(days=6), quarter.end
    given = list(snapshots) if snapshots is not None else []
    if snapshots is None or (len(given) >= SNAPSHOT_LIMIT and min(snap.week for snap in given) > weeks_from):
        # The given list (the newest SNAPSHOT_LIMIT weeks) may not reach back to this quarter.
        given = list(ForecastSnapshot.objects.filter(week__gte=weeks_from, week__lte=weeks_to))
    snapshots = given
    chosen = {
        snap.pk: snap
        for snap in snapshots
        if weeks_from <= snap.week <= weeks_to and Source(snap, snap.taken_at).answers(quarter)
    }
    totals_ensure(chosen.values())
    groups = (
        ForecastSnapshotTotal.objects.filter(snapshot_id__in=list(chosen), quarter=quarter.label)
        .filter(Q(is_won=True) | Q(is_closed=False, confidence__in=[Confidence.GREEN, Confidence.AMBER]))
        .values_list("snapshot_id", "confidence", "currency", "is_won", "is_closed", "amount", "converted")
        .order_by()
    )
    points: dict[dt.date, TrendPoint] = {
        snap.week: TrendPoint(snap.week, ZERO, ZERO, ZERO, plan) for snap in chosen.values()
    }
    for snapshot_id, confidence, currency, is_won, is_closed, amount, converted in groups:
        point = points[chosen[snapshot_id].week]
        if converted is None:
            point.unconverted[currency] = point.unconverted.get(currency, ZERO) + amount
            continue
        if is_won:
            point.closed_won += converted
        elif not is_closed:
            if confidence == Confidence.GREEN:
                point.commit += converted
            if confidence in (Confidence.GREEN, Confidence.AMBER):
                point.best_case += converted
    return [points[week] for week in sorted(points)]
