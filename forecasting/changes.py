"""What changed between two weeks: each opportunity is compared with itself a week earlier.

Categories: new to the quarter, pulled in, pushed out, removed (deleted in Salesforce), won, lost,
amount up/down and confidence up/down (an opportunity in the quarter both weeks may be in both of
the last two). A move into or out of the quarter counts as the move, whatever else changed.
The waterfall takes last week's Commit to this week's: each opportunity's change in its Commit
contribution is booked to one step, so the steps add up exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import IntegerField, Q, QuerySet, Value

from core.fiscal import FiscalQuarter
from engagements.models import CONFIDENCE_RANK, Confidence
from forecasting.figures import ZERO, RateBook, Rates, Source, in_quarter

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
_FIELDS = ("s_opp", "s_name", "s_account", "s_close", "s_amount", "s_currency", "s_conf", "s_won", "s_closed")


@dataclass
class ChangedOpportunity:
    opportunity_id: int | None
    name: str
    account: str
    amount: Decimal  # corporate currency: the amount behind the change (a delta for amount changes)
    detail: str


@dataclass
class Category:
    key: str
    label: str
    items: list[ChangedOpportunity] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def amount(self) -> Decimal:
        return sum((item.amount for item in self.items), ZERO)


@dataclass
class Changes:
    previous: Source
    current: Source
    categories: list[Category]
    waterfall_start: Decimal
    waterfall: list[tuple[str, str, Decimal]]
    waterfall_end: Decimal

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


def _converted(row: dict[str, Any] | None, rates: Rates) -> Decimal:
    if row is None:
        return ZERO
    return rates.convert(row["s_amount"], row["s_currency"]) or ZERO


def _commit(row: dict[str, Any] | None, quarter: FiscalQuarter, rates: Rates) -> Decimal:
    if (
        row is None
        or row["s_closed"]
        or row["s_conf"] != Confidence.GREEN
        or not quarter.contains(row["s_close"])
    ):
        return ZERO
    return _converted(row, rates)


def compare(
    quarter: FiscalQuarter, previous: Source, current: Source, book: RateBook | None = None
) -> Changes:
    """Every change between the two weeks for the quarter (one query, plus the rates unless given)."""
    book = book or RateBook.load()
    prev_rates, cur_rates = book.on(previous.as_of_date), book.on(current.as_of_date)
    before, after = _rows(previous, current, quarter)
    categories = {key: Category(key, label) for key, label in CATEGORIES}
    steps = {key: ZERO for key, _ in WATERFALL_STEPS}
    start = sum((_commit(row, quarter, prev_rates) for row in before.values()), ZERO)
    end = sum((_commit(row, quarter, cur_rates) for row in after.values()), ZERO)

    def add(key: str, row: dict[str, Any], amount: Decimal, detail: str) -> None:
        categories[key].items.append(
            ChangedOpportunity(row["s_opp"], row["s_name"], row["s_account"], amount, detail)
        )

    for key in before.keys() | after.keys():
        p, c = before.get(key), after.get(key)
        p_in = p is not None and quarter.contains(p["s_close"])
        c_in = c is not None and quarter.contains(c["s_close"])
        delta = _commit(c, quarter, cur_rates) - _commit(p, quarter, prev_rates)
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
                    change = _converted(c, cur_rates) - _converted(p, prev_rates)
                    add(
                        "amount_up" if c["s_amount"] > p["s_amount"] else "amount_down",
                        c,
                        change,
                        f"{p['s_currency']} {p['s_amount']:,.2f} → {c['s_amount']:,.2f}",
                    )
        if delta:
            steps[step] += delta
    waterfall = [(key, label, steps[key]) for key, label in WATERFALL_STEPS]
    for category in categories.values():
        category.items.sort(key=lambda item: (-abs(item.amount), item.name))
    return Changes(previous, current, list(categories.values()), start, waterfall, end)


def previous_week(week: dt.date | None, weeks: list[dt.date]) -> dt.date | None:
    """The snapshot week before `week` (or the latest one, for the live view)."""
    earlier = [w for w in weeks if week is None or w < week]
    return max(earlier, default=None)
