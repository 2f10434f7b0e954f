"""On a real Celery worker (Redis, when configured): a failed notification email is retried and
sent once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from notifications import services
from notifications.models import EmailDelivery, Kind
from tests.conftest import wait_for
from tests.notifications.email_backends import RefusingOnceBackend


@pytest.mark.django_db(transaction=True)
def test_a_failed_email_is_retried_by_the_worker_and_sent_once(celery_on_broker, em, settings):
    if celery_on_broker is None:
        pytest.skip("no Redis broker configured: tasks run eagerly and are not retried")
    settings.EMAIL_BACKEND = "tests.notifications.email_backends.RefusingOnceBackend"
    settings.NOTIFICATION_EMAIL_RETRY_SECONDS = 0.2
    RefusingOnceBackend.refused = 0
    with transaction.atomic():
        services.notify(recipients=[em], kind=Kind.SOW_SIGNED, title="SOW-1 signed", event_key="worker:1")
    delivery = wait_for(
        lambda: EmailDelivery.objects.filter(status=EmailDelivery.Status.SENT).first(), timeout=60
    )
    assert delivery.attempts == 2 and delivery.error == ""
    assert [m.subject for m in mail.outbox] == ["SOW-1 signed"]
