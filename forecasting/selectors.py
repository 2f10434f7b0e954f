"""Reads shared by the dashboard views: selectors for quarters and weeks."""

from __future__ import annotations

from core.fiscal import FiscalQuarter
from forecasting.models import ForecastSnapshot


def quarter_options(around: FiscalQuarter | None = None) -> list[FiscalQuarter]:
    current = around or FiscalQuarter.current()
    return [current.shift(n) for n in range(-4, 2)]


SNAPSHOT_LIMIT = 60


def snapshots() -> list[ForecastSnapshot]:
    """The most recent snapshots, newest first (for the week selector and comparisons)."""
    return list(ForecastSnapshot.objects.order_by("-week")[:SNAPSHOT_LIMIT])
