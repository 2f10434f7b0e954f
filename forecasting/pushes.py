"""Which snapshot rows record a close date pushed into a later fiscal quarter.

A row is *pushed* when its close date lies in a later fiscal quarter than the close date of that
opportunity's row in the latest earlier snapshot holding it. The mark is written on the row when its
snapshot is taken (so the rule runs once per row, set-based, instead of on every read), and written
again for the snapshot that follows one replaced or deleted. The count of an opportunity's pushes
(deal hygiene's "pushed out of the quarter") is then the number of its marked rows, read from a
partial index that holds only those.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection

from forecasting.models import ForecastSnapshot, ForecastSnapshotRow


def _quarter_sql(column: str) -> str:
    """A number that grows by one with each fiscal quarter (year × 12 + month, less the fiscal-year
    start month, divided by three; always positive, so integer division floors it)."""
    if connection.vendor == "postgresql":
        year, month = f"EXTRACT(YEAR FROM {column})", f"EXTRACT(MONTH FROM {column})"
    else:
        year, month = f"strftime('%%Y', {column})", f"strftime('%%m', {column})"
    return f"((CAST({year} AS integer) * 12 + CAST({month} AS integer) - %s) / 3)"


def _tables() -> tuple[str, str]:
    qn = connection.ops.quote_name
    return qn(ForecastSnapshotRow._meta.db_table), qn(ForecastSnapshot._meta.db_table)


def mark(snapshot: ForecastSnapshot) -> None:
    """Mark the snapshot's pushed rows (and clear any other mark)."""
    _mark(snapshot.pk, snapshot.week)


def _mark(snapshot_id: int, week: dt.date) -> None:
    """First against the snapshot just before it (one join), then, for the opportunities that one
    did not hold, against their latest earlier row. Plain SQL only, so the migration that added the
    mark can run it too."""
    rows, snapshots = _tables()
    start = int(settings.FISCAL_YEAR_START_MONTH)
    # Only table names from the models are formatted in; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {rows} SET close_pushed = %s WHERE snapshot_id = %s AND close_pushed = %s",  # noqa: S608
            [False, snapshot_id, True],
        )
        cursor.execute(
            f"SELECT id FROM {snapshots} WHERE week < %s ORDER BY week DESC LIMIT 1",  # noqa: S608
            [week],
        )
        found = cursor.fetchone()
        if found is None:
            return
        previous_id = found[0]
        cursor.execute(
            f"""
            UPDATE {rows} AS n SET close_pushed = %s
            FROM {rows} AS p
            WHERE n.snapshot_id = %s AND p.snapshot_id = %s AND p.opportunity_id = n.opportunity_id
              AND {_quarter_sql("n.close_date")} > {_quarter_sql("p.close_date")}
            """,  # noqa: S608
            [True, snapshot_id, previous_id, start, start],
        )
        # The opportunities the snapshot before did not hold, found first (materialized), so the
        # lookup of their latest earlier row runs for those few only.
        cursor.execute(
            f"""
            WITH missing AS MATERIALIZED (
                SELECT n.id, n.opportunity_id, n.close_date FROM {rows} AS n
                WHERE n.snapshot_id = %s AND n.opportunity_id IS NOT NULL
                  AND NOT EXISTS (
                    SELECT 1 FROM {rows} AS p
                    WHERE p.snapshot_id = %s AND p.opportunity_id = n.opportunity_id
                  )
            )
            UPDATE {rows} SET close_pushed = %s
            WHERE id IN (
                SELECT m.id FROM missing AS m
                WHERE {_quarter_sql("m.close_date")} > (
                    SELECT {_quarter_sql("e.close_date")} FROM {rows} AS e
                    JOIN {snapshots} AS s ON s.id = e.snapshot_id
                    WHERE e.opportunity_id = m.opportunity_id AND s.week < %s
                    ORDER BY s.week DESC LIMIT 1
                )
            )
            """,  # noqa: S608
            [snapshot_id, previous_id, True, start, start, week],
        )


def mark_following(week: dt.date) -> None:
    """After the snapshot of `week` was replaced or deleted: mark again the one after it, whose
    comparison it was."""
    _, snapshots = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, week FROM {snapshots} WHERE week > %s ORDER BY week LIMIT 1",  # noqa: S608
            [week],
        )
        found = cursor.fetchone()
    if found is not None:
        _mark(found[0], _as_date(found[1]))


def mark_all() -> None:
    """Mark every snapshot's rows, oldest first (after a change of the fiscal-year start, or for
    rows written by other means)."""
    _, snapshots = _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, week FROM {snapshots} ORDER BY week")  # noqa: S608
        found = cursor.fetchall()
    for snapshot_id, week in found:
        _mark(snapshot_id, _as_date(week))


def _as_date(value: dt.date | str) -> dt.date:
    """A date column read by a raw cursor (SQLite hands back text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
