"""Calibration says how many calls each bar stands on and greys bars on fewer than five calls."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def _calls(snapshot, em, colour: str, count: int, close: dt.date) -> None:
    for _ in range(count):
        opp = OpportunityFactory(engagement_manager=em, close_date=close, is_closed=True, is_won=True)
        ForecastSnapshotRow.objects.create(
            snapshot=snapshot, opportunity=opp, name=opp.name, account_name="A", amount=Decimal("1"),
            currency="USD", close_date=close, stage="x", is_closed=False, is_won=False, confidence=colour,
            engagement_manager=em, engagement_manager_name=em.name,
        )  # fmt: skip


def test_bars_carry_their_n_and_small_samples_are_marked(make_person, leadership):
    em = make_person(Role.ENGAGEMENT_MANAGER, username="cal.em", name="Cal Em")
    quarter = FiscalQuarter.current().shift(-1)
    week = quarter.start + dt.timedelta(days=(7 - quarter.start.weekday()) % 7)  # its first Monday
    snapshot = ForecastSnapshot.objects.create(week=week, taken_at=timezone.now())
    close = quarter.end - dt.timedelta(days=1)
    _calls(snapshot, em, "Green", 2, close)  # two calls: not evidence
    _calls(snapshot, em, "Amber", 6, close)  # six: enough
    response = client_for(leadership).get(reverse("forecasting:calibration") + "?week_number=1")
    html = response.content.decode()
    chart = json.loads(html.split('id="chart-data" type="application/json">')[1].split("</script>")[0])
    # Overall first, then the EM: each bar's n is the number of calls it stands on.
    assert chart["counts"] == {"Green": [2, 2], "Amber": [6, 6], "Red": [0, 0]}
    assert chart["min_sample"] == 5
    assert 'data-testid="small-sample-note"' in html
    # Green's share (two calls) is marked on both rows; Amber's (six) is not; Red has no calls at all.
    assert html.count('data-testid="small-sample"') == 2
