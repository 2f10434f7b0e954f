"""On PostgreSQL the week-over-week comparison is one SQL statement; the Python path (used on SQLite)
must give the very same result — every kind's items in the same order, counts, totals, amounts
without a rate, the waterfall and the warnings — for two snapshots and for a snapshot against the
live pipeline, whole and limited to the largest items."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.fiscal import FiscalQuarter
from engagements.models import Opportunity
from forecasting import changes, figures
from forecasting.models import ExchangeRate, ForecastSnapshot, ForecastSnapshotRow
from tests.engagements.factories import AccountFactory, OpportunityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]
D = Decimal
PREV, WEEK = dt.date(2026, 11, 9), dt.date(2026, 11, 16)
COLOURS = ["Green", "Amber", "Red", "Grey"]
CURRENCIES = ["USD", "USD", "EUR", "GBP", "BRL"]  # BRL never has a rate


def _state(rng, accounts):
    closed = rng.random() < 0.2
    return {
        "name": rng.choice(["Alpha", "beta", "Gamma", "Ürün", "delta"]) + f" {rng.randrange(4)}",
        "account": rng.choice(accounts),
        # Few distinct amounts, so equal amounts (ties in the order) happen.
        "amount": D(rng.choice(["1000.00", "2500.50", "1000.00", "7300.25", "0.00", "12000.00"])),
        "currency": rng.choice(CURRENCIES),
        "close": dt.date(2026, 9, 20) + dt.timedelta(days=rng.randrange(200)),
        "conf": rng.choice(COLOURS),
        "closed": closed,
        "won": closed and rng.random() < 0.6,
    }


def _churn(rng, state):
    change = dict(state)
    kind = rng.randrange(7)
    if kind == 0:
        change["close"] = state["close"] + dt.timedelta(days=rng.choice([-60, -20, 20, 60]))
    elif kind == 1:
        change["amount"] = state["amount"] + D(rng.choice(["-500.00", "250.75", "1000.00"]))
    elif kind == 2:
        change["conf"] = rng.choice(COLOURS)
    elif kind == 3 and not state["closed"]:
        change["closed"] = True
        change["won"] = rng.random() < 0.5
    elif kind == 4:
        change["currency"] = rng.choice(CURRENCIES)
    elif kind == 5:
        change["conf"] = rng.choice(COLOURS)
        change["amount"] = state["amount"] + D("99.99")
    return change


def _snapshot(week, states, gone, rates):
    snapshot = ForecastSnapshot.objects.create(
        week=week, taken_at=timezone.make_aware(dt.datetime.combine(week, dt.time(6))), rates=rates
    )
    ForecastSnapshotRow.objects.bulk_create(
        [
            ForecastSnapshotRow(
                snapshot=snapshot,
                opportunity=None if opp.pk in gone else opp,
                name=s["name"],
                account_name=s["account"].name,
                amount=s["amount"],
                currency=s["currency"],
                close_date=s["close"],
                stage="Negotiation",
                is_closed=s["closed"],
                is_won=s["won"],
                confidence=s["conf"],
            )
            for opp, s in states
        ]
    )
    return snapshot


@pytest.fixture
def weeks(monkeypatch):
    rng = random.Random(7)
    ExchangeRate.objects.create(currency="EUR", rate=D("1.0837"), effective_date=dt.date(2026, 1, 1))
    ExchangeRate.objects.create(currency="GBP", rate=D("1.2641"), effective_date=dt.date(2026, 1, 1))
    accounts = [AccountFactory(name=f"Account {i}") for i in range(3)]
    opportunities = [OpportunityFactory(name=f"Opp {i}") for i in range(160)]
    before = {opp.pk: _state(rng, accounts) for opp in opportunities[:140]}
    # Rows whose opportunity is gone are matched on name and account: unique ones, in both weeks.
    gone = {opp.pk for opp in opportunities[:6]}
    for i, pk in enumerate(sorted(gone)):
        before[pk]["name"] = f"Gone {i}"
    after = {pk: _churn(rng, s) if rng.random() < 0.6 else dict(s) for pk, s in before.items()}
    for pk in rng.sample(sorted(before), 8):  # deleted in Salesforce before this week
        after.pop(pk)
    for opp in opportunities[140:]:  # new this week
        after[opp.pk] = _state(rng, accounts)
    by_pk = {opp.pk: opp for opp in opportunities}
    # Last week's snapshot has no GBP rate; this week's has them all but BRL.
    _snapshot(PREV, [(by_pk[pk], s) for pk, s in before.items()], gone, {"EUR": "1.0800"})
    _snapshot(WEEK, [(by_pk[pk], s) for pk, s in after.items()], gone, {"EUR": "1.0837", "GBP": "1.2641"})
    # The live pipeline: this week's rows churned again, some removed in Salesforce.
    now = timezone.make_aware(dt.datetime.combine(WEEK + dt.timedelta(days=2), dt.time(9)))
    for pk, s in after.items():
        live = _churn(rng, s) if rng.random() < 0.5 else s
        Opportunity.objects.filter(pk=pk).update(
            name=live["name"],
            account=live["account"],
            amount=live["amount"],
            currency=live["currency"],
            close_date=live["close"],
            em_confidence=live["conf"],
            is_closed=live["closed"],
            is_won=live["won"],
            removed_in_salesforce_at=now if rng.random() < 0.04 else None,
        )
    monkeypatch.setattr(timezone, "now", lambda: now)


def _both(quarter, previous, current, limit, monkeypatch):
    book = figures.RateBook.load()
    monkeypatch.setattr(changes, "USE_SQL", True)
    in_sql = changes._compare(quarter, previous, current, book, limit)
    monkeypatch.setattr(changes, "USE_SQL", False)
    in_python = changes._compare(quarter, previous, current, book, limit)
    return in_sql, in_python


@pytest.mark.parametrize("label", ["FY27-Q3", "FY27-Q4", "FY28-Q1"])
@pytest.mark.parametrize("live", [False, True])
@pytest.mark.parametrize("limit", [None, 3])
def test_sql_and_python_changes_are_identical(weeks, monkeypatch, label, live, limit):
    quarter = FiscalQuarter.parse(label, start_month=2)
    previous = figures.source_for(WEEK if live else PREV)
    current = figures.source_for(None if live else WEEK)
    in_sql, in_python = _both(quarter, previous, current, limit, monkeypatch)
    for sql_category, python_category in zip(in_sql.categories, in_python.categories, strict=True):
        assert sql_category == python_category, sql_category.key
    assert in_sql.waterfall == in_python.waterfall
    assert (in_sql.waterfall_start, in_sql.waterfall_end) == (
        in_python.waterfall_start,
        in_python.waterfall_end,
    )
    assert in_sql.warnings == in_python.warnings
    assert in_sql == in_python
    if label == "FY27-Q4":  # the data set reaches the kinds of change and the rules compared
        counted = [category.key for category in in_python.categories if category.count]
        assert len(counted) == len(changes.CATEGORIES) if not live else len(counted) >= 8, counted
        assert in_python.warnings and any(step for _, _, step in in_python.waterfall)
        if limit is not None:
            assert any(len(category.items) == limit < category.count for category in in_python.categories)
