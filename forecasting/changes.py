"""What changed between two weeks: each opportunity is compared with itself a week earlier.

Categories: new to the quarter, pulled in, pushed out, removed (deleted in Salesforce), won, lost,
amount up/down and confidence up/down (an opportunity in the quarter both weeks may be in both of
the last two). A move into or out of the quarter counts as the move, whatever else changed.
The waterfall takes last week's Commit to this week's: each opportunity's change in its Commit
contribution is booked to one step, so the steps add up exactly. An amount without an exchange rate
(on either week, for the waterfall) is never summed: the item is listed with its own amount and
currency, left out of the converted totals, and a warning says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import IntegerField, Q, QuerySet, Value

from core.fiscal import FiscalQuarter
from engagements.models import CONFIDENCE_RANK, Confidence
from forecasting import week_cache
from forecasting.figures import ZERO, RateBook, Rates, Source, corporate_currency, in_quarter

CATEGORIES = [
    ("new", "New to the quarter"),
    ("pulled_in", "Pulled in"),
    ("pushed_out", "Pushed out"),
    ("amount_up", "Amount up"),
    ("amount_down", "Amount down"),
    ("confidence_up", "Confidence up"),
    ("confidence_down", "Confidence down"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("removed", "Removed in Salesforce"),
]
WATERFALL_STEPS = [
    ("new", "New"),
    ("pulled_in", "Pulled in"),
    ("pushed_out", "Pushed out"),
    ("confidence", "Confidence changes"),
    ("amount", "Amount changes"),
    ("won", "Won (moved to closed)"),
    ("lost", "Lost"),
    ("removed", "Removed"),
    ("rates", "Exchange rates"),
]
SHOWN = 10  # items listed per kind of change on the page
_FIELDS = ("s_opp", "s_name", "s_account", "s_close", "s_amount", "s_currency", "s_conf", "s_won", "s_closed")


@dataclass
class ChangedOpportunity:
    opportunity_id: int | None
    name: str
    account: str
    amount: Decimal | None  # corporate currency: the amount behind the change (a delta for amount
    # changes); None when a week it needs has no exchange rate for the currency
    detail: str
    native_amount: Decimal = ZERO  # the same in the opportunity's own currency
    currency: str = ""


@dataclass
class Category:
    key: str
    label: str
    items: list[ChangedOpportunity] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def shown(self) -> list[ChangedOpportunity]:
        """The largest SHOWN items (the page lists these; the CSV export lists every one)."""
        return self.items[:SHOWN]

    @property
    def more(self) -> int:
        """How many items the page does not list."""
        return max(0, len(self.items) - SHOWN)

    @property
    def amount(self) -> Decimal:
        """The converted items' total; items without a rate are in `unconverted` instead."""
        return sum((item.amount for item in self.items if item.amount is not None), ZERO)

    @property
    def unconverted(self) -> dict[str, Decimal]:
        left_out: dict[str, Decimal] = {}
        for item in self.items:
            if item.amount is None:
                left_out[item.currency] = left_out.get(item.currency, ZERO) + item.native_amount
        return dict(sorted(left_out.items()))


@dataclass
class Changes:
    previous: Source
    current: Source
    categories: list[Category]
    waterfall_start: Decimal
    waterfall: list[tuple[str, str, Decimal]]
    waterfall_end: Decimal
    warnings: list[str] = field(default_factory=list)

    def category(self, key: str) -> Category:
        return next(c for c in self.categories if c.key == key)


def _side(source: Source, quarter: FiscalQuarter, other: Source, side: int) -> QuerySet[Any]:
    """The source's rows in the quarter, plus its rows for opportunities the other source has in it."""
    other_ids = other.rows().filter(in_quarter(quarter)).exclude(s_opp__isnull=True).values("s_opp")
    rows: QuerySet[Any] = (
        source.rows()
        .filter(in_quarter(quarter) | Q(s_opp__in=other_ids))
        .annotate(s_side=Value(side, output_field=IntegerField()))
        .values(*_FIELDS, "s_side")
        .order_by()
    )
    return rows


def _rows(previous: Source, current: Source, quarter: FiscalQuarter) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Both weeks' rows in one query, keyed by opportunity."""
    sides: tuple[dict[Any, Any], dict[Any, Any]] = ({}, {})
    for row in _side(previous, quarter, current, 0).union(_side(current, quarter, previous, 1), all=True):
        key = row["s_opp"] if row["s_opp"] is not None else ("deleted", row["s_name"], row["s_account"])
        sides[row["s_side"]][key] = row
    return sides


def _converted(row: dict[str, Any], rates: Rates) -> Decimal | None:
    return rates.convert(row["s_amount"], row["s_currency"])


def _commit(row: dict[str, Any] | None, bounds: tuple[dt.date, dt.date], rates: Rates) -> Decimal | None:
    """The row's Commit contribution; None when it counts in Commit but has no rate."""
    if (
        row is None
        or row["s_closed"]
        or row["s_conf"] != Confidence.GREEN
        or not bounds[0] <= row["s_close"] <= bounds[1]
    ):
        return ZERO
    return _converted(row, rates)


