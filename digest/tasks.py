from __future__ import annotations

from celery import shared_task

from digest import services


@shared_task
def send_weekly_digests() -> int:
    """Hourly: send the week's digests once their day and time have come (idempotent)."""
    return services.digests_send()
