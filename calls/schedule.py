"""The call reminders' beat schedule: every hour at minute 5 (the task itself decides whether the
deadline is near). Created once, then left to the admin (Periodic tasks)."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

SCHEDULE_NAME = "Forecast call reminders"
TASK_NAME = "calls.tasks.send_call_reminders"


def ensure_reminder_schedule(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask.objects.using(using).filter(name=SCHEDULE_NAME).exists():
        return False
    crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
        minute="5", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.using(using).create(
        name=SCHEDULE_NAME,
        task=TASK_NAME,
        crontab=crontab,
        description="Email those who have not submitted this week's forecast call before the deadline "
        "(each person once a week).",
    )
    return True


def ensure_reminder_schedule_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    tables = set(connections[using].introspection.table_names())
    if {"django_celery_beat_periodictask", "django_celery_beat_crontabschedule"} <= tables:
        ensure_reminder_schedule(using=using)
