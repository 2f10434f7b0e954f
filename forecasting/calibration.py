"""EM calibration: of the opportunities an EM called Green / Amber / Red at a chosen week of a past
quarter, what share closed won inside that quarter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf

from core.fiscal import FiscalQuarter
from engagements.models import Confidence
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow

CALLS = [Confidence.GREEN, Confidence.AMBER, Confidence.RED]
DEFAULT_WEEK = 7  # mid-quarter in a 13-week quarter
# Fewer calls than this in a bar and its share says little: the page greys it and says so.
MIN_SAMPLE = 5


@dataclass
class CallRate:
    called: int = 0
    won: int = 0

    @property
    def small_sample(self) -> bool:
        return self.called < MIN_SAMPLE

    @property
    def percent(self) -> Decimal | None:
        return None if not self.called else Decimal(self.won) / Decimal(self.called) * 100


@dataclass
class CalibrationRow:
    key: int | None
    name: str
    calls: dict[str, CallRate] = field(default_factory=lambda: {c: CallRate() for c in CALLS})


@dataclass
class Calibration:
    quarters: list[tuple[FiscalQuarter, dt.date]]  # quarter and the snapshot week used
    week_number: int
    overall: CalibrationRow
    by_em: list[CalibrationRow]

    @property
    def total_calls(self) -> int:
        return sum(rate.called for rate in self.overall.calls.values())


def week_start(quarter: FiscalQuarter, week_number: int) -> dt.date:
    """The first day of the quarter's N-th week (its weeks count from the quarter's first day)."""
    return quarter.start + dt.timedelta(weeks=week_number - 1)


def snapshot_week_for(quarter: FiscalQuarter, week_number: int, weeks: list[dt.date]) -> dt.date | None:
    """The first snapshot on or after the start of the quarter's N-th week, inside the quarter
    (never one from before that day, so never one from before the quarter)."""
    target = week_start(quarter, week_number)
    candidates = [w for w in weeks if target <= w <= quarter.end]
    return min(candidates, default=None)


def calibration(
    *, quarters: int = 4, week_number: int = DEFAULT_WEEK, today: dt.date | None = None
) -> Calibration:
    """Over the last `quarters` closed quarters (2 queries)."""
    current = FiscalQuarter.for_date(today) if today else FiscalQuarter.current()
    past = [current.shift(-n) for n in range(1, quarters + 1)]
    weeks = list(
        ForecastSnapshot.objects.filter(week__gte=past[-1].start, week__lte=past[0].end).values_list(
            "week", flat=True
        )
    )
    chosen = [(q, w) for q in past if (w := snapshot_week_for(q, week_number, weeks)) is not None]
    overall = CalibrationRow(None, "All EMs")
    by_em: dict[int | None, CalibrationRow] = {}
    by_week = {week: quarter for quarter, week in chosen}
    scope = Q(pk__in=[])
    for quarter, week in chosen:
        scope |= Q(snapshot__week=week, close_date__gte=quarter.start, close_date__lte=quarter.end)
    rows = ForecastSnapshotRow.objects.filter(scope, is_closed=False, confidence__in=CALLS).values(
        "snapshot__week",
        "confidence",
        "engagement_manager_id",
        "opportunity__is_won",
        "opportunity__close_date",
        # The name the row stored that week (today's, for a row stored without one).
        em_name=Coalesce(NullIf(F("engagement_manager_name"), Value("")), F("engagement_manager__name")),
    )
    for row in rows:
        quarter = by_week[row["snapshot__week"]]
        closed_on = row["opportunity__close_date"]
        won = bool(row["opportunity__is_won"]) and closed_on is not None and quarter.contains(closed_on)
        em = by_em.setdefault(
            row["engagement_manager_id"],
            CalibrationRow(row["engagement_manager_id"], row["em_name"] or "Unassigned"),
        )
        for target in (overall, em):
            rate = target.calls[row["confidence"]]
            rate.called += 1
            rate.won += won
    return Calibration(chosen, week_number, overall, sorted(by_em.values(), key=lambda r: r.name))
