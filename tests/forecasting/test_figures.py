"""Forecast math on a hand-built data set: the expected values are written out by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from core.fiscal import FiscalQuarter
from engagements.models import Opportunity
from forecasting import figures
from forecasting.models import ExchangeRate
from forecasting.services import snapshot_take

pytestmark = pytest.mark.django_db
D = Decimal


def live(quarter):
    return figures.dashboard(quarter, figures.source_for(None))


def test_headline_categories(book, quarter):
    board = live(quarter)
    overall = board.overall
    assert overall["closed_won"].amount == D("100000")
    assert overall["commit"].amount == D("50000")
    assert overall["best_case"].amount == D("72000.00")  # 50,000 + 20,000 EUR × 1.10
    assert overall["pipeline"].amount == D("102000.00")  # + 30,000 Red; the GBP row has no rate
    assert overall.plan == D("400000")
    assert overall.attainment_percent == D("25")
    assert overall.gap == D("300000")
    assert overall.coverage == D("0.34")
    assert overall.open_count == 4 and overall.colour_counts["Grey"] == 1
    assert overall.grey_share_percent == D("25")
    assert overall.stale_count == 2  # reviewed 30 days ago, and never reviewed


def test_missing_rate_is_a_warning_not_summed(book, quarter):
    board = live(quarter)
    assert board.overall["pipeline"].unconverted == {"GBP": D("10000.00")}
    assert any("No exchange rate for GBP" in w for w in board.warnings)
    ExchangeRate.objects.create(currency="GBP", rate=D("1.25"), effective_date=dt.date(2026, 6, 1))
    board = live(quarter)
    assert board.overall["pipeline"].amount == D("114500.0000")
    assert not board.warnings


def test_rate_in_force_on_the_as_of_date(book, quarter):
    ExchangeRate.objects.create(currency="EUR", rate=D("2.00"), effective_date=dt.date(2099, 1, 1))
    assert live(quarter).overall["best_case"].amount == D("72000.00")


def test_by_region_and_em(book, quarter, region_amer, region_emea, em, other_em):
    board = live(quarter)
    regions = {b.name: b.figures for b in board.by_region}
    assert regions["AMER"]["closed_won"].amount == D("100000")
    assert regions["AMER"]["pipeline"].amount == D("72000.00")
    assert regions["AMER"].plan == D("250000")
    assert regions["AMER"].attainment_percent == D("40")
    assert regions["EMEA"]["pipeline"].amount == D("30000")
    assert regions["EMEA"]["commit"].amount == D("0")
    assert regions["EMEA"].plan is None and regions["EMEA"].stale_count == 1
    ems = {b.key: b.figures for b in board.by_em}
    assert ems[em.pk]["best_case"].amount == D("72000.00")
    assert ems[em.pk].colour_counts == {"Green": 1, "Amber": 1, "Red": 0, "Grey": 1}
    assert ems[other_em.pk]["pipeline"].amount == D("30000")


def test_quarter_boundaries_with_february_start(book):
    q4 = FiscalQuarter.parse("FY27-Q4", start_month=2)
    q1 = FiscalQuarter.parse("FY28-Q1", start_month=2)
    names_q4 = {r.name for r in figures.drill_down(q4, figures.source_for(None), "pipeline")[0]}
    names_q1 = {r.name for r in figures.drill_down(q1, figures.source_for(None), "pipeline")[0]}
    assert "Amber EUR" in names_q4  # closes 31 January 2027: the last day of FY27
    assert "Next quarter" in names_q1 and "Next quarter" not in names_q4  # 1 February 2027: FY28-Q1


@pytest.mark.parametrize("metric", ["closed_won", "commit", "best_case", "pipeline", "open_grey", "stale"])
def test_drill_down_totals_equal_figures(book, quarter, metric, region_amer, em):
    source = figures.source_for(None)
    board = figures.dashboard(quarter, source)
    rows, total = figures.drill_down(quarter, source, metric)
    assert total.amount == board.overall[metric].amount
    assert total.count == len(rows)
    region = next(b for b in board.by_region if b.key == region_amer.pk)
    assert (
        figures.drill_down(quarter, source, metric, region=region_amer.pk)[1].amount
        == region.figures[metric].amount
    )
    em_row = next(b for b in board.by_em if b.key == em.pk)
    assert figures.drill_down(quarter, source, metric, em=em.pk)[1].amount == em_row.figures[metric].amount


def test_snapshot_scope_and_idempotency(book, quarter):
    week = dt.date(2026, 11, 16)
    first = snapshot_take(week=week)
    names = set(first.rows.values_list("name", flat=True))
    # open ones (any quarter) and those closed in the quarters it answers; never the removed one
    assert names == {"Won", "Green", "Amber EUR", "Red EMEA", "Grey GBP", "Lost", "Next quarter"}
    # any day of the week is the same week
    again = snapshot_take(week=week + dt.timedelta(days=3), replace=True)
    assert again.pk == first.pk and again.rows.count() == 7


def test_rebuilding_a_past_week_gives_the_same_figures(book, quarter):
    week = dt.date(2026, 11, 16)
    snapshot_take(week=week)
    before = figures.dashboard(quarter, figures.source_for(week))
    Opportunity.objects.filter(name="Green").update(amount=D("1"), em_confidence="Red")
    Opportunity.objects.filter(name="Red EMEA").update(is_closed=True, is_won=True)
    ExchangeRate.objects.create(
        currency="EUR", rate=D("5"), effective_date=dt.date.today() + dt.timedelta(days=1)
    )
    after = figures.dashboard(quarter, figures.source_for(week))
    for metric in ("closed_won", "commit", "best_case", "pipeline"):
        assert after.overall[metric].amount == before.overall[metric].amount
    assert live(quarter).overall["commit"].amount == D("0")  # the live view did change


def test_snapshot_refuses_future_week(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        snapshot_take(week=dt.date.today() + dt.timedelta(days=14))
