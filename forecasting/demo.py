"""Demo exchange rates, bookings plans and 20 weeks of snapshot history for `seed_demo`.

The history is derived from today's demo pipeline, walking back in time: opportunities appear
later, calls drift from Grey towards Green, amounts and close dates move, and deals that are
closed now were still open before their close date. Idempotent: existing weeks are kept.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from core.fiscal import FiscalQuarter
from engagements.models import Confidence, Opportunity
from forecasting import pushes
from forecasting.figures import RateBook
from forecasting.models import BookingsPlan, ExchangeRate, ForecastSnapshot, ForecastSnapshotRow
from forecasting.services import snapshot_take, week_of
from people.models import Region

RATES = {"EUR": "1.08", "GBP": "1.27", "AUD": "0.66", "SGD": "0.74", "CAD": "0.73"}
REGION_PLANS = {"AMER": "1600000", "EMEA": "1200000", "APAC": "700000", "PubSec": "500000"}
WEEKS = 20


def seed_rates_and_plans() -> None:
    start = FiscalQuarter.current().shift(-3).start
    for currency, rate in RATES.items():
        ExchangeRate.objects.get_or_create(
            currency=currency, effective_date=start, defaults={"rate": Decimal(rate)}
        )
    regions = {r.code: r for r in Region.objects.all()}
    for quarter in (FiscalQuarter.current().shift(n) for n in (-2, -1, 0, 1)):
        total = Decimal("0")
        for code, amount in REGION_PLANS.items():
            if code in regions:
                BookingsPlan.objects.get_or_create(
                    quarter=quarter.label,
                    region=regions[code],
                    engagement_manager=None,
                    defaults={"amount": Decimal(amount)},
                )
                total += Decimal(amount)
        BookingsPlan.objects.get_or_create(
            quarter=quarter.label, region=None, engagement_manager=None, defaults={"amount": total}
        )


def _row_as_of(opp: Opportunity, weeks_ago: int, week: dt.date) -> ForecastSnapshotRow | None:
    rng = random.Random(f"{opp.salesforce_id or opp.pk}-{weeks_ago}")
    seed = random.Random(str(opp.salesforce_id or opp.pk)).random()
    if seed * WEEKS * 1.6 < weeks_ago:  # this opportunity had not been created yet
        return None
    close_date = opp.close_date
    is_closed, is_won = opp.is_closed, opp.is_won
    if is_closed and close_date > week:
        is_closed = is_won = False
    if is_closed:
        if FiscalQuarter.for_date(close_date) != FiscalQuarter.for_date(week):
            return None  # closed in another quarter: not in that week's scope
    elif weeks_ago and rng.random() < 0.1:
        close_date = close_date + dt.timedelta(days=rng.choice([21, 35, 49]))
    confidence = opp.em_confidence
    if not is_closed and weeks_ago and rng.random() < weeks_ago * 0.03:
        confidence = rng.choice([Confidence.GREY, Confidence.AMBER, Confidence.RED])
    amount = opp.amount or Decimal("0")
    if weeks_ago and rng.random() < 0.2:
        amount = (amount * Decimal(rng.choice(["0.8", "0.9", "1.1", "1.25"]))).quantize(Decimal("500"))
    reviewed = opp.em_reviewed_at
    if reviewed is not None:
        reviewed = reviewed - dt.timedelta(weeks=weeks_ago)
    return ForecastSnapshotRow(
        opportunity=opp,
        name=opp.name,
        account_name=opp.account.name,
        amount=amount,
        currency=opp.currency,
        close_date=close_date,
        stage=opp.stage if not opp.is_closed or is_closed else "Negotiation",
        is_closed=is_closed,
        is_won=is_won,
        confidence=confidence,
        engagement_manager_id=opp.engagement_manager_id,
        engagement_manager_name=opp.engagement_manager.name if opp.engagement_manager else "",
        region_id=opp.region_id,
        region_code=opp.region.code if opp.region else "",
        em_reviewed_at=reviewed,
    )


def seed_history() -> int:
    """Snapshots for the last 20 weeks (synthesised) and this week (taken for real)."""
    this_week = week_of()
    opportunities = list(
        Opportunity.objects.filter(removed_in_salesforce_at__isnull=True).select_related(
            "account", "engagement_manager", "region"
        )
    )
    book = RateBook.load()
    created = 0
    for weeks_ago in range(WEEKS, 0, -1):
        week = this_week - dt.timedelta(weeks=weeks_ago)
        if ForecastSnapshot.objects.filter(week=week).exists():
            continue
        quarter = FiscalQuarter.for_date(week)
        # Synthesised weeks hold only their own quarter's closed deals: they answer that quarter.
        snapshot = ForecastSnapshot.objects.create(
            week=week,
            taken_at=timezone.make_aware(dt.datetime.combine(week, dt.time(6, 0))),
            closed_from=quarter.start,
            closed_to=quarter.end,
            rates=book.on(week).as_stored(),
        )
        rows = [row for opp in opportunities if (row := _row_as_of(opp, weeks_ago, week)) is not None]
        for row in rows:
            row.snapshot = snapshot
        ForecastSnapshotRow.objects.bulk_create(rows, batch_size=1000)
        snapshot.rows_count = len(rows)
        snapshot.save(update_fields=["rows_count"])
        created += 1
    if created:
        pushes.mark_all()  # the weeks written here, and any taken after them
    if not ForecastSnapshot.objects.filter(week=this_week).exists():
        snapshot_take(week=this_week)
        created += 1
    return created
