"""Celery tasks for forecast calls (thin: the service does the work)."""

from __future__ import annotations

from celery import shared_task

from calls.services import reminders_send


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_call_reminders() -> int:
    """Remind those who have not submitted this week's call, when the deadline is near. Idempotent:
    each person is reminded once per week."""
    return reminders_send()
