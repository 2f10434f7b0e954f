"""The approval ladder's beat schedule: every 15 minutes, reminders before a step is due and
escalations once it is overdue (the task sends each once). Created once, then left to the admin
(Periodic tasks)."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

SCHEDULE_NAME = "SOW approval reminders and escalations"
TASK_NAME = "sow.tasks.send_approval_notices"


def ensure_approval_schedule(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask.objects.using(using).filter(name=SCHEDULE_NAME).exists():
        return False
    crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
        minute="*/15", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.using(using).create(
        name=SCHEDULE_NAME,
        task=TASK_NAME,
        crontab=crontab,
        description="Remind approvers of SOW and change request steps before they are due, and tell the "
        "escalation role or the approver's manager once a step is overdue (each once).",
    )
    return True


def ensure_approval_schedule_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    tables = set(connections[using].introspection.table_names())
    if {"django_celery_beat_periodictask", "django_celery_beat_crontabschedule"} <= tables:
        ensure_approval_schedule(using=using)
