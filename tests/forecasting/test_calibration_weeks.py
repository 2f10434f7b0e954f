"""Calibration's "called at week N" reads the first snapshot on or after the start of the quarter's
N-th week, never one from before it (so never one from before the quarter)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from forecasting.calibration import calibration, snapshot_week_for
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

Q3 = FiscalQuarter.parse("FY27-Q3", start_month=2)  # Sat 1 Aug 2026 – Sat 31 Oct 2026
MONDAYS = [Q3.start - dt.timedelta(days=5) + dt.timedelta(weeks=n) for n in range(15)]  # from Mon 27 Jul


def test_week_1_never_reads_a_snapshot_from_before_the_quarter():
    assert MONDAYS[0] < Q3.start
    assert snapshot_week_for(Q3, 1, MONDAYS) == dt.date(2026, 8, 3)


@pytest.mark.parametrize("n", range(1, 14))
def test_week_n_reads_the_first_snapshot_on_or_after_its_start(n):
    start = Q3.start + dt.timedelta(weeks=n - 1)
    chosen = snapshot_week_for(Q3, n, MONDAYS)
    assert chosen is not None and start <= chosen < start + dt.timedelta(days=7)


@pytest.mark.django_db
def test_the_page_names_the_snapshot_used(leadership, em):
    opp = OpportunityFactory(
        engagement_manager=em, close_date=dt.date(2026, 9, 30), is_closed=True, is_won=True
    )
    for monday in (dt.date(2026, 7, 27), dt.date(2026, 8, 3)):
        snapshot = ForecastSnapshot.objects.create(week=monday, taken_at=timezone.now())
        ForecastSnapshotRow.objects.create(
            snapshot=snapshot,
            opportunity=opp,
            name=opp.name,
            account_name="A",
            currency="USD",
            close_date=opp.close_date,
            stage="x",
            is_closed=False,
            is_won=False,
            confidence="Green" if monday.month == 8 else "Red",
            engagement_manager=em,
            engagement_manager_name=em.name,
        )
    result = calibration(week_number=1, today=dt.date(2026, 11, 20))
    assert dict(result.quarters)[Q3] == dt.date(2026, 8, 3)
    assert (result.overall.calls["Green"].called, result.overall.calls["Red"].called) == (1, 0)
    html = client_for(leadership).get(reverse("forecasting:calibration") + "?week_number=1").content.decode()
    if FiscalQuarter.current().shift(-1) == FiscalQuarter.for_date(dt.date(2026, 11, 20)).shift(-1):
        assert "FY27-Q3 (snapshot of the week of 2026-08-03)" in html
