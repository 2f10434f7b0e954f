import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from forecasting import calibration
from forecasting.models import BookingsPlan, ForecastSnapshot, ForecastSnapshotRow
from forecasting.services import plan_import
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def test_plan_import_creates_and_updates(admin_person, region_amer, em):
    data = (
        "quarter,region,em_email,amount,currency\n"
        "FY27-Q4,,,400000,USD\n"
        "FY27-Q4,AMER,,250000.50,\n"
        f"FY27-Q4,,{em.email},80000,EUR\n"
    ).encode()
    result = plan_import(actor=admin_person.user, data=data)
    assert (result.created, result.updated) == (3, 0)
    assert BookingsPlan.objects.get(region=region_amer).amount == Decimal("250000.50")
    assert BookingsPlan.objects.get(engagement_manager=em).currency == "EUR"
    result = plan_import(
        actor=admin_person.user, data=b"quarter,region,em_email,amount,currency\nFY27-Q4,,,450000,USD\n"
    )
    assert (result.created, result.updated) == (0, 1)
    assert BookingsPlan.objects.get(region=None, engagement_manager=None).amount == Decimal("450000")


def test_plan_import_reports_bad_rows_by_line_and_imports_nothing(admin_person, region_amer):
    data = (
        b"quarter,region,em_email,amount,currency\n"
        b"FY27-Q4,AMER,,100,USD\n"
        b"2027 Q5,,,100,USD\n"
        b"FY27-Q4,MARS,,100,USD\n"
        b"FY27-Q4,,nobody@example.com,-5,USD\n"
        b"FY27-Q4,,,=1+1,XXX\n"
        b"FY27-Q4,AMER,,200,USD\n"
    )
    with pytest.raises(ValidationError) as exc:
        plan_import(actor=admin_person.user, data=data)
    messages = exc.value.messages
    assert [m.split(":")[0] for m in messages] == ["Line 3", "Line 4", "Line 5", "Line 6", "Line 7"]
    assert "unknown region" in messages[1] and "no person with email" in messages[2]
    assert "twice" in messages[4]
    assert not BookingsPlan.objects.exists()


def test_plan_import_refuses_bad_header_and_binary(admin_person):
    with pytest.raises(ValidationError):
        plan_import(actor=admin_person.user, data=b"a,b,c\n1,2,3\n")
    with pytest.raises(ValidationError):
        plan_import(actor=admin_person.user, data=b"\xff\xfe\x00garbage")


def test_plan_import_needs_permission(em):
    with pytest.raises(PermissionDenied):
        plan_import(actor=em.user, data=b"quarter,region,em_email,amount,currency\n")


def test_take_forecast_snapshot_command(db):
    OpportunityFactory(name="Open one")
    call_command("take_forecast_snapshot", "--week", "2026-11-18")
    snapshot = ForecastSnapshot.objects.get()
    assert snapshot.week == dt.date(2026, 11, 16) and snapshot.rows_count == 1
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("take_forecast_snapshot", "--week", "not-a-date")


def test_weekly_schedule_exists_monday_0600(db, settings):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="Weekly forecast snapshot")
    assert task.task == "forecasting.tasks.take_weekly_snapshot"
    assert task.crontab is not None
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "6", "1")


def test_snapshot_task_is_idempotent(db):
    from forecasting.tasks import take_weekly_snapshot

    OpportunityFactory()
    assert take_weekly_snapshot.delay("2026-11-16").get() == 1
    assert take_weekly_snapshot.delay("2026-11-16").get() == 1
    assert ForecastSnapshotRow.objects.count() == 1


def test_calibration_rates_per_em(make_person, region_amer):
    em1 = make_person(Role.ENGAGEMENT_MANAGER, region=region_amer, name="Alex")
    em2 = make_person(Role.ENGAGEMENT_MANAGER, region=region_amer, name="Blake")
    today = dt.date(2026, 11, 22)
    past = FiscalQuarter.for_date(today).previous()  # FY27-Q3: Aug–Oct 2026
    week7 = past.start + dt.timedelta(weeks=6)
    week7 += dt.timedelta(days=(7 - week7.weekday()) % 7)  # the first Monday on or after week 7 starts
    snap = ForecastSnapshot.objects.create(week=week7, taken_at=timezone.now())
    close = past.start + dt.timedelta(days=70)

    def call(em, conf, *, won, close_date=close):
        opp = OpportunityFactory(engagement_manager=em, close_date=close_date, is_closed=True, is_won=won)
        ForecastSnapshotRow.objects.create(
            snapshot=snap,
            opportunity=opp,
            name=opp.name,
            account_name="a",
            amount=Decimal("1"),
            currency="USD",
            close_date=close,
            stage="x",
            is_closed=False,
            is_won=False,
            confidence=conf,
            engagement_manager=em,
        )

    call(em1, "Green", won=True)
    call(em1, "Green", won=True)
    call(em1, "Green", won=False)
    call(em1, "Red", won=True)
    call(em2, "Green", won=True, close_date=past.end + dt.timedelta(days=5))  # won, but after the quarter
    call(em2, "Amber", won=True)
    result = calibration.calibration(today=today)
    rows = {row.name: row for row in result.by_em}
    assert rows["Alex"].calls["Green"].called == 3 and rows["Alex"].calls["Green"].won == 2
    assert rows["Alex"].calls["Red"].percent == Decimal("100")
    assert rows["Blake"].calls["Green"].won == 0
    assert result.overall.calls["Green"].called == 4 and result.overall.calls["Green"].won == 2
    assert result.overall.calls["Amber"].percent == Decimal("100")
    assert result.quarters == [(past, week7)]
