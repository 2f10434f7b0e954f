"""Every forecast download (drill-down, each dashboard table, calibration): every field quoted,
no cell or separator-split piece of one that a spreadsheet would run as a formula."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow
from forecasting.services import snapshot_take
from tests.conftest import client_for
from tests.core.hostile_input import HOSTILE_CELLS, hostile_cells_found, read_safe_export
from tests.engagements.factories import AccountFactory, OpportunityFactory
from tests.people.factories import RegionFactory

pytestmark = pytest.mark.django_db

QUERY = "quarter=FY27-Q4&week=2026-11-16"


@pytest.fixture
def hostile(book, make_person, leadership):
    """One region (by code), EM, account and opportunity named with each hostile cell, new to the quarter
    between the 9 and 16 November snapshots."""
    snapshot_take(week=dt.date(2026, 11, 9))
    ems = []
    for n, text in enumerate(HOSTILE_CELLS):
        region = RegionFactory(code=text, name=f"Hostile {n}")  # the region table shows codes
        em = make_person(Role.ENGAGEMENT_MANAGER, username=f"em.hostile{n}", region=region, name=text)
        ems.append(em)
        OpportunityFactory(
            name=text,
            account=AccountFactory(name=text, region=region),
            region=region,
            engagement_manager=em,
            stage=text,
            amount=Decimal("-1234.50") if n == 0 else Decimal("1000"),
            close_date=dt.date(2026, 12, 15),
            em_confidence="Green",
            em_confidence_rationale="x",
            em_reviewed_at=timezone.now(),
        )
    snapshot_take(week=dt.date(2026, 11, 16))
    return {"client": client_for(leadership), "ems": ems}


def test_drill_down_export(hostile):
    response = hostile["client"].get(reverse("forecasting:drill") + f"?{QUERY}&metric=commit&format=csv")
    rows = read_safe_export(response)
    assert hostile_cells_found(rows) == set(HOSTILE_CELLS)
    assert "-1234.50" in [row[5] for row in rows]  # a negative amount stays a number


@pytest.mark.parametrize("table", ["regions", "ems", "changes"])
def test_dashboard_table_export_with_names(hostile, table):
    response = hostile["client"].get(reverse("forecasting:export", args=[table]) + f"?{QUERY}")
    rows = read_safe_export(response)
    assert hostile_cells_found(rows) == set(HOSTILE_CELLS)


@pytest.mark.parametrize("table", ["trend", "closing"])
def test_dashboard_table_export_of_figures(hostile, table):
    response = hostile["client"].get(reverse("forecasting:export", args=[table]) + f"?{QUERY}")
    rows = read_safe_export(response)
    assert len(rows) > 1


def test_calibration_export(hostile):
    past = FiscalQuarter.current().previous()
    week = past.start + dt.timedelta(weeks=6)
    week += dt.timedelta(days=(7 - week.weekday()) % 7)  # the first Monday on or after week 7 starts
    snapshot = ForecastSnapshot.objects.create(week=week, taken_at=timezone.now())
    close = past.start + dt.timedelta(days=70)
    for em in hostile["ems"]:
        opportunity = OpportunityFactory(engagement_manager=em, close_date=close, is_closed=True, is_won=True)
        ForecastSnapshotRow.objects.create(
            snapshot=snapshot,
            opportunity=opportunity,
            name=opportunity.name,
            account_name="a",
            amount=Decimal("1"),
            currency="USD",
            close_date=close,
            stage="x",
            is_closed=False,
            is_won=False,
            confidence="Green",
            engagement_manager=em,
        )
    response = hostile["client"].get(reverse("forecasting:calibration") + "?format=csv")
    rows = read_safe_export(response)
    assert hostile_cells_found(rows) == set(HOSTILE_CELLS)
