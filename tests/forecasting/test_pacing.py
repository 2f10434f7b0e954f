"""Pacing against hand-computed earlier quarters.

With a February fiscal year, FY27-Q4 runs 1 Nov 2026 – 31 Jan 2027. On 1 Dec 2026 (day 31, 30 days
after the first day) the same point of the four quarters before is: FY27-Q3 31 Aug, FY27-Q2 31 May,
FY27-Q1 3 Mar 2026, FY26-Q4 1 Dec 2025.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from forecasting import pacing
from forecasting.models import ExchangeRate
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
Q4 = FiscalQuarter.parse("FY27-Q4", start_month=2)


def won(day: dt.date, amount: str, currency: str = "USD", **kw):
    return OpportunityFactory(
        close_date=day, amount=Decimal(amount), currency=currency, is_closed=True, is_won=True, **kw
    )


@pytest.fixture
def history(settings):
    settings.FISCAL_YEAR_START_MONTH = 2
    settings.CORPORATE_CURRENCY = "USD"
    ExchangeRate.objects.create(currency="EUR", rate=Decimal("1.10"), effective_date=dt.date(2020, 1, 1))
    # this quarter: 100 + 10.01 EUR (11.011 → 11.01) to date; a lost deal and a removed one do not count
    won(dt.date(2026, 11, 5), "100")
    won(dt.date(2026, 11, 30), "10.01", "EUR")
    OpportunityFactory(close_date=dt.date(2026, 11, 10), amount=Decimal("999"), is_closed=True, is_won=False)
    won(dt.date(2026, 11, 11), "5000", removed_in_salesforce_at=timezone.now())
    won(dt.date(2026, 11, 12), "70", "GBP")  # no GBP rate: left out and reported
    # FY27-Q3: 200 + 100 (on the same day, included) by 31 Aug; final 1,000
    won(dt.date(2026, 8, 10), "200")
    won(dt.date(2026, 8, 31), "100")
    won(dt.date(2026, 9, 1), "300")
    won(dt.date(2026, 10, 31), "400")
    # FY27-Q2: 50 by 31 May; final 200
    won(dt.date(2026, 5, 31), "50")
    won(dt.date(2026, 7, 1), "150")
    # FY27-Q1: nothing won
    # FY26-Q4: nothing by 1 Dec 2025; final 100
    won(dt.date(2025, 12, 2), "100")
    # outside every quarter looked at
    won(dt.date(2025, 10, 31), "12345")


def test_pacing_against_hand_computed_quarters(history):
    result = pacing.pacing(Q4, today=TODAY)
    assert (result.day_number, result.week_number) == (31, 5)
    assert result.current.to_point == Decimal("111.01")
    assert result.unconverted == {"GBP": Decimal("70.00")}
    by_label = {pace.quarter.label: pace for pace in result.earlier}
    assert list(by_label) == ["FY27-Q3", "FY27-Q2", "FY27-Q1", "FY26-Q4"]
    q3, q2, q1, q4_last = by_label.values()
    assert (q3.to_point, q3.final, q3.share_percent) == (Decimal("300"), Decimal("1000"), Decimal("30"))
    assert (q2.to_point, q2.final, q2.share_percent) == (Decimal("50"), Decimal("200"), Decimal("25"))
    assert (q1.to_point, q1.final, q1.share_percent) == (Decimal("0"), Decimal("0"), None)
    assert (q4_last.to_point, q4_last.final, q4_last.share_percent) == (
        Decimal("0"),
        Decimal("100"),
        Decimal("0"),
    )
    finishes = {pace.quarter.label: finish for pace, finish in result.rows}
    assert finishes["FY27-Q3"] == Decimal("111.01") * 1000 / 300
    assert finishes["FY27-Q2"] == Decimal("111.01") * 4
    assert finishes["FY27-Q1"] is None and finishes["FY26-Q4"] is None
    # the average of the shares there are: (30 + 25 + 0) / 3
    assert result.average_share_percent == Decimal("55") / 3


def test_cumulative_weeks(history):
    result = pacing.pacing(Q4, today=TODAY)
    q3 = result.earlier[0]
    # FY27-Q3 weeks end 7 Aug, 14 Aug, …; 200 on 10 Aug (week 2), 100 on 31 Aug (week 5), 300 on 1 Sep
    # (week 5: 29 Aug – 4 Sep), 400 on 31 Oct (week 14, the quarter's last day)
    assert q3.by_week[:6] == [
        Decimal("0"),
        Decimal("200"),
        Decimal("200"),
        Decimal("200"),
        Decimal("600"),
        Decimal("600"),
    ]
    assert len(q3.by_week) == pacing.week_count(q3.quarter) == 14
    assert q3.by_week[-1] == Decimal("1000")
    assert q3.shares_by_week()[:2] == [Decimal(0), Decimal(20)]
    # the running quarter stops at this week
    assert len(result.current.by_week) == 5
    assert result.current.by_week[-1] == Decimal("111.01")


def test_page_shows_the_table(history, login, leadership, settings):
    response = login(leadership).get(reverse("forecasting:pacing"), {"quarter": "FY27-Q3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="pacing-row"') == 4
    assert "vendor/plotly.min.js" in html


@pytest.mark.parametrize("value", ["FY99-Q9", "nonsense", "FY40-Q1"])
def test_a_bad_or_future_quarter_is_a_field_error(history, login, leadership, value):
    response = login(leadership).get(reverse("forecasting:pacing"), {"quarter": value})
    assert response.status_code == 400
    assert 'data-testid="pacing-error"' in response.content.decode()


def test_page_query_count_constant(history, login, leadership, django_assert_max_num_queries):
    client = login(leadership)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("forecasting:pacing"))
    for n in range(40):
        won(dt.date(2026, 8, 1) + dt.timedelta(days=n), "1")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("forecasting:pacing"))
