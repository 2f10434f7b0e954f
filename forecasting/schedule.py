"""The weekly snapshot's beat schedule: Monday 06:00 in FORECAST_SNAPSHOT_TIME_ZONE. Created once,
then left to the admin (Periodic tasks), so an edited schedule is never overwritten."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

SCHEDULE_NAME = "Weekly forecast snapshot"
TASK_NAME = "forecasting.tasks.take_weekly_snapshot"


def ensure_snapshot_schedule(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask.objects.using(using).filter(name=SCHEDULE_NAME).exists():
        return False
    crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
        minute="0",
        hour="6",
        day_of_week="1",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.FORECAST_SNAPSHOT_TIME_ZONE,
    )
    PeriodicTask.objects.using(using).create(
        name=SCHEDULE_NAME,
        task=TASK_NAME,
        crontab=crontab,
        description="Store this week's pipeline for the forecast dashboard (re-running replaces the week).",
    )
    return True


def ensure_snapshot_schedule_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    tables = set(connections[using].introspection.table_names())
    if {"django_celery_beat_periodictask", "django_celery_beat_crontabschedule"} <= tables:
        ensure_snapshot_schedule(using=using)
