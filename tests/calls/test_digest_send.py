"""The Monday digest with the locmem email backend: who gets what, opt-out, nothing sent twice, and
user content escaped in the HTML part."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from calls import selectors as call_selectors
from calls.models import ForecastCall
from calls.services import call_submit
from core.roles import Role
from digest import services
from digest.models import DigestSent
from digest.schedule import SCHEDULE_NAME, ensure_digest_schedule
from engagements.models import Opportunity
from forecasting.services import snapshot_take
from notifications.models import Kind, NotificationPreference

pytestmark = pytest.mark.django_db

NOTE = '<script>alert("x")</script> Acme & Co PO slipping'


@pytest.fixture
def digest_world(org: dict[str, Any], make_person: Any, settings: Any) -> dict[str, Any]:
    settings.DIGEST_DAY = 0
    settings.DIGEST_TIME = "00:00"  # due from Monday 00:00: always due by now
    settings.DIGEST_TIME_ZONE = "UTC"
    settings.SITE_URL = "https://pipeline.example.com"
    lee = make_person(Role.LEADERSHIP, username="lee", name="Lee Leader")
    quiet = make_person(Role.LEADERSHIP, username="quiet", name="Quiet Leader")
    NotificationPreference.objects.create(user=quiet.user, kind=Kind.WEEKLY_DIGEST, in_app=True, email=False)
    lonely = make_person(Role.EM_MANAGER, username="lonely", name="Lonely Manager")  # leads nobody
    week = call_selectors.current_week()
    quarter = call_selectors.quarters_open()[0]
    e1 = org["e1"]
    # last week's call, then this week's (with a note): the change is 170 − 120 = +50
    now = timezone.now()
    ForecastCall.objects.create(
        person=e1,
        level="em",
        quarter=quarter.label,
        week=week - dt.timedelta(days=7),
        commit=Decimal("120"),
        best_case=Decimal("150"),
        currency="USD",
        system_commit=Decimal("150"),
        system_best_case=Decimal("180"),
        default_commit=Decimal("150"),
        default_best_case=Decimal("180"),
        submitted_at=now,
        first_submitted_at=now,
    )
    call_submit(actor=e1.user, person=e1, quarter=quarter, commit="170", best_case="190", note=NOTE)
    # a snapshot last week; since then Eric Two's Green deal went from 200 to 450
    snapshot_take(week=week - dt.timedelta(days=7))
    Opportunity.objects.filter(engagement_manager=org["e2"]).update(amount=Decimal("450"))
    # a past-due deal of Emma Three's (Max Manager's team), whatever day of the quarter today is
    Opportunity.objects.filter(engagement_manager=org["e3"], is_closed=False, em_confidence="Grey").update(
        close_date=timezone.localdate() - dt.timedelta(days=3)
    )
    return {**org, "lee": lee, "quiet": quiet, "lonely": lonely, "week": week}


def _send(capture: Any) -> int:
    with capture(execute=True):
        return services.digests_send()


def _by_to() -> dict[str, Any]:
    return {message.to[0]: message for message in mail.outbox}


def test_who_gets_what(digest_world, django_capture_on_commit_callbacks):
    assert _send(django_capture_on_commit_callbacks) == 3
    messages = _by_to()
    m1, m2, lee = digest_world["m1"], digest_world["m2"], digest_world["lee"]
    # EM Managers with a team and leadership; not the one who opted out, not a manager of nobody,
    # not the EMs nor the director
    assert set(messages) == {m1.email, m2.email, lee.email}
    mia = messages[m1.email]
    text = mia.body
    assert "your team" in mia.subject and "\n" not in mia.subject
    assert "Ella One (Engagement Manager): 170.00 / 190.00, Commit +50.00" in text
    assert NOTE in text  # plain text as typed
    assert "- Eric Two" in text  # not submitted yet, in Mia's team
    assert "Emma Three" not in text  # Max's team
    assert "Amount up" in text and "https://pipeline.example.com/opportunities/" in text
    assert "https://pipeline.example.com/calls/team/?person=" in text
    max_text = messages[m2.email].body
    assert NOTE not in max_text and "Amount up" not in max_text
    # Max's team's past-due deals, counted from the raw rows: Emma Three's open ones closing before today
    late = Opportunity.objects.filter(
        engagement_manager=digest_world["e3"], is_closed=False, close_date__lt=timezone.localdate()
    ).count()
    assert late >= 1
    flag_url = "https://pipeline.example.com/forecast/hygiene/?flag=past_due"
    assert f"Close date in the past while open: {late} ({flag_url})" in max_text
    lee_text = messages[lee.email].body
    assert "the organisation" in lee_text
    for name in ("Dana Director", "Mia Manager", "Max Manager"):
        assert name in lee_text
    assert "Amount up" in lee_text


def test_html_part_escapes_user_content(digest_world, django_capture_on_commit_callbacks):
    _send(django_capture_on_commit_callbacks)
    message = _by_to()[digest_world["m1"].email]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Acme &amp; Co PO slipping" in html
    assert 'href="https://pipeline.example.com/forecast/"' in html


def test_nothing_is_sent_twice(digest_world, django_capture_on_commit_callbacks):
    assert _send(django_capture_on_commit_callbacks) == 3
    assert _send(django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 3
    assert DigestSent.objects.filter(week=digest_world["week"]).count() == 3


def test_someone_who_turns_it_on_again_gets_it_once(digest_world, django_capture_on_commit_callbacks):
    _send(django_capture_on_commit_callbacks)
    NotificationPreference.objects.filter(user=digest_world["quiet"].user).update(email=True)
    assert _send(django_capture_on_commit_callbacks) == 1
    assert mail.outbox[-1].to == [digest_world["quiet"].email]


def test_nothing_before_the_configured_moment(digest_world, settings, django_capture_on_commit_callbacks):
    week = digest_world["week"]
    settings.DIGEST_DAY = 2
    settings.DIGEST_TIME = "09:30"
    settings.DIGEST_TIME_ZONE = "Europe/Paris"
    moment = services.digest_moment(week)
    assert moment == dt.datetime(week.year, week.month, week.day, 9, 30, tzinfo=moment.tzinfo) + dt.timedelta(
        days=2
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digests_send(now=moment - dt.timedelta(minutes=1)) == 0
        assert services.digests_send(now=moment) == 3
    assert len(mail.outbox) == 3


def test_the_beat_entry_is_created_once(db):
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(name=SCHEDULE_NAME).delete()
    assert ensure_digest_schedule() is True
    assert ensure_digest_schedule() is False
    assert PeriodicTask.objects.get(name=SCHEDULE_NAME).task == "digest.tasks.send_weekly_digests"


def test_the_task_sends(digest_world, django_capture_on_commit_callbacks):
    from digest.tasks import send_weekly_digests

    with django_capture_on_commit_callbacks(execute=True):
        assert send_weekly_digests.delay().get() == 3
    assert len(mail.outbox) == 3
