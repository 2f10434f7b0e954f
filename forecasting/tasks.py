"""Celery tasks for the forecast (thin: the service does the work)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from core.jobs import job_finish, job_start
from forecasting.services import snapshot_take


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540)
def take_weekly_snapshot(week: str | None = None) -> int:
    """Snapshot the pipeline for this week (or an ISO date's week). Idempotent: this week's is taken
    again; a past week's, once taken, is frozen and kept as it is."""
    snapshot = snapshot_take(week=dt.date.fromisoformat(week) if week else None, keep_frozen=True)
    return snapshot.rows_count


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=600, soft_time_limit=540)
def take_snapshot_now(job_id: int, actor_id: int, replace: bool = False) -> int:
    """This week's snapshot, asked for by hand (forecasting.services.snapshot_take_request)."""
    if not job_start(job_id):
        return 0  # a redelivered message whose snapshot was already taken
    actor = get_user_model().objects.filter(pk=actor_id, is_active=True).first()
    if actor is None:
        job_finish(job_id, ok=False, message="The person who asked for it can no longer sign in.")
        return 0
    try:
        snapshot = snapshot_take(actor=actor, replace=replace)
    except ValidationError as exc:
        job_finish(job_id, ok=False, message=" ".join(exc.messages))
        return 0
    except Exception as exc:
        job_finish(job_id, ok=False, message=f"The snapshot stopped with an error: {exc}")
        raise
    rows = snapshot.rows_count
    noun = "opportunity" if rows == 1 else "opportunities"
    job_finish(job_id, ok=True, message=f"{snapshot}: {rows:,} {noun} stored.")
    return rows
