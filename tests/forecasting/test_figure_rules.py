"""The dashboard's stated rules: missing rates never summed, a row for every plan, one rounding rule,
Forecast = Closed won + Commit, past-due deals counted and listed."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from core.templatetags.pipeline_tags import percent
from forecasting import changes, figures
from forecasting.models import BookingsPlan, ExchangeRate, ForecastSnapshot, ForecastSnapshotRow
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
D = Decimal
Q4 = FiscalQuarter.parse("FY27-Q4", start_month=2)
PREV, CUR = dt.date(2026, 11, 9), dt.date(2026, 11, 16)


def snap(week, rates):
    return ForecastSnapshot.objects.create(
        week=week,
        taken_at=timezone.make_aware(dt.datetime.combine(week, dt.time(6))),
        rates=rates,
        closed_from=dt.date(2025, 11, 1),
    )


def row(snapshot, opp, amount, currency="USD", conf="Green", close=dt.date(2026, 12, 10), **kw):
    return ForecastSnapshotRow.objects.create(
        snapshot=snapshot,
        opportunity=opp,
        name=opp.name,
        account_name="Acme",
        amount=D(amount),
        currency=currency,
        close_date=close,
        stage="Negotiation",
        is_closed=kw.get("closed", False),
        is_won=kw.get("won", False),
        confidence=conf,
    )


def src(week):
    return figures.source_for(week)


# ------------------------------------------------------------------ missing rates


def test_an_amount_change_from_a_week_without_the_rate_is_not_summed(db):
    opp = OpportunityFactory(name="GBP deal")
    row(snap(PREV, {}), opp, "610973.71", "GBP")
    row(snap(CUR, {"GBP": "1.26"}), opp, "672071.30", "GBP")
    result = changes.compare(Q4, src(PREV), src(CUR))
    up = result.category("amount_up")
    assert [(i.amount, i.native_amount, i.currency) for i in up.items] == [(None, D("61097.59"), "GBP")]
    assert up.amount == D("0")
    assert up.unconverted == {"GBP": D("61097.59")}
    assert any("GBP 61,097.59" in w and "left out" in w for w in result.warnings)
    # the waterfall leaves the opportunity out on both sides, so its steps still add up
    assert result.waterfall_start == D("0") and result.waterfall_end == D("0")
    assert any("waterfall" in w for w in result.warnings)


def test_a_new_deal_in_a_currency_without_a_rate_is_listed_in_its_currency(db):
    opp = OpportunityFactory(name="BRL deal")
    snap(PREV, {})
    row(snap(CUR, {}), opp, "1000.00", "BRL")
    result = changes.compare(Q4, src(PREV), src(CUR))
    new = result.category("new")
    assert [(i.amount, i.native_amount, i.currency) for i in new.items] == [(None, D("1000.00"), "BRL")]
    assert new.amount == D("0")


def test_the_dashboard_shows_the_rate_warning_in_every_section_and_lists_natively(leadership):
    opp = OpportunityFactory(name="BRL deal")
    snap(PREV, {})
    row(snap(CUR, {}), opp, "1000.00", "BRL")
    client = client_for(leadership)
    html = client.get(reverse("forecasting:dashboard") + f"?quarter=FY27-Q4&week={CUR}").content.decode()
    assert html.count("No exchange rate for BRL") >= 5  # headline, closing, regions, EMs, changes, trend
    assert "BRL 1,000.00 (no rate, not in the total)" in html
    body = client.get(reverse("forecasting:export", args=["changes"]) + f"?quarter=FY27-Q4&week={CUR}")
    lines = list(csv.reader(io.StringIO(body.content.decode())))
    assert lines[1][3:6] == ["", "1000.00", "BRL"]
    trend = client.get(reverse("forecasting:export", args=["trend"]) + f"?quarter=FY27-Q4&week={CUR}")
    assert [line[1:6] for line in csv.reader(io.StringIO(trend.content.decode()))][1:] == [
        ["0.00", "0.00", "0.00", "0.00", "0.00"],
        ["0.00", "0.00", "0.00", "0.00", "0.00"],
    ]


# ------------------------------------------------------------------ rows for every plan


def test_a_region_and_an_em_with_a_plan_and_no_deals_have_a_row_at_0_percent(make_person, region_emea, em):
    idle = make_person(Role.ENGAGEMENT_MANAGER, username="idle.em", name="Idle EM", region=region_emea)
    BookingsPlan.objects.create(quarter="FY27-Q4", region=region_emea, amount=D("1000"))
    BookingsPlan.objects.create(quarter="FY27-Q4", engagement_manager=idle, amount=D("500"))
    OpportunityFactory(engagement_manager=em, close_date=dt.date(2026, 12, 1))
    board = figures.dashboard(Q4, src(None))
    region = next(b for b in board.by_region if b.name == region_emea.code)
    person = next(b for b in board.by_em if b.name == "Idle EM")
    assert (region.figures.plan, region.figures.attainment_percent) == (D("1000.00"), D("0"))
    assert (person.figures.plan, person.figures.attainment_percent) == (D("500.00"), D("0"))


# ------------------------------------------------------------------ rounding


def test_each_converted_amount_is_rounded_once_so_a_drill_down_adds_up(db):
    ExchangeRate.objects.create(currency="EUR", rate=D("1.12345"), effective_date=dt.date(2026, 1, 1))
    amounts = [D("100.18"), D("200.40"), D("300.46")]
    for amount in amounts:
        OpportunityFactory(amount=amount, currency="EUR", close_date=dt.date(2026, 12, 1))
    rows, total = figures.drill_down(Q4, src(None), "pipeline")
    each = [(a * D("1.12345")).quantize(D("0.01"), rounding="ROUND_HALF_UP") for a in amounts]
    converted = [r.converted for r in rows if r.converted is not None]
    assert len(converted) == len(rows)
    assert sorted(converted) == sorted(each)
    assert total.amount == sum(each) == sum(converted)
    assert figures.dashboard(Q4, src(None)).overall["pipeline"].amount == sum(each)


@pytest.mark.parametrize(
    ("value", "shown"), [(D("12.25"), "12.3 %"), (D("12.35"), "12.4 %"), (D("0.05"), "0.1 %")]
)
def test_percentages_round_half_up(value, shown):
    assert percent(value) == shown


def test_attainment_reads_the_same_in_html_and_csv(leadership, region_amer):
    BookingsPlan.objects.create(quarter="FY27-Q4", region=region_amer, amount=D("400"))
    OpportunityFactory(
        region=region_amer, amount=D("49.00"), is_closed=True, is_won=True, close_date=dt.date(2026, 12, 1)
    )  # 12.25 %
    client = client_for(leadership)
    html = client.get(reverse("forecasting:dashboard") + "?quarter=FY27-Q4").content.decode()
    body = client.get(reverse("forecasting:export", args=["regions"]) + "?quarter=FY27-Q4").content.decode()
    lines = list(csv.reader(io.StringIO(body)))
    column = lines[0].index("Attainment %")
    assert [line[column] for line in lines[1:] if line[0] == region_amer.code] == ["12.3"]
    assert "12.3 %" in html and "12.2 %" not in html


# ------------------------------------------------------------------ forecast lines


def test_forecast_and_best_case_forecast_add_closed_won(leadership):
    OpportunityFactory(amount=D("100.00"), is_closed=True, is_won=True, close_date=dt.date(2026, 12, 1))
    OpportunityFactory(amount=D("20.00"), em_confidence="Green", close_date=dt.date(2026, 12, 1))
    OpportunityFactory(amount=D("3.00"), em_confidence="Amber", close_date=dt.date(2026, 12, 1))
    board = figures.dashboard(Q4, src(None))
    assert board.overall["forecast"].amount == D("120.00")
    assert board.overall["best_case_forecast"].amount == D("123.00")
    response = client_for(leadership).get(reverse("forecasting:dashboard") + "?quarter=FY27-Q4")
    html = response.content.decode()
    assert "Forecast (Closed won + Commit)" in html and "Best-case forecast (Closed won + Best case)" in html
    assert set(response.context["charts"]["trend"]) >= {
        "forecast",
        "best_case_forecast",
        "closed_won",
        "plan",
    }


# ------------------------------------------------------------------ past due


def test_past_due_deals_are_counted_and_listed(leadership):
    today = timezone.localdate()
    quarter = FiscalQuarter.current()
    late = OpportunityFactory(name="Late deal", close_date=max(quarter.start, today - dt.timedelta(days=1)))
    OpportunityFactory(name="On time", close_date=quarter.end)
    if late.close_date >= today:
        pytest.skip("the quarter started today: no close date in it is past")
    board = figures.dashboard(quarter, src(None))
    assert board.overall["past_due"].count == 1
    assert [r.name for r in board.past_due] == ["Late deal"]
    html = client_for(leadership).get(reverse("forecasting:dashboard")).content.decode()
    assert 'data-testid="past-due"' in html and "Late deal" in html


def test_my_pipeline_flags_past_due_deals(em):
    today = timezone.localdate()
    OpportunityFactory(name="Late deal", engagement_manager=em, close_date=today - dt.timedelta(days=3))
    OpportunityFactory(
        name="Late but lost", engagement_manager=em, close_date=today - dt.timedelta(days=3), is_closed=True
    )
    OpportunityFactory(name="Due later", engagement_manager=em, close_date=today + dt.timedelta(days=3))
    html = client_for(em).get(reverse("engagements:pipeline") + "?scope=mine").content.decode()
    assert html.count('data-testid="past-due"') == 1
    late_row = html[html.index("Late deal") :]
    assert late_row.index('data-testid="past-due"') < late_row.index("</tr>")
