"""The service's rules: own call only, stale versions refused, field errors for bad input, late
marking around the deadline in its time zone, reminders once each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from calls import selectors, services
from calls.models import CallReminder, ForecastCall, ForecastCallRevision
from core.exceptions import Conflict
from core.fiscal import FiscalQuarter

pytestmark = pytest.mark.django_db
D = Decimal


def submit(person: Any, commit: object, best: object, note: str = "", *, actor: Any = None, **kw: Any) -> Any:
    return services.call_submit(
        actor=(actor or person).user,
        person=person,
        quarter=kw.pop("quarter", FiscalQuarter.current()),
        commit=commit,
        best_case=best,
        note=note,
        **kw,
    )


def test_only_the_person_submits_their_own_call(org):
    with pytest.raises(PermissionDenied):
        submit(org["e1"], "150", "180", actor=org["m1"])  # the manager may not call for their EM
    with pytest.raises(PermissionDenied):
        submit(org["m1"], "350", "380", actor=org["director"])  # nor the director for a manager
    assert not ForecastCall.objects.exists()


def test_two_revisions_from_the_same_version_the_second_is_refused(org):
    first = submit(org["e1"], "150", "180")
    assert first.version == 1
    submit(org["e1"], "160", "180", "one", expected_version=1)
    with pytest.raises(Conflict):
        submit(org["e1"], "170", "180", "two", expected_version=1)
    call = ForecastCall.objects.get()
    assert (call.commit, call.version, call.note) == (D("160"), 2, "one")
    assert ForecastCallRevision.objects.count() == 2


def test_two_first_submissions_the_second_is_refused(org):
    submit(org["e1"], "150", "180")
    with pytest.raises(Conflict):
        submit(org["e1"], "155", "180", "also first", expected_version=0)
    assert ForecastCall.objects.get().commit == D("150")


@pytest.mark.parametrize(
    ("commit", "best", "note", "field", "code"),
    [
        ("abc", "180", "", "commit", "invalid"),
        ("-1", "180", "x", "commit", "negative"),
        ("150.001", "180", "x", "commit", "decimal_places"),
        ("NaN", "180", "x", "commit", "invalid"),
        ("150", "1e20", "x", "best_case", "too_large"),
        ("150", "100", "x", "best_case", "below_commit"),
        ("151", "180", "x" * 1001, "note", "max_length"),
        ("151", "180", "   ", "note", "note_required"),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(org, commit, best, note, field, code):
    with pytest.raises(ValidationError) as error:
        submit(org["e1"], commit, best, note)
    assert [e.code for e in error.value.error_dict[field]] == [code]
    assert not ForecastCall.objects.exists()
    assert not ForecastCallRevision.objects.exists()


def test_a_note_of_exactly_a_thousand_characters_is_kept(org):
    assert len(submit(org["e1"], "151", "180", "n" * 1000).note) == 1000


def test_only_the_current_or_next_quarter(org):
    with pytest.raises(ValidationError) as error:
        submit(org["e1"], "150", "180", quarter=FiscalQuarter.current().previous())
    assert "quarter" in error.value.error_dict
    # the next quarter has no deals yet: its system numbers are zero
    assert submit(org["e1"], "0", "0", quarter=FiscalQuarter.current().next()).default_commit == D("0")


def test_the_deadline_is_in_its_own_time_zone(settings):
    settings.FORECAST_CALL_DEADLINE_DAY = 2  # Wednesday
    settings.FORECAST_CALL_DEADLINE_TIME = "17:00"
    settings.FORECAST_CALL_DEADLINE_TIME_ZONE = "America/Los_Angeles"
    # Winter (PST, UTC-8): Wednesday 17:00 is Thursday 01:00 UTC; summer (PDT, UTC-7): 00:00 UTC.
    assert selectors.deadline_for(dt.date(2026, 12, 7)).astimezone(dt.UTC) == dt.datetime(
        2026, 12, 10, 1, 0, tzinfo=dt.UTC
    )
    assert selectors.deadline_for(dt.date(2026, 7, 6)).astimezone(dt.UTC) == dt.datetime(
        2026, 7, 9, 0, 0, tzinfo=dt.UTC
    )
    settings.FORECAST_CALL_DEADLINE_TIME_ZONE = "Asia/Tokyo"
    assert selectors.deadline_for(dt.date(2026, 12, 7)).astimezone(dt.UTC) == dt.datetime(
        2026, 12, 9, 8, 0, tzinfo=dt.UTC
    )


def test_late_marking_around_the_deadline(org, settings):
    settings.FORECAST_CALL_DEADLINE_DAY = 2
    settings.FORECAST_CALL_DEADLINE_TIME = "17:00"
    settings.FORECAST_CALL_DEADLINE_TIME_ZONE = "America/Los_Angeles"
    deadline = selectors.deadline_for(selectors.current_week())
    on_time = submit(org["e1"], "150", "180", now=deadline - dt.timedelta(minutes=1))
    assert on_time.late is False
    exactly = submit(org["e2"], "200", "200", now=deadline)
    assert exactly.late is False  # at the deadline is still in time
    late = submit(
        org["e1"], "160", "180", "revised late", expected_version=1, now=deadline + dt.timedelta(minutes=1)
    )
    assert late.late is True
    assert [r.late for r in late.revisions.order_by("number")] == [False, True]
    line = selectors.rollup(FiscalQuarter.current(), selectors.current_week()).line(org["e1"].pk)
    assert line.status == "late"


def _window(settings: Any) -> dt.datetime:
    settings.FORECAST_CALL_DEADLINE_DAY = 2
    settings.FORECAST_CALL_DEADLINE_TIME = "17:00"
    settings.FORECAST_CALL_DEADLINE_TIME_ZONE = "Europe/Berlin"
    settings.FORECAST_CALL_REMINDER_HOURS = 24
    return selectors.deadline_for(selectors.current_week())


def test_reminders_go_once_to_those_who_have_not_submitted(org, settings, django_capture_on_commit_callbacks):
    deadline = _window(settings)
    submit(org["e1"], "150", "180")
    submit(org["m1"], "350", "380")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.reminders_send(now=deadline - dt.timedelta(hours=2))
    assert sent == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        org[k].email for k in ("director", "m2", "e2", "e3")
    )
    assert "calls/mine/" in mail.outbox[0].body
    # The task runs every hour: nobody hears twice, and a late submitter is not chased again.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=deadline - dt.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 4
    assert CallReminder.objects.count() == 4


def test_no_reminders_outside_the_window(org, settings, django_capture_on_commit_callbacks):
    deadline = _window(settings)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=deadline - dt.timedelta(hours=25)) == 0
        assert services.reminders_send(now=deadline + dt.timedelta(minutes=1)) == 0
    assert mail.outbox == []


def test_the_beat_task_sends_reminders(org, settings, django_capture_on_commit_callbacks):
    from calls.tasks import send_call_reminders

    deadline = _window(settings)
    settings.FORECAST_CALL_REMINDER_HOURS = 24 * 7  # the whole week up to the deadline
    from django.utils import timezone

    if timezone.now() >= deadline:
        settings.FORECAST_CALL_DEADLINE_DAY = 6
        settings.FORECAST_CALL_DEADLINE_TIME = "23:59"
        if timezone.now() >= selectors.deadline_for(selectors.current_week()):
            pytest.skip("too close to the end of the week")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_call_reminders.apply().get() == 6  # nobody has submitted
    assert len(mail.outbox) == 6


def test_the_reminder_schedule_exists():
    from django_celery_beat.models import PeriodicTask

    from calls.schedule import SCHEDULE_NAME, TASK_NAME

    assert PeriodicTask.objects.get(name=SCHEDULE_NAME).task == TASK_NAME
