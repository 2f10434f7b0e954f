"""Week-over-week classification on two hand-built snapshots."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting import changes, figures
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
D = Decimal
PREV, CUR = dt.date(2026, 11, 9), dt.date(2026, 11, 16)
IN_Q, NEXT_Q = dt.date(2026, 12, 10), dt.date(2027, 3, 10)


def snapshot(week):
    return ForecastSnapshot.objects.create(
        week=week, taken_at=timezone.make_aware(dt.datetime.combine(week, dt.time(6)))
    )


def row(snap, opp, *, amount, close=IN_Q, conf="Green", closed=False, won=False, currency="USD"):
    return ForecastSnapshotRow.objects.create(
        snapshot=snap,
        opportunity=opp,
        name=opp.name,
        account_name="Acme",
        amount=D(amount),
        currency=currency,
        close_date=close,
        stage="Negotiation",
        is_closed=closed,
        is_won=won,
        confidence=conf,
    )


@pytest.fixture
def weeks(db, quarter):
    prev, cur = snapshot(PREV), snapshot(CUR)
    o = {
        name: OpportunityFactory(name=name)
        for name in [
            "new",
            "pulled",
            "pushed",
            "up",
            "down",
            "conf_up",
            "conf_down",
            "won",
            "lost",
            "deleted",
            "same",
        ]
    }
    # new: only this week
    row(cur, o["new"], amount="10000")
    # pulled in from next quarter
    row(prev, o["pulled"], amount="20000", close=NEXT_Q)
    row(cur, o["pulled"], amount="20000")
    # pushed out to next quarter and its amount changed in the same week: counted as pushed out only
    row(prev, o["pushed"], amount="30000")
    row(cur, o["pushed"], amount="35000", close=NEXT_Q)
    row(prev, o["up"], amount="40000", conf="Amber")
    row(cur, o["up"], amount="45000", conf="Amber")
    row(prev, o["down"], amount="50000")
    row(cur, o["down"], amount="42000")
    row(prev, o["conf_up"], amount="60000", conf="Amber")
    row(cur, o["conf_up"], amount="60000", conf="Green")
    row(prev, o["conf_down"], amount="70000", conf="Green")
    row(cur, o["conf_down"], amount="70000", conf="Red")
    row(prev, o["won"], amount="80000")
    row(cur, o["won"], amount="80000", closed=True, won=True)
    row(prev, o["lost"], amount="90000", conf="Amber")
    row(cur, o["lost"], amount="90000", conf="Amber", closed=True)
    # deleted in Salesforce: gone from this week's snapshot
    row(prev, o["deleted"], amount="15000")
    row(prev, o["same"], amount="5000")
    row(cur, o["same"], amount="5000")
    return figures.source_for(PREV), figures.source_for(CUR), o


def names(result, key):
    return sorted(item.name for item in result.category(key).items)


def test_every_change_type(weeks, quarter):
    previous, current, _ = weeks
    result = changes.compare(quarter, previous, current)
    assert names(result, "new") == ["new"]
    assert names(result, "pulled_in") == ["pulled"]
    assert names(result, "pushed_out") == ["pushed"]
    assert names(result, "amount_up") == ["up"]
    assert names(result, "amount_down") == ["down"]
    assert names(result, "confidence_up") == ["conf_up"]
    assert names(result, "confidence_down") == ["conf_down"]
    assert names(result, "won") == ["won"]
    assert names(result, "lost") == ["lost"]
    assert names(result, "removed") == ["deleted"]
    assert result.category("pushed_out").amount == D("30000")  # last week's amount
    assert result.category("amount_up").amount == D("5000")
    assert result.category("amount_down").amount == D("-8000")
    assert result.category("pulled_in").count == 1


def test_waterfall_adds_up_from_last_commit_to_this_commit(weeks, quarter):
    previous, current, _ = weeks
    result = changes.compare(quarter, previous, current)
    # last week Green in the quarter: pushed 30k, down 50k, conf_down 70k, won 80k, deleted 15k, same 5k
    assert result.waterfall_start == D("250000")
    # this week Green in the quarter: new 10k, pulled 20k, down 42k, conf_up 60k, same 5k
    assert result.waterfall_end == D("137000")
    steps = {key: value for key, _, value in result.waterfall}
    assert steps["new"] == D("10000") and steps["pulled_in"] == D("20000")
    assert steps["pushed_out"] == D("-30000") and steps["removed"] == D("-15000")
    assert steps["won"] == D("-80000") and steps["amount"] == D("-8000")
    assert steps["confidence"] == D("-10000")  # +60k up into Green, −70k down out of it
    assert result.waterfall_start + sum(steps.values()) == result.waterfall_end


def test_live_view_compares_with_latest_snapshot(weeks, quarter):
    assert changes.previous_week(None, [PREV, CUR]) == CUR
    assert changes.previous_week(CUR, [PREV, CUR]) == PREV
    assert changes.previous_week(PREV, [PREV, CUR]) is None
