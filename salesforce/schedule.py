"""The beat schedule for the sync: created once (every SALESFORCE_SYNC_INTERVAL_MINUTES), then
left to the admin (Periodic tasks) — a later migrate never overwrites an edited schedule."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from salesforce.tasks import SALESFORCE_SYNC_TASK

SCHEDULE_NAME = "Salesforce sync"


def ensure_sync_schedule(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Create the periodic task if it does not exist; True when it was created."""
    if PeriodicTask.objects.using(using).filter(name=SCHEDULE_NAME).exists():
        return False
    interval, _ = IntervalSchedule.objects.using(using).get_or_create(
        every=max(1, int(settings.SALESFORCE_SYNC_INTERVAL_MINUTES)), period=IntervalSchedule.MINUTES
    )
    PeriodicTask.objects.using(using).create(
        name=SCHEDULE_NAME,
        task=SALESFORCE_SYNC_TASK,
        interval=interval,
        kwargs=json.dumps({"trigger": "schedule"}),
        description="Pull opportunities from Salesforce, then push the EM fields. Runs never overlap.",
    )
    return True


def ensure_sync_schedule_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    tables = set(connections[using].introspection.table_names())
    if {"django_celery_beat_periodictask", "django_celery_beat_intervalschedule"} <= tables:
        ensure_sync_schedule(using=using)
