"""Email never fails silently: failures are logged and recorded for administrators; subjects stay one line."""

import logging

import pytest
from django.core import mail
from django.urls import reverse

from core import mail as core_mail
from core.models import EmailFailure
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
REFUSING = "tests.core.email_backends.RefusingBackend"


def test_failing_backend_is_logged_and_recorded_not_raised(
    settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = REFUSING
    with caplog.at_level(logging.ERROR, logger="core.mail"), django_capture_on_commit_callbacks(execute=True):
        core_mail.send_notification(
            subject="Digest",
            body="Body",
            recipients=["b@example.com", "a@example.com"],
            context={"event": "digest"},
        )
    failure = EmailFailure.objects.get()
    assert (failure.subject, failure.recipients) == ("Digest", ["a@example.com", "b@example.com"])
    assert failure.error.startswith("SMTPDataError") and failure.context == {"event": "digest"}
    [record] = [r for r in caplog.records if r.getMessage() == "email_failed"]
    assert record.recipients == ["a@example.com", "b@example.com"] and "relay refused" in record.error


@pytest.mark.parametrize(
    ("subject", "clean"),
    [("Line one\r\nBcc: x@evil.example", "Line one Bcc: x@evil.example"), ("A\n\n B\rC\t D", "A B C D")],
)
def test_subject_is_one_line(subject, clean, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        core_mail.send_notification(subject=subject, body="Body", recipients=["a@example.com"], context={})
    [message] = mail.outbox
    assert message.subject == clean and message.bcc == []
    assert not EmailFailure.objects.exists()


def test_sent_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        core_mail.send_notification(subject="Hello", body="Body", recipients=["a@example.com"], context={})
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_no_recipients_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        core_mail.send_notification(subject="Hello", body="Body", recipients=["", "  "], context={})
    assert callbacks == [] and mail.outbox == []


def test_failures_are_listed_read_only_for_administrators(admin_person, em, settings):
    settings.EMAIL_BACKEND = REFUSING
    core_mail.deliver(subject="Weekly digest", body="x", recipients=["a@example.com"], context={"event": "t"})
    failure = EmailFailure.objects.get()
    admin = client_for(admin_person)
    listing = admin.get(reverse("admin:core_emailfailure_changelist"))
    assert listing.status_code == 200 and "Weekly digest" in listing.content.decode()
    assert admin.get(reverse("admin:core_emailfailure_add")).status_code == 403
    change_url = reverse("admin:core_emailfailure_change", args=[failure.pk])
    assert admin.get(change_url).status_code == 200  # shown, read-only
    assert admin.post(change_url, {"subject": "edited"}).status_code == 403
    assert admin.post(reverse("admin:core_emailfailure_delete", args=[failure.pk])).status_code == 403
    assert EmailFailure.objects.get().subject == "Weekly digest"
    assert client_for(em).get(reverse("admin:core_emailfailure_changelist")).status_code == 302  # not staff
