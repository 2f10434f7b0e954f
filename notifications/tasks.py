"""Celery tasks for notifications: thin wrappers that load by id and call the service."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from notifications.services import email_delivery_send

MAX_RETRIES = 4


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def send_notification_email(self: Task[[int], str], delivery_id: int) -> str:
    """Send one notification email. Idempotent: a sent one is never sent again. A failure is
    recorded on the delivery and retried with backoff (NOTIFICATION_EMAIL_RETRY_SECONDS, doubled
    each time: 1, 2, 4, 8 minutes by default); after that an administrator sends it again."""
    status = email_delivery_send(delivery_id=delivery_id)
    if status == "failed" and not self.request.is_eager and self.request.retries < MAX_RETRIES:
        base = float(settings.NOTIFICATION_EMAIL_RETRY_SECONDS)
        raise self.retry(countdown=base * 2**self.request.retries)
    return status
