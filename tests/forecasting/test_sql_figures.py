"""On PostgreSQL the dashboard's figures are added up in one SQL statement; the Python path (used on
SQLite) must give the very same figures, past-due rows and closing weeks, live and for a snapshot."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.fiscal import FiscalQuarter
from forecasting import figures
from forecasting.models import BookingsPlan, ExchangeRate
from forecasting.services import snapshot_take
from tests.engagements.factories import AccountFactory, OpportunityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]
D = Decimal
WEEK = dt.date(2026, 11, 16)


@pytest.fixture
def generated(em, other_em, region_amer, region_emea, monkeypatch):
    rng = random.Random(15)
    ExchangeRate.objects.create(currency="EUR", rate=D("1.0837"), effective_date=dt.date(2026, 1, 1))
    ExchangeRate.objects.create(currency="GBP", rate=D("1.2641"), effective_date=dt.date(2026, 1, 1))
    BookingsPlan.objects.create(quarter="FY27-Q4", amount=D("400000"))
    BookingsPlan.objects.create(quarter="FY27-Q4", region=region_emea, amount=D("100000"))
    accounts = [AccountFactory(name=f"Account {i}") for i in range(3)]
    now = timezone.make_aware(dt.datetime.combine(WEEK, dt.time(6)))
    for i in range(120):
        closed = rng.random() < 0.25
        OpportunityFactory(
            name=rng.choice(["Alpha", "beta", "Gamma", "delta"]) + f" {i % 7}",
            account=rng.choice(accounts),
            region=rng.choice([region_amer, region_emea, None]),
            engagement_manager=rng.choice([em, other_em, None]),
            close_date=dt.date(2026, 10, 1) + dt.timedelta(days=rng.randrange(150)),
            amount=rng.choice([None, D(rng.randrange(100, 900_000)) / 100]),
            currency=rng.choice(["USD", "USD", "EUR", "GBP", "BRL"]),
            em_confidence=rng.choice(["Green", "Amber", "Red", "Grey"]),
            em_confidence_rationale="x",
            em_reviewed_at=rng.choice([None, now - dt.timedelta(days=rng.randrange(30))]),
            is_closed=closed,
            is_won=closed and rng.random() < 0.6,
        )
    monkeypatch.setattr(timezone, "now", lambda: now)
    snapshot_take(week=WEEK)
    return now


def _both(quarter, source, monkeypatch):
    book = figures.RateBook.load()
    plans = figures._load_plans(quarter)
    monkeypatch.setattr(figures, "USE_SQL", True)
    in_sql = figures._dashboard(quarter, source, book, plans)
    monkeypatch.setattr(figures, "USE_SQL", False)
    in_python = figures._dashboard(quarter, source, book, plans)
    return in_sql, in_python


@pytest.mark.parametrize("label", ["FY27-Q3", "FY27-Q4", "FY28-Q1"])
@pytest.mark.parametrize("week", [None, WEEK])
def test_sql_and_python_figures_are_identical(generated, monkeypatch, label, week):
    quarter = FiscalQuarter.parse(label, start_month=2)
    source = figures.source_for(week)
    in_sql, in_python = _both(quarter, source, monkeypatch)
    assert in_sql == in_python
    assert in_python.overall["pipeline"].count  # the data set reaches the quarter
    if label == "FY27-Q4":
        assert in_python.past_due and in_python.rate_warnings and in_python.by_region
