"""The notify service: in-app rows and emails after commit, once per event, as each user chose."""

from __future__ import annotations

import logging

import pytest
from django.core import mail

from core.roles import Role
from notifications import services, tasks
from notifications.models import EmailDelivery, Kind, Notification, NotificationPreference
from notifications.selectors import unread_count
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db
REFUSING = "tests.core.email_backends.RefusingBackend"


def tell(recipients, *, key="event:1", actor=None, kind=Kind.SOW_SIGNED):
    return services.notify(
        recipients=recipients,
        kind=kind,
        title="SOW-1 was signed",
        body="The customer signed SOW-1.",
        link="/sow/1/",
        event_key=key,
        actor=actor,
    )


def test_writes_in_app_and_emails_after_commit(em, ps_director, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell([em, ps_director.user])
    assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([em.user.email, ps_director.user.email])
    assert mail.outbox[0].subject == "SOW-1 was signed"
    assert "The customer signed SOW-1." in mail.outbox[0].body and "http" in mail.outbox[0].body
    rows = Notification.objects.filter(in_app=True).values_list("user_id", flat=True)
    assert sorted(rows) == sorted([em.user_id, ps_director.user_id])
    assert EmailDelivery.objects.filter(status=EmailDelivery.Status.SENT).count() == 2


def test_one_event_is_told_once(em, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tell([em, em.user])  # the same person twice in one call
        tell([em])  # and the same event again
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_running_the_task_again_sends_nothing_more(em, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tell([em])
    delivery = EmailDelivery.objects.get()
    assert tasks.send_notification_email.delay(delivery.pk).get() == "sent"
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_the_actor_is_not_told_of_their_own_action(em, ps_director, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tell([em, ps_director], actor=em.user)
    assert list(Notification.objects.values_list("user_id", flat=True)) == [ps_director.user_id]
    assert [m.to for m in mail.outbox] == [[ps_director.user.email]]


def test_email_off_keeps_the_bell(em, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=em.user, kind=Kind.SOW_SIGNED, in_app=True, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        tell([em])
    assert mail.outbox == []
    assert unread_count(em.user) == 1


def test_in_app_off_still_emails(em, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=em.user, kind=Kind.SOW_SIGNED, in_app=False, email=True)
    with django_capture_on_commit_callbacks(execute=True):
        tell([em])
    assert len(mail.outbox) == 1
    assert unread_count(em.user) == 0


def test_both_off_tells_nothing_and_other_kinds_stay_on(em, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=em.user, kind=Kind.SOW_SIGNED, in_app=False, email=False)
    with django_capture_on_commit_callbacks(execute=True):
        tell([em])
        tell([em], kind=Kind.SOW_SENT, key="event:2")
    assert [m.subject for m in mail.outbox] == ["SOW-1 was signed"]
    assert list(Notification.objects.values_list("kind", flat=True)) == [Kind.SOW_SENT]


def test_person_without_login_is_emailed_only(db, django_capture_on_commit_callbacks):
    engineer = PersonFactory(user=None, role=Role.PS_ENGINEER, email="engineer@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        tell([engineer])
        tell([engineer])
    assert [m.to for m in mail.outbox] == [["engineer@example.com"]]
    note = Notification.objects.get()
    assert note.user is None and note.person == engineer and not note.in_app


def test_failed_send_is_recorded_logged_and_the_caller_unharmed(
    settings, em, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = REFUSING
    with (
        caplog.at_level(logging.ERROR, logger="notifications.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tell([em])
    delivery = EmailDelivery.objects.get()
    assert delivery.status == EmailDelivery.Status.FAILED
    assert "SMTPDataError" in delivery.error and delivery.attempts == 1
    [record] = [r for r in caplog.records if r.getMessage() == "email_failed"]
    assert record.recipients == [em.user.email]
    # Fixed at the mail server: an administrator sends it again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.email_delivery_retry(actor=_admin(), delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert delivery.status == EmailDelivery.Status.SENT and delivery.attempts == 2 and delivery.error == ""
    assert len(mail.outbox) == 1


def _admin():
    from tests.people.factories import UserFactory

    return UserFactory(is_superuser=True, is_staff=True)


def test_unsafe_links_are_dropped(em):
    [note] = services.notify(
        recipients=[em], kind=Kind.SOW_SENT, title="x\r\nBcc: a@b", link="javascript:alert(1)", event_key="k"
    )
    assert note.link == "" and note.title == "x Bcc: a@b"


def test_inactive_users_are_not_told(em):
    em.user.is_active = False
    em.user.save()
    assert tell([em]) == []


def test_mark_read_only_own(em, ps_director):
    from django.core.exceptions import PermissionDenied

    [note] = tell([em])
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(actor=ps_director.user, notification=note)
    assert Notification.objects.get().read_at is None
    services.notification_mark_read(actor=em.user, notification=note)
    assert Notification.objects.get().read_at is not None


def test_mark_all_read_touches_only_own(em, ps_director):
    tell([em, ps_director])
    tell([em], key="event:2")
    assert services.notification_mark_all_read(actor=em.user) == 2
    assert unread_count(em.user) == 0 and unread_count(ps_director.user) == 1


def test_failed_emails_show_on_the_system_status(
    em, admin_person, settings, django_capture_on_commit_callbacks
):
    from django.test import Client

    from config.health import health_report

    def status() -> tuple[str, str]:
        check = next(c for c in health_report().checks if c.name == "notification_emails")
        return check.status, check.detail

    assert status() == ("ok", "0 failed")
    settings.EMAIL_BACKEND = REFUSING
    with django_capture_on_commit_callbacks(execute=True):
        tell([em])
    assert status() == ("degraded", "1 failed")
    client = Client()
    client.force_login(admin_person.user)
    page = client.get("/admin/status/").content.decode()
    assert "/admin/notifications/emaildelivery/?status__exact=failed" in page
    listing = client.get("/admin/notifications/emaildelivery/?status__exact=failed").content.decode()
    assert "SMTPDataError" in listing
