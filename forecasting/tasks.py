"""Celery tasks for the forecast (thin: the service does the work)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from forecasting.services import snapshot_take


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540)
def take_weekly_snapshot(week: str | None = None) -> int:
    """Snapshot the pipeline for this week (or an ISO date's week). Idempotent: this week's is taken
    again; a past week's, once taken, is frozen and kept as it is."""
    snapshot = snapshot_take(week=dt.date.fromisoformat(week) if week else None, keep_frozen=True)
    return snapshot.rows_count
