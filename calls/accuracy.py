"""Call accuracy: how far each person's week-N Commit call was from the quarter's actual Closed won.

For a closed quarter, the weeks of the quarter are the call weeks (Mondays) from the week holding
its first day to the week holding its last. For each person in the forecast hierarchy and each week
they called, the error is (Commit called − actual) ÷ actual × 100: above zero the call was too high
(over-calling), below zero too low (sandbagging). A week without a call has no error (calls are not
carried forward).

The actual of a person is the quarter's Closed won (deals won with a close date in the quarter, not
removed in Salesforce) of the opportunities whose EM is that person or anyone below them on today's
manager chain; the organisation's is that of everyone in its hierarchy. Amounts are converted into
the corporate currency with the rates in force on the quarter's last day, each deal rounded half-up
to cents once.

Over the last four closed quarters: MAPE = the mean of |error| over every week called (weeks of a
quarter whose actual is zero have no percentage and are left out); bias = the mean of the signed
errors, read as over-calling above +BIAS_BAND_PERCENT, sandbagging below −BIAS_BAND_PERCENT and
balanced between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from calls import selectors
from calls.models import ForecastCall, Level
from core.fiscal import FiscalQuarter
from engagements.models import Opportunity
from forecasting.figures import RateBook, corporate_currency

ZERO = Decimal("0")
HUNDRED = Decimal("100")
QUARTERS = 4
BIAS_BAND_PERCENT = Decimal("5")


def quarter_weeks(quarter: FiscalQuarter) -> list[dt.date]:
    """The call weeks (Mondays) of the quarter: week 1 holds its first day."""
    first = quarter.start - dt.timedelta(days=quarter.start.weekday())
    weeks = []
    week = first
    while week <= quarter.end:
        weeks.append(week)
        week += dt.timedelta(days=7)
    return weeks


def closed_quarters(today: dt.date | None = None, count: int = QUARTERS) -> list[FiscalQuarter]:
    """The last `count` quarters that have ended, the most recent first."""
    current = FiscalQuarter.for_date(today or timezone.localdate())
    return [current.shift(-n) for n in range(1, count + 1)]


@dataclass
class Point:
    week_number: int
    week: dt.date
    call: Decimal
    actual: Decimal

    @property
    def error(self) -> Decimal:
        return self.call - self.actual

    @property
    def percent(self) -> Decimal | None:
        """Signed percentage error; None when the actual is zero."""
        if not self.actual:
            return None
        return self.error / self.actual * HUNDRED


@dataclass
class PersonAccuracy:
    pk: int
    name: str
    level: str
    depth: int
    actuals: dict[str, Decimal] = field(default_factory=dict)  # quarter label -> actual
    points: dict[str, list[Point]] = field(default_factory=dict)  # quarter label -> weeks called

    @property
    def percents(self) -> list[Decimal]:
        return [p for points in self.points.values() for point in points if (p := point.percent) is not None]

    @property
    def mape(self) -> Decimal | None:
        values = self.percents
        return sum((abs(v) for v in values), ZERO) / len(values) if values else None

    @property
    def bias(self) -> Decimal | None:
        values = self.percents
        return sum(values, ZERO) / len(values) if values else None

    @property
    def bias_label(self) -> str:
        bias = self.bias
        if bias is None:
            return "—"
        if bias > BIAS_BAND_PERCENT:
            return "over-calling"
        if bias < -BIAS_BAND_PERCENT:
            return "sandbagging"
        return "balanced"

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)

    @property
    def calls_counted(self) -> int:
        return len(self.percents)

    def percent_by_week(self, quarter: FiscalQuarter, weeks: int) -> list[Decimal | None]:
        found = {point.week_number: point.percent for point in self.points.get(quarter.label, [])}
        return [found.get(n) for n in range(1, weeks + 1)]


@dataclass
class Accuracy:
    quarters: list[FiscalQuarter]  # the most recent first
    people: list[PersonAccuracy]  # hierarchy order
    currency: str
    unconverted: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # quarter -> currency -> amount

    def person(self, pk: int) -> PersonAccuracy:
        return next(p for p in self.people if p.pk == pk)


def accuracy(*, today: dt.date | None = None, quarters: int = QUARTERS) -> Accuracy:
    """Every person's error, week by week, over the last `quarters` closed quarters, with MAPE and
    bias (4 queries: the hierarchy, the rates, the won deals and the calls)."""
    chosen = closed_quarters(today, quarters)
    tree = selectors.hierarchy()
    book = RateBook.load()
    won = Opportunity.objects.filter(
        removed_in_salesforce_at__isnull=True,
        is_won=True,
        engagement_manager__isnull=False,
        close_date__gte=chosen[-1].start,
        close_date__lte=chosen[0].end,
    ).values_list("engagement_manager_id", "close_date", "amount", "currency")
    by_quarter = {q.label: q for q in chosen}
    own: dict[tuple[str, int], Decimal] = {}
    unconverted: dict[str, dict[str, Decimal]] = {}
    for em_id, close_date, amount, currency in won:
        quarter = FiscalQuarter.for_date(close_date)
        if quarter.label not in by_quarter:
            continue
        converted = book.on(quarter.end).convert(amount or ZERO, currency)
        if converted is None:
            bucket = unconverted.setdefault(quarter.label, {})
            bucket[currency] = bucket.get(currency, ZERO) + (amount or ZERO)
            continue
        own[(quarter.label, em_id)] = own.get((quarter.label, em_id), ZERO) + converted
    weeks = {q.label: quarter_weeks(q) for q in chosen}
    calls = ForecastCall.objects.filter(
        quarter__in=list(by_quarter), person_id__in=list(tree.members)
    ).values_list("person_id", "quarter", "week", "commit")
    called: dict[tuple[int, str], dict[dt.date, Decimal]] = {}
    for person_id, label, week, commit in calls:
        called.setdefault((person_id, label), {})[week] = commit
    people = []
    for pk, depth in tree.order():
        member = tree.members[pk]
        team = [pk, *tree.below(pk)]
        row = PersonAccuracy(pk, member.name, member.level, depth)
        for quarter in chosen:
            actual = sum((own.get((quarter.label, p), ZERO) for p in team), ZERO)
            row.actuals[quarter.label] = actual
            mine = called.get((pk, quarter.label), {})
            row.points[quarter.label] = [
                Point(n, week, mine[week], actual)
                for n, week in enumerate(weeks[quarter.label], start=1)
                if week in mine
            ]
        people.append(row)
    return Accuracy(chosen, people, corporate_currency(), unconverted)
