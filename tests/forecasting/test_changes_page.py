"""The dashboard lists the largest changes of each kind and says how many more there are; the
CSV export lists every one."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from forecasting.services import snapshot_take
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
PREV, WEEK = dt.date(2026, 11, 9), dt.date(2026, 11, 16)


def take_at(monkeypatch, week):
    moment = timezone.make_aware(dt.datetime.combine(week, dt.time(6)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    snapshot_take(week=week)
    monkeypatch.undo()


def test_the_page_lists_the_ten_largest_new_deals_and_counts_the_rest(
    monkeypatch, leadership, em, region_amer
):
    take_at(monkeypatch, PREV)
    for i in range(13):
        OpportunityFactory(
            name=f"New {i:02d}",
            amount=Decimal(1000 + i),
            em_confidence="Green",
            em_confidence_rationale="x",
            close_date=dt.date(2026, 12, 1),
            engagement_manager=em,
            region=region_amer,
        )
    take_at(monkeypatch, WEEK)
    client = client_for(leadership)
    query = f"?quarter=FY27-Q4&week={WEEK.isoformat()}"
    page = client.get(reverse("forecasting:dashboard") + query).content.decode()
    listed = [f"New {i:02d}" for i in range(13) if f">New {i:02d}<" in page]
    assert listed == [f"New {i:02d}" for i in range(3, 13)]  # the ten largest
    assert "and 3 more, smaller" in page
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("forecasting:export", args=["changes"]) + query).content.decode())
        )
    )
    assert sorted(row[1] for row in rows[1:]) == [f"New {i:02d}" for i in range(13)]


def test_the_page_lists_twenty_five_past_due_deals_and_counts_the_rest(
    monkeypatch, leadership, em, region_amer
):
    for i in range(27):
        OpportunityFactory(
            name=f"Late {i:02d}",
            amount=Decimal(100 + i),
            em_confidence="Amber",
            em_confidence_rationale="x",
            close_date=dt.date(2026, 11, 2) + dt.timedelta(days=i % 5),
            engagement_manager=em,
            region=region_amer,
        )
    take_at(monkeypatch, WEEK)
    client = client_for(leadership)
    query = f"?quarter=FY27-Q4&week={WEEK.isoformat()}"
    page = client.get(reverse("forecasting:dashboard") + query).content.decode()
    assert sum(f">Late {i:02d}<" in page for i in range(27)) == 25
    assert "and 2 more:" in page and 'href="#past-due-heading">27<' in page
    export = reverse("forecasting:export", args=["past-due"]) + query
    rows = list(csv.reader(io.StringIO(client.get(export).content.decode())))
    assert len(rows) - 1 == 27
