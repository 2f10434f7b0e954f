"""Plan imports and snapshots leave audit entries in the same transaction, naming who did it (or
nobody, for the weekly system run), what they did and each change in words; a refused write leaves
none."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from core.models import AuditEntry
from forecasting.models import BookingsPlan, ForecastSnapshot
from forecasting.services import plan_import, snapshot_take
from forecasting.tasks import take_weekly_snapshot
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
HEADER = "quarter,region,em_email,amount,currency\n"
WEEK = dt.date(2026, 11, 16)


def entries(obj):
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        ).order_by("at", "pk")
    )


def change(entry, field):
    lines = [(line["before"], line["after"]) for line in entry.changes if line["field"] == field]
    assert len(lines) == 1, entry.changes
    return lines[0]


def plans_entries():
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(BookingsPlan))


# --------------------------------------------------------------------------- plan imports


def test_each_imported_plan_gets_one_entry_with_its_amount(admin_person, region_amer):
    plan_import(
        actor=admin_person.user, data=f"{HEADER}FY27-Q4,,,400000,USD\nFY27-Q4,AMER,,250000.50,\n".encode()
    )
    overall = BookingsPlan.objects.get(region=None, engagement_manager=None)
    amer = BookingsPlan.objects.get(region=region_amer)
    [entry] = entries(overall)
    assert (entry.actor, entry.action) == (admin_person.user, "imported the bookings plan")
    assert change(entry, "amount") == ("", "400,000.00")
    [entry] = entries(amer)
    assert change(entry, "amount") == ("", "250,000.50")
    assert change(entry, "region") == ("", str(region_amer))
    assert plans_entries().count() == 2


def test_a_changed_plan_records_before_and_after_and_an_unchanged_one_nothing(admin_person, region_amer):
    plan_import(
        actor=admin_person.user, data=f"{HEADER}FY27-Q4,,,400000,USD\nFY27-Q4,AMER,,250000,USD\n".encode()
    )
    result = plan_import(
        actor=admin_person.user, data=f"{HEADER}FY27-Q4,,,450000,USD\nFY27-Q4,AMER,,250000,USD\n".encode()
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    overall = BookingsPlan.objects.get(region=None, engagement_manager=None)
    entry = entries(overall)[-1]
    assert (entry.actor, entry.action) == (admin_person.user, "changed the bookings plan by import")
    assert entry.changes == [{"field": "amount", "before": "400,000.00", "after": "450,000.00"}]
    assert len(entries(BookingsPlan.objects.get(region=region_amer))) == 1  # only its creation


def test_a_refused_import_leaves_no_entry(admin_person):
    with pytest.raises(ValidationError):
        plan_import(actor=admin_person.user, data=f"{HEADER}FY27-Q4,,,400000,USD\nFY27-Q5,,,1,USD\n".encode())
    assert not BookingsPlan.objects.exists() and not plans_entries().exists()


def test_an_ems_plan_moves_region_instead_of_failing(admin_person, region_amer, em):
    # One plan per EM and quarter: a later file naming no region changes that plan (and says so).
    plan_import(actor=admin_person.user, data=f"{HEADER}FY27-Q4,AMER,{em.email},80000,USD\n".encode())
    result = plan_import(actor=admin_person.user, data=f"{HEADER}FY27-Q4,,{em.email},90000,USD\n".encode())
    assert (result.created, result.updated) == (0, 1)
    plan = BookingsPlan.objects.get(engagement_manager=em)
    assert plan.region is None and plan.amount == 90000
    entry = entries(plan)[-1]
    assert change(entry, "region") == (str(region_amer), "—")
    assert change(entry, "amount") == ("80,000.00", "90,000.00")


def test_an_ems_plan_twice_in_one_file_is_refused_by_line(admin_person, region_amer, region_emea, em):
    data = f"{HEADER}FY27-Q4,AMER,{em.email},80000,USD\nFY27-Q4,EMEA,{em.email},10,USD\n".encode()
    with pytest.raises(ValidationError) as exc:
        plan_import(actor=admin_person.user, data=data)
    assert exc.value.messages == ["Line 3: the same quarter and EM appear twice."]
    assert not BookingsPlan.objects.exists()


# --------------------------------------------------------------------------- snapshots


def test_a_snapshot_taken_by_hand_names_its_taker_and_what_it_stored(admin_person):
    OpportunityFactory()
    OpportunityFactory()
    snapshot = snapshot_take(week=WEEK, actor=admin_person.user)
    [entry] = entries(snapshot)
    assert (entry.actor, entry.action) == (admin_person.user, "took the forecast snapshot")
    assert change(entry, "rows count") == ("", "2")
    assert change(entry, "week") == ("", WEEK.isoformat())


def test_the_weekly_run_is_recorded_as_the_system(db):
    OpportunityFactory()
    assert take_weekly_snapshot.delay(WEEK.isoformat()).get() == 1
    [entry] = entries(ForecastSnapshot.objects.get(week=WEEK))
    assert (entry.actor, entry.action) == (None, "took the forecast snapshot")


def test_taking_a_weeks_snapshot_again_records_the_replacement(admin_person):
    OpportunityFactory()
    snapshot = snapshot_take(week=WEEK)
    OpportunityFactory()
    snapshot_take(week=WEEK, actor=admin_person.user, replace=True)
    first, again = entries(snapshot)
    assert (again.actor, again.action) == (admin_person.user, "replaced the forecast snapshot")
    assert change(again, "rows count") == ("1", "2")
    assert again.note.startswith("The week's earlier rows (taken ")
    assert again.note.endswith("were replaced with the pipeline and exchange rates of today.")


def test_a_refused_snapshot_leaves_no_entry(em):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        snapshot_take(week=WEEK, actor=em.user)
    assert not AuditEntry.objects.exists()
