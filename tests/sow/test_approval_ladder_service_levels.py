"""Service levels in working hours (weekends, region hours, daylight saving), reminders and
escalations sent once each, and the ladder on the queue, review, SOW and dashboard pages."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from notifications.models import Notification
from sow import services
from sow.models import (
    ApprovalRule,
    ApprovalStep,
    ApproverRole,
    ApproverRoleMember,
    Delegation,
    MarginTarget,
    WorkingCalendar,
)
from sow.selectors import approvals_closing_in
from sow.services import ladder
from sow.working_hours import Calendar, add_working_hours, calendar_for, working_hours_between
from tests.sow.factories import take_to

pytestmark = pytest.mark.django_db
UTC = dt.UTC
LONDON = Calendar("Europe/London", frozenset({1, 2, 3, 4, 5}), dt.time(9), dt.time(17))
NEW_YORK = Calendar("America/New_York", frozenset({1, 2, 3, 4, 5}), dt.time(8), dt.time(18))


# --------------------------------------------------------------------------- due times, by hand


def test_due_time_skips_the_weekend_and_follows_the_spring_clock_change():
    # Friday 27 March 2026 15:00 GMT: 2 h left that day; Monday 30 March (BST, UTC+1) 8 h;
    # Tuesday 31 March 6 h more → 15:00 BST = 14:00 UTC.
    start = dt.datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    assert add_working_hours(start, Decimal("16"), LONDON) == dt.datetime(2026, 3, 31, 14, 0, tzinfo=UTC)


def test_due_time_across_the_autumn_clock_change_in_new_york():
    # Friday 30 October 2026 16:00 EDT (20:00 UTC), hours 08–18: 2 h on Friday; 3 h more from
    # Monday 2 November 08:00 EST (UTC−5) → 11:00 EST = 16:00 UTC.
    start = dt.datetime(2026, 10, 30, 20, 0, tzinfo=UTC)
    assert add_working_hours(start, Decimal("5"), NEW_YORK) == dt.datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


def test_start_outside_hours_counts_from_the_next_working_moment():
    saturday = dt.datetime(2026, 6, 6, 12, 0, tzinfo=UTC)  # 13:00 BST on a Saturday
    # Monday 8 June 09:00 BST + 4 h = 13:00 BST = 12:00 UTC.
    assert add_working_hours(saturday, Decimal("4"), LONDON) == dt.datetime(2026, 6, 8, 12, 0, tzinfo=UTC)
    early = dt.datetime(2026, 6, 8, 5, 30, tzinfo=UTC)  # 06:30 BST
    assert add_working_hours(early, Decimal("1.5"), LONDON) == dt.datetime(2026, 6, 8, 9, 30, tzinfo=UTC)
    late = dt.datetime(2026, 6, 8, 17, 0, tzinfo=UTC)  # 18:00 BST: the day is over
    assert add_working_hours(late, Decimal("8"), LONDON) == dt.datetime(2026, 6, 9, 16, 0, tzinfo=UTC)


def test_region_working_days_are_used(region_emea):
    # A Sunday–Thursday region, 08:00–16:00 in Dubai (UTC+4, no daylight saving).
    WorkingCalendar.objects.create(
        region=region_emea,
        time_zone="Asia/Dubai",
        working_days="71234",
        day_start=dt.time(8),
        day_end=dt.time(16),
    )
    calendar = calendar_for(region_emea)
    thursday = dt.datetime(2026, 6, 4, 10, 0, tzinfo=UTC)  # 14:00 Dubai: 2 h left
    # Friday and Saturday are off: Sunday 7 June 08:00 + 4 h = 12:00 Dubai = 08:00 UTC.
    assert add_working_hours(thursday, Decimal("6"), calendar) == dt.datetime(2026, 6, 7, 8, 0, tzinfo=UTC)
    assert working_hours_between(thursday, dt.datetime(2026, 6, 7, 8, 0, tzinfo=UTC), calendar) == Decimal(
        "6.00"
    )


def test_submission_sets_the_step_due_time_from_its_region_calendar(em, draft, region_amer, settings):
    WorkingCalendar.objects.create(
        region=region_amer, time_zone="America/New_York", day_start=dt.time(8), day_end=dt.time(18)
    )
    settings.SOW_APPROVAL_DIRECTOR_HOURS = 5
    version = take_to(draft, "draft", em=em, director=None)
    version = services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    step = ladder.current_step(version)
    assert step is not None and step.started_at is not None and step.due_at is not None
    assert step.service_level_hours == Decimal("5")
    # Independent check: walk the New York wall clock hour by hour from the start.
    local = step.started_at.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
    left = 5 * 60
    while left:
        local += dt.timedelta(minutes=1)
        inside = local.isoweekday() <= 5 and dt.time(8) < local.time() <= dt.time(18)
        if inside or (local.time() == dt.time(18) and local.isoweekday() <= 5):
            left -= 1
    expected = local.replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    assert abs((step.due_at - expected).total_seconds()) <= 60


# --------------------------------------------------------------------------- reminders and escalation


@pytest.fixture
def waiting_finance(em, make_person, draft, settings):
    """A SOW waiting at its Finance step (due in 8 working hours, reminder 2 h before)."""
    boss = make_person(Role.LEADERSHIP, username="cfo", name="Carla Cfo")
    director = make_person(Role.PS_DIRECTOR, username="dir", name="Dana Director")
    finance = make_person(Role.PS_DIRECTOR, username="finance", name="Fiona Finance", manager=boss)
    role = ApproverRole.objects.create(name="Finance")
    ApproverRoleMember.objects.create(role=role, person=finance)
    ApprovalRule.objects.create(
        name="All", order=5, approver_role=role, service_level_hours=Decimal("8"), reminder_hours=Decimal("2")
    )
    version = take_to(draft, "draft", em=em, director=None)
    version = services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    services.sow_approve(actor=director.user, version=version, expected_version=version.version)
    step = ladder.current_step(version)
    return {"step": step, "finance": finance, "boss": boss, "version": version}


def test_reminder_and_escalation_are_sent_once_each(waiting_finance, django_capture_on_commit_callbacks):
    step = waiting_finance["step"]
    finance, boss = waiting_finance["finance"], waiting_finance["boss"]
    mail.outbox.clear()
    before_reminder = step.remind_at - dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert ladder.send_due_notices(before_reminder) == {"reminded": 0, "escalated": 0}
        assert ladder.send_due_notices(step.remind_at) == {"reminded": 1, "escalated": 0}
        assert ladder.send_due_notices(step.remind_at + dt.timedelta(minutes=5)) == {
            "reminded": 0,
            "escalated": 0,
        }
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder: approval due")]
    assert [m.to for m in reminders] == [[finance.user.email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert ladder.send_due_notices(step.due_at) == {"reminded": 0, "escalated": 1}
        assert ladder.send_due_notices(step.due_at + dt.timedelta(hours=3)) == {"reminded": 0, "escalated": 0}
    escalations = [m for m in mail.outbox if m.subject.startswith("Overdue approval")]
    assert [m.to for m in escalations] == [[boss.user.email]]  # the approver's manager
    assert Notification.objects.filter(event_key=f"approval_step:{step.pk}:escalation").count() == 1


def test_escalation_goes_to_the_configured_role(
    waiting_finance, make_person, django_capture_on_commit_callbacks
):
    step = waiting_finance["step"]
    vp = make_person(Role.PS_DIRECTOR, username="vp", name="Victor Vp")
    escalation = ApproverRole.objects.create(name="VP PS")
    ApproverRoleMember.objects.create(role=escalation, person=vp)
    ApprovalStep.objects.filter(pk=step.pk).update(escalation_role=escalation)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ladder.send_due_notices(step.due_at + dt.timedelta(minutes=1))
    assert [m.to for m in mail.outbox if m.subject.startswith("Overdue")] == [[vp.user.email]]


def test_task_runs_the_notices(waiting_finance):
    from sow.tasks import send_approval_notices

    assert send_approval_notices.delay().get() == {"reminded": 0, "escalated": 0}


# --------------------------------------------------------------------------- pages


def test_queue_shows_the_step_waiting_due_and_overdue_and_what_waits_for_me(waiting_finance, login):
    step = waiting_finance["step"]
    ApprovalStep.objects.filter(pk=step.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=30), due_at=timezone.now() - dt.timedelta(hours=1)
    )
    response = login(waiting_finance["finance"]).get(reverse("admin:sow_approvalqueueitem_changelist"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="mine-row"') == 1
    assert "2. Finance" in html
    assert "1 d 6 h" in html
    assert 'data-testid="overdue"' in html


def test_review_and_sow_pages_show_the_ladder(waiting_finance, login, em):
    version = waiting_finance["version"]
    finance = waiting_finance["finance"]
    page = (
        login(finance).get(reverse("admin:sow_approvalqueueitem_review", args=[version.pk])).content.decode()
    )
    assert "1. PS Director · 2. Finance" in page
    assert "Approved by Dana Director" in page
    sow_page = login(em).get(version.get_absolute_url()).content.decode()
    assert 'data-testid="ladder-line">1. PS Director · 2. Finance' in sow_page


def test_delegation_page_sets_and_ends_a_delegation(waiting_finance, make_person, login):
    finance = waiting_finance["finance"]
    other = make_person(Role.PS_DIRECTOR, username="other", name="Olga Other")
    client = login(finance)
    today = timezone.localdate()
    assert client.get(reverse("sow:delegations")).status_code == 200
    bad = client.post(reverse("sow:delegations"), {"delegate": other.pk, "starts_on": today, "ends_on": ""})
    assert bad.status_code == 200 and "Give the last day." in bad.content.decode()
    response = client.post(
        reverse("sow:delegations"),
        {"delegate": other.pk, "starts_on": today, "ends_on": today + dt.timedelta(days=2)},
    )
    assert response.status_code == 302
    delegation = Delegation.objects.get(person=finance)
    # The delegate now sees the Finance step as theirs.
    html = login(other).get(reverse("admin:sow_approvalqueueitem_changelist")).content.decode()
    assert "on behalf of Fiona Finance" in html
    assert client.post(reverse("sow:delegation_end", args=[delegation.pk])).status_code == 302
    assert not Delegation.objects.filter(pk=delegation.pk).exists()  # it started today: removed


def test_dashboard_lists_sows_in_approval_closing_this_quarter(waiting_finance, login, make_person):
    version = waiting_finance["version"]
    opportunity = version.sow.opportunity
    quarter = FiscalQuarter.current()
    opportunity.close_date = quarter.end
    opportunity.is_closed = False
    opportunity.save()
    leader = make_person(Role.LEADERSHIP, username="lead", name="Lee Leader")
    html = login(leader).get(reverse("forecasting:dashboard")).content.decode()
    assert html.count('data-testid="approval-closing-row"') == 1
    assert "2. Finance" in html
    rows = approvals_closing_in(quarter)
    assert [r.version.pk for r in rows] == [version.pk]
    opportunity.close_date = quarter.end + dt.timedelta(days=1)
    opportunity.save()
    assert approvals_closing_in(quarter) == []


def test_margin_floor_is_kept_per_category(db):
    target = MarginTarget.objects.create(
        category="training", target_percent=Decimal("40"), floor_percent=Decimal("30")
    )
    assert ladder.floor_for("training") == Decimal("30")
    assert ladder.floor_for("migration") is None
    assert target.floor_percent is not None and target.floor_percent < target.target_percent
