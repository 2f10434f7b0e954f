"""Pacing: Closed won to date this quarter against the same point of each of the last four quarters.

A quarter's Closed won to a given day is the sum of its deals closed won with a close date from the
quarter's first day up to that day; its final Closed won is that sum at the quarter's last day. The
"same point" of an earlier quarter is the same number of days after its first day (capped at its
last day). Each share is the earlier quarter's Closed won at that point over its own final Closed
won, and what the current quarter would finish at if it paced like that quarter is its Closed won
to date over that share.

Amounts are converted into the corporate currency with today's exchange rates (the same rates for
every quarter, so a rate change never moves a share), each deal rounded half-up to cents once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from core.fiscal import FiscalQuarter
from engagements.models import Opportunity
from forecasting.figures import RateBook, corporate_currency

ZERO = Decimal("0")
HUNDRED = Decimal("100")
QUARTERS_BACK = 4


def week_count(quarter: FiscalQuarter) -> int:
    return ((quarter.end - quarter.start).days // 7) + 1


def week_end(quarter: FiscalQuarter, week_number: int) -> dt.date:
    """The last day of the quarter's N-th week (weeks count from the quarter's first day)."""
    return min(quarter.end, quarter.start + dt.timedelta(days=7 * week_number - 1))


@dataclass
class QuarterPace:
    quarter: FiscalQuarter
    to_point: Decimal  # Closed won from the first day up to the same point
    final: Decimal | None  # Closed won over the whole quarter; None for the quarter still running
    by_week: list[Decimal] = field(default_factory=list)  # cumulative Closed won at each week's end

    @property
    def share_percent(self) -> Decimal | None:
        """Closed won at the same point as a share of the quarter's final Closed won."""
        if not self.final:
            return None
        return self.to_point / self.final * HUNDRED

    def shares_by_week(self) -> list[Decimal | None]:
        if not self.final:
            return [None for _ in self.by_week]
        final = self.final
        return [amount / final * HUNDRED for amount in self.by_week]


@dataclass
class Pacing:
    quarter: FiscalQuarter
    as_of: dt.date  # the day "to date" means
    day_number: int  # 1 = the quarter's first day
    week_number: int
    current: QuarterPace
    earlier: list[QuarterPace]  # the most recent first
    currency: str
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    def implied_finish(self, pace: QuarterPace) -> Decimal | None:
        """The current quarter's finish if it paced like `pace`: to date ÷ that quarter's share."""
        if not pace.final or not pace.to_point:
            return None
        return self.current.to_point * pace.final / pace.to_point

    @property
    def rows(self) -> list[tuple[QuarterPace, Decimal | None]]:
        return [(pace, self.implied_finish(pace)) for pace in self.earlier]

    @property
    def average_share_percent(self) -> Decimal | None:
        shares = [s for pace in self.earlier if (s := pace.share_percent) is not None]
        return sum(shares, ZERO) / len(shares) if shares else None


def pacing(
    quarter: FiscalQuarter | None = None, *, today: dt.date | None = None, book: RateBook | None = None
) -> Pacing:
    """Closed won to date in `quarter` (the current one by default) against the same point of each
    of the four quarters before it (2 queries: the rates and the won deals)."""
    today = today or timezone.localdate()
    quarter = quarter or FiscalQuarter.for_date(today)
    as_of = min(max(today, quarter.start - dt.timedelta(days=1)), quarter.end)
    offset = (as_of - quarter.start).days  # days after the first day; -1 before the quarter starts
    earlier_quarters = [quarter.shift(-n) for n in range(1, QUARTERS_BACK + 1)]
    rates = (book or RateBook.load()).on(timezone.localdate())
    rows = Opportunity.objects.filter(
        removed_in_salesforce_at__isnull=True,
        is_won=True,
        close_date__gte=earlier_quarters[-1].start,
        close_date__lte=quarter.end,
    ).values_list("close_date", "amount", "currency")
    won: list[tuple[dt.date, Decimal]] = []
    unconverted: dict[str, Decimal] = {}
    for close_date, amount, currency in rows:
        converted = rates.convert(amount or ZERO, currency)
        if converted is None:
            unconverted[currency] = unconverted.get(currency, ZERO) + (amount or ZERO)
        else:
            won.append((close_date, converted))

    def total(start: dt.date, end: dt.date) -> Decimal:
        return sum((amount for day, amount in won if start <= day <= end), ZERO)

    def pace(q: FiscalQuarter, *, running: bool) -> QuarterPace:
        point = min(q.end, q.start + dt.timedelta(days=offset))
        weeks = week_count(q)
        last_week = (offset // 7 + 1) if running else weeks
        return QuarterPace(
            quarter=q,
            to_point=total(q.start, point) if offset >= 0 else ZERO,
            final=None if running else total(q.start, q.end),
            by_week=[total(q.start, week_end(q, n)) for n in range(1, min(last_week, weeks) + 1)],
        )

    running = as_of < quarter.end
    current = pace(quarter, running=running)
    if not running:
        current.final = current.to_point
    return Pacing(
        quarter=quarter,
        as_of=as_of,
        day_number=offset + 1,
        week_number=max(1, offset // 7 + 1),
        current=current,
        earlier=[pace(q, running=False) for q in earlier_quarters],
        currency=corporate_currency(),
        unconverted=unconverted,
    )
