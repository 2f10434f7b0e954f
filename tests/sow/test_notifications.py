"""SOW emails go through the notification service: a failed send is recorded, a title with CR/LF
still sends."""

import logging

import pytest
from django.core import mail

from notifications.models import EmailDelivery
from sow import services
from sow.models import MANDATORY_SECTIONS, Sow

pytestmark = pytest.mark.django_db
REFUSING = "tests.core.email_backends.RefusingBackend"


def submit(em, draft):
    for name in MANDATORY_SECTIONS:
        if not getattr(draft, name):
            setattr(draft, name, f"{name} text")
    draft.save()
    return services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)


def test_failed_send_is_logged_and_recorded_and_the_action_stands(
    settings, em, director, draft, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = REFUSING
    with (
        caplog.at_level(logging.ERROR, logger="notifications.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        version = submit(em, draft)  # raises nothing to the EM

    assert version.status == "submitted"
    failure = EmailDelivery.objects.get(to=director.user.email)
    assert failure.status == EmailDelivery.Status.FAILED
    assert failure.subject == f"SOW for approval: {version.sow.reference} {version.sow.title}"
    assert "SMTPDataError" in failure.error and "relay refused" in failure.error
    assert failure.notification.kind == "sow_submitted"
    assert failure.notification.link == "/admin/sow/approvalqueueitem/"
    [record] = [r for r in caplog.records if r.getMessage() == "email_failed"]
    assert record.recipients == [director.user.email] and "relay refused" in record.error
    assert record.context["event"] == "sow_submitted"


def test_title_with_cr_lf_still_sends_with_a_one_line_subject(
    em, director, draft, django_capture_on_commit_callbacks
):
    Sow.objects.filter(pk=draft.sow_id).update(title="Harbor\r\nBcc: attacker@evil.example")
    draft.sow.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        version = submit(em, draft)

    [message] = mail.outbox
    assert message.subject == f"SOW for approval: {version.sow.reference} Harbor Bcc: attacker@evil.example"
    assert "\r" not in message.subject and "\n" not in message.subject
    assert message.bcc == [] and "attacker@evil.example" not in message.recipients()
    assert not EmailDelivery.objects.exclude(status=EmailDelivery.Status.SENT).exists()
