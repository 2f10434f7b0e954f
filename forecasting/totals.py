"""Per-snapshot totals: a snapshot's rows summed per fiscal quarter, colour, currency and won/closed.

Written when the snapshot is taken (and, for a snapshot stored before totals existed or grouped by
another fiscal year start month, the first time they are read), so the trend reads a few rows per
week whatever the number of opportunities. Each row's converted amount is rounded to cents once
with the snapshot's own rates before it is summed, as everywhere else.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth

from core.fiscal import FiscalQuarter
from core.money import quantize_cents
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow, ForecastSnapshotTotal

ZERO = Decimal("0")


def _rate_of(snapshot: ForecastSnapshot) -> dict[str, Decimal]:
    rates = {currency: Decimal(rate) for currency, rate in snapshot.rates.items()}
    rates[str(settings.CORPORATE_CURRENCY)] = Decimal("1")
    return rates


def totals_write(snapshot: ForecastSnapshot) -> None:
    """Replace the snapshot's totals with sums of its rows (one grouped query, one insert)."""
    start_month = int(settings.FISCAL_YEAR_START_MONTH)
    rates = _rate_of(snapshot)
    quarters: dict[dt.date, str] = {}
    sums: dict[tuple[str, str, str, bool, bool], list[Decimal | int | None]] = defaultdict(
        lambda: [0, ZERO, ZERO]
    )

    def add(
        month: dt.date,
        confidence: str,
        currency: str,
        won: bool,
        closed: bool,
        n: int,
        amount: Decimal,
        converted: Decimal | None,
    ) -> None:
        if isinstance(month, dt.datetime):
            month = month.date()
        label = quarters.get(month)
        if label is None:
            label = quarters[month] = FiscalQuarter.for_date(month, start_month).label
        total = sums[(label, confidence, currency, bool(won), bool(closed))]
        total[0] = int(total[0] or 0) + n
        total[1] = Decimal(total[1] or 0) + Decimal(amount)
        if converted is None or total[2] is None:
            total[2] = None
        else:
            total[2] = Decimal(total[2]) + converted

    if connection.vendor == "postgresql":
        # Summed in the database, each row converted and rounded to cents before the sum (exact
        # numeric arithmetic; ROUND rounds half away from zero, as quantize_cents does).
        values = ", ".join(["(%s, CAST(%s AS numeric))"] * len(rates))
        sql = f"""
            WITH rates (currency, rate) AS (VALUES {values})
            SELECT CAST(date_trunc('month', r.close_date) AS date), r.confidence, r.currency, r.is_won,
                   r.is_closed, COUNT(*), SUM(r.amount), SUM(ROUND(r.amount * rates.rate, 2)),
                   BOOL_OR(rates.rate IS NULL)
            FROM {connection.ops.quote_name(ForecastSnapshotRow._meta.db_table)} r
            LEFT JOIN rates ON rates.currency = r.currency
            WHERE r.snapshot_id = %s
            GROUP BY 1, 2, 3, 4, 5
        """  # noqa: S608 (only the table name is formatted in)
        params = [value for pair in sorted(rates.items()) for value in pair] + [snapshot.pk]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for month, confidence, currency, won, closed, n, amount, converted, no_rate in cursor.fetchall():
                add(month, confidence, currency, won, closed, n, amount, None if no_rate else converted)
    else:
        groups = (
            ForecastSnapshotRow.objects.filter(snapshot=snapshot)
            .annotate(month=TruncMonth("close_date"))
            .values_list("month", "confidence", "currency", "is_won", "is_closed", "amount")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for month, confidence, currency, is_won, is_closed, amount, n in groups:
            amount = Decimal(amount)
            rate = rates.get(currency)
            converted = None if rate is None else quantize_cents(amount * rate) * n
            add(month, confidence, currency, is_won, is_closed, n, amount * n, converted)
    ForecastSnapshotTotal.objects.filter(snapshot=snapshot).delete()
    ForecastSnapshotTotal.objects.bulk_create(
        [
            ForecastSnapshotTotal(
                snapshot=snapshot,
                quarter=label,
                confidence=confidence,
                currency=currency,
                is_won=is_won,
                is_closed=is_closed,
                count=int(count or 0),
                amount=Decimal(amount or 0),
                converted=None if converted is None else Decimal(converted),
            )
            for (label, confidence, currency, is_won, is_closed), (count, amount, converted) in sums.items()
        ],
        batch_size=1000,
    )
    ForecastSnapshot.objects.filter(pk=snapshot.pk).update(totals_start_month=start_month)
    snapshot.totals_start_month = start_month


def totals_ensure(snapshots: Iterable[ForecastSnapshot]) -> None:
    """Write the totals of any snapshot that has none for today's fiscal calendar (each under a lock
    on its snapshot, so two readers never write them twice)."""
    start_month = int(settings.FISCAL_YEAR_START_MONTH)
    for snapshot in snapshots:
        if snapshot.totals_start_month == start_month:
            continue
        with transaction.atomic():
            locked = ForecastSnapshot.objects.select_for_update().get(pk=snapshot.pk)
            if locked.totals_start_month != start_month:
                totals_write(locked)
        snapshot.totals_start_month = start_month


def analyze() -> None:
    """Fresh planner statistics for the snapshot tables after a bulk write (PostgreSQL only): without
    them the week-over-week join is planned for empty tables."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # The columns the dashboard's joins and filters use: fewer columns, a quicker ANALYZE.
        rows = connection.ops.quote_name(ForecastSnapshotRow._meta.db_table)
        cursor.execute(f"ANALYZE {rows} (snapshot_id, opportunity_id, close_date)")
        cursor.execute(f"ANALYZE {connection.ops.quote_name(ForecastSnapshotTotal._meta.db_table)}")
