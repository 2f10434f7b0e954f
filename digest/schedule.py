"""The digest's beat entry: every hour on the hour; the run itself sends only once the week's
DIGEST_DAY and DIGEST_TIME (in DIGEST_TIME_ZONE) have come, and only once per user and week, so the
day and time are settings read at each run. Created once, then left to the admin."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

SCHEDULE_NAME = "Monday forecast digest"
TASK_NAME = "digest.tasks.send_weekly_digests"


def ensure_digest_schedule(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask.objects.using(using).filter(name=SCHEDULE_NAME).exists():
        return False
    crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
        minute="0", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.using(using).create(
        name=SCHEDULE_NAME,
        task=TASK_NAME,
        crontab=crontab,
        description="Email the week's forecast digest to EM Managers and leadership once the configured "
        "day and time have come (once per user and week).",
    )
    return True


def ensure_digest_schedule_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    tables = set(connections[using].introspection.table_names())
    if {"django_celery_beat_periodictask", "django_celery_beat_crontabschedule"} <= tables:
        ensure_digest_schedule(using=using)