def compare(
    quarter: FiscalQuarter, previous: Source, current: Source, book: RateBook | None = None
) -> Changes:
    """Every change between the two weeks for the quarter (one query, plus the rates unless given).
    Two snapshots' comparison comes from the cache while both weeks' rows and the rates are
    unchanged."""
    book = book or RateBook.load()
    if previous.snapshot is None or current.snapshot is None:
        return _compare(quarter, previous, current, book)
    key = week_cache.cache_key(
        "changes",
        quarter.label,
        corporate_currency(),
        week_cache.snapshot_version(previous.snapshot),
        week_cache.snapshot_version(current.snapshot),
        book.version,
    )
    return week_cache.cached(key, lambda: _compare(quarter, previous, current, book))


def _compare(quarter: FiscalQuarter, previous: Source, current: Source, book: RateBook) -> Changes:
    prev_rates, cur_rates = previous.rates(book), current.rates(book)
    before, after = _rows(previous, current, quarter)
    categories = {key: Category(key, label) for key, label in CATEGORIES}
    steps = {key: ZERO for key, _ in WATERFALL_STEPS}
    start = end = ZERO
    # The quarter's bounds once (FiscalQuarter works them out on every call).
    bounds = first, last = quarter.start, quarter.end
    left_out: list[tuple[str, str, Decimal, str, dt.date]] = []  # name, currency, amount, week

    def add(
        key: str, row: dict[str, Any], amount: Decimal | None, detail: str, native: Decimal | None = None
    ) -> None:
        categories[key].items.append(
            ChangedOpportunity(
                row["s_opp"],
                row["s_name"],
                row["s_account"],
                amount,
                detail,
                row["s_amount"] if native is None else native,
                row["s_currency"],
            )
        )

    for key in sorted(before.keys() | after.keys(), key=str):
        p, c = before.get(key), after.get(key)
        p_in = p is not None and first <= p["s_close"] <= last
        c_in = c is not None and first <= c["s_close"] <= last
        commit_before, commit_after = _commit(p, bounds, prev_rates), _commit(c, bounds, cur_rates)
        if commit_before is None or commit_after is None:
            # No rate on a week it counts in Commit: the opportunity stays out of the waterfall.
            for row, rates, value in ((p, prev_rates, commit_before), (c, cur_rates, commit_after)):
                if row is not None and value is None:
                    left_out.append((row["s_name"], row["s_currency"], row["s_amount"], "", rates.on))
            delta = ZERO
        else:
            start += commit_before
            end += commit_after
            delta = commit_after - commit_before
        step = "rates"
        if c_in and not p_in:
            assert c is not None
            step = "new" if p is None else "pulled_in"
            add(
                step,
                c,
                _converted(c, cur_rates),
                "new" if p is None else f"close date {p['s_close']:%Y-%m-%d} → {c['s_close']:%Y-%m-%d}",
            )
        elif p_in and not c_in:
            assert p is not None
            step = "removed" if c is None else "pushed_out"
            add(
                step,
                p,
                _converted(p, prev_rates),
                "deleted in Salesforce"
                if c is None
                else f"close date {p['s_close']:%Y-%m-%d} → {c['s_close']:%Y-%m-%d}",
            )
        elif p_in and c_in:
            assert p is not None and c is not None
            if not p["s_closed"] and c["s_won"]:
                step = "won"
                add("won", c, _converted(c, cur_rates), "closed won")
            elif not p["s_closed"] and c["s_closed"]:
                step = "lost"
                add("lost", p, _converted(p, prev_rates), "closed lost")
            else:
                rank_before, rank_after = CONFIDENCE_RANK[p["s_conf"]], CONFIDENCE_RANK[c["s_conf"]]
                if rank_after != rank_before:
                    step = "confidence"
                    add(
                        "confidence_up" if rank_after > rank_before else "confidence_down",
                        c,
                        _converted(c, cur_rates),
                        f"{p['s_conf']} → {c['s_conf']}",
                    )
                if p["s_currency"] == c["s_currency"] and p["s_amount"] != c["s_amount"]:
                    if step != "confidence":
                        step = "amount"
                    now, then = _converted(c, cur_rates), _converted(p, prev_rates)
                    add(
                        "amount_up" if c["s_amount"] > p["s_amount"] else "amount_down",
                        c,
                        None if now is None or then is None else now - then,
                        f"{p['s_currency']} {p['s_amount']:,.2f} → {c['s_amount']:,.2f}",
                        native=c["s_amount"] - p["s_amount"],
                    )
        if delta:
            steps[step] += delta
    waterfall = [(key, label, steps[key]) for key, label in WATERFALL_STEPS]
    warnings = []
    for category in categories.values():
        category.items.sort(
            key=lambda item: (item.amount is None, -abs(item.amount or item.native_amount), item.name)
        )
        for currency, amount in category.unconverted.items():
            warnings.append(
                f"{category.label}: no exchange rate for {currency} on a week compared, so {currency} "
                f"{amount:,.2f} is listed in {currency} and left out of the totals. Add a rate in the admin."
            )
    for name, currency, amount, _, on in left_out:
        warnings.append(
            f"No exchange rate for {currency} on {on:%Y-%m-%d}: {name} ({currency} {amount:,.2f}) is "
            "left out of the Commit waterfall."
        )
    return Changes(previous, current, list(categories.values()), start, waterfall, end, warnings)


def previous_week(week: dt.date | None, weeks: list[dt.date]) -> dt.date | None:
    """The snapshot week before `week` (or the latest one, for the live view)."""
    earlier = [w for w in weeks if week is None or w < week]
    return max(earlier, default=None)
