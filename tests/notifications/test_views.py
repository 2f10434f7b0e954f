"""The bell, the list (unread first, paged, mark read) and the preferences page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Kind, Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def make(user, n: int, *, start: int = 0, read: bool = False) -> list[Notification]:
    rows = [
        Notification(
            user=user,
            kind=Kind.SOW_SIGNED,
            title=f"Note {i}",
            body=f"Body {i}",
            link="/sow/",
            event_key=f"view-test:{i}",
            read_at=timezone.now() if read else None,
        )
        for i in range(start, start + n)
    ]
    return Notification.objects.bulk_create(rows)


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_bell_shows_the_unread_count(em, login):
    make(em.user, 3)
    make(em.user, 2, start=10, read=True)
    page = login(em).get(reverse("engagements:pipeline")).content.decode()
    assert 'data-testid="unread-count">3<' in page


def test_no_badge_without_unread(em, login):
    page = login(em).get(reverse("engagements:pipeline")).content.decode()
    assert 'data-testid="notification-bell"' in page and 'data-testid="unread-count"' not in page


@pytest.mark.parametrize("url_name", ["notifications:list", "engagements:pipeline"])
def test_query_count_does_not_grow_with_notifications(em, ps_director, login, url_name):
    client = login(em)
    make(em.user, 2)
    make(ps_director.user, 1, start=100)
    few = queries(client, reverse(url_name))
    make(em.user, 60, start=2)
    make(em.user, 10, start=200, read=True)
    assert queries(client, reverse(url_name)) == few


def test_list_shows_unread_first_and_pages(em, login):
    make(em.user, 3, read=True)
    make(em.user, 30, start=3)
    client = login(em)
    first = client.get(reverse("notifications:list")).content.decode()
    assert first.count('data-testid="notification"') == 25
    assert "Note 0<" not in first and "Note 32<" in first  # newest unread first, read ones later
    second = client.get(reverse("notifications:list") + "?page=2").content.decode()
    assert second.count('data-testid="notification"') == 8
    assert "Note 0<" in second


def test_list_escapes_what_users_wrote(em, login):
    services.notify(
        recipients=[em],
        kind=Kind.TA_SENT_BACK,
        title="<b>x</b>",
        body="<script>alert(1)</script>",
        event_key="k",
    )
    page = login(em).get(reverse("notifications:list")).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "<b>x</b>" not in page


def test_list_shows_only_own(em, ps_director, login):
    make(ps_director.user, 1, start=50)
    page = login(em).get(reverse("notifications:list")).content.decode()
    assert "Note 50" not in page


def test_open_marks_read_and_goes_to_the_page(em, login):
    [note] = make(em.user, 1)
    response = login(em).post(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == "/sow/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_someone_elses_notification_is_not_found(em, ps_director, login):
    [note] = make(ps_director.user, 1)
    client = login(em)
    assert client.post(reverse("notifications:open", args=[note.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_read_and_mark_all_read(em, ps_director, login):
    first, *_ = make(em.user, 3)
    [theirs] = make(ps_director.user, 1, start=9)
    client = login(em)
    client.post(reverse("notifications:read", args=[first.pk]))
    assert Notification.objects.filter(user=em.user, read_at__isnull=True).count() == 2
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert not Notification.objects.filter(user=em.user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_needs_the_csrf_token(em):
    [note] = make(em.user, 1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(em.user)
    assert client.post(reverse("notifications:read_all")).status_code == 403
    assert client.post(reverse("notifications:open", args=[note.pk])).status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_get_does_not_mark_read(em, login):
    [note] = make(em.user, 1)
    assert login(em).get(reverse("notifications:open", args=[note.pk])).status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_preferences_default_on_and_saved(em, login, django_capture_on_commit_callbacks):
    client = login(em)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert page.count("checked") == 2 * len(Kind)
    data = {f"{kind.value}__in_app": "on" for kind in Kind}
    data |= {f"{kind.value}__email": "on" for kind in Kind if kind != Kind.TA_SENT_BACK}
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=em.user, kind=Kind.TA_SENT_BACK)
    assert (pref.in_app, pref.email) == (True, False)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[em], kind=Kind.TA_SENT_BACK, title="Sent back", event_key="p:1")
        services.notify(recipients=[em], kind=Kind.TA_APPROVED, title="Approved", event_key="p:2")
    assert [m.subject for m in mail.outbox] == ["Approved"]
    assert Notification.objects.filter(user=em.user, in_app=True).count() == 2
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert page.count("checked") == 2 * len(Kind) - 1
