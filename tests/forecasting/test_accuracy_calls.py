"""Call accuracy and bias on a hand-computed closed quarter.

Today is 1 Dec 2026 (February fiscal year): the last closed quarter is FY27-Q3 (1 Aug – 31 Oct 2026),
whose call weeks run from Monday 27 Jul (week 1, holding 1 Aug) to Monday 26 Oct (week 14).
Hierarchy: Dana (director) → Max (EM Manager) → Eve and Finn (EMs).

FY27-Q3 actual Closed won: Eve 100 + 50 EUR × 1.20 (the rate on 31 Oct) = 160; Finn 200; Max and
Dana 360. FY27-Q2 (1 May – 31 Jul, week 1 = 27 Apr): Eve 100, Finn 0.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from calls import accuracy
from calls.models import ForecastCall
from core.fiscal import FiscalQuarter
from core.roles import Role
from forecasting.models import ExchangeRate
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)
Q3_WEEK = [dt.date(2026, 7, 27) + dt.timedelta(weeks=n) for n in range(14)]


def call(person, quarter: str, week: dt.date, commit: str, level: str = "em") -> ForecastCall:
    amount = Decimal(commit)
    now = timezone.now()
    return ForecastCall.objects.create(
        person=person,
        level=level,
        quarter=quarter,
        week=week,
        commit=amount,
        best_case=amount,
        currency="USD",
        system_commit=amount,
        system_best_case=amount,
        default_commit=amount,
        default_best_case=amount,
        submitted_at=now,
        first_submitted_at=now,
    )


def won(em, day: dt.date, amount: str, currency: str = "USD", *, is_won: bool = True):
    return OpportunityFactory(
        engagement_manager=em,
        close_date=day,
        amount=Decimal(amount),
        currency=currency,
        is_closed=True,
        is_won=is_won,
    )


@pytest.fixture
def world(settings, make_person, region_amer):
    settings.FISCAL_YEAR_START_MONTH = 2
    settings.CORPORATE_CURRENCY = "USD"
    dana = make_person(Role.PS_DIRECTOR, username="dana", name="Dana")
    max_ = make_person(Role.EM_MANAGER, username="max", name="Max", manager=dana, region=region_amer)
    eve = make_person(Role.ENGAGEMENT_MANAGER, username="eve", name="Eve", manager=max_, region=region_amer)
    finn = make_person(
        Role.ENGAGEMENT_MANAGER, username="finn", name="Finn", manager=max_, region=region_amer
    )
    ExchangeRate.objects.create(currency="EUR", rate=Decimal("1.20"), effective_date=dt.date(2026, 1, 1))
    ExchangeRate.objects.create(currency="EUR", rate=Decimal("2.00"), effective_date=dt.date(2026, 11, 1))
    won(eve, dt.date(2026, 8, 10), "100")
    won(eve, dt.date(2026, 9, 15), "50", "EUR")
    won(eve, dt.date(2026, 9, 16), "300", is_won=False)  # lost
    won(eve, dt.date(2026, 11, 5), "999")  # the next quarter
    won(finn, dt.date(2026, 10, 31), "200")
    won(eve, dt.date(2026, 6, 1), "100")  # FY27-Q2
    # FY27-Q3 calls: Eve +25 %, −25 %, 0 %; Finn −10 %; Max (400 − 360) / 360 = +11.1 %
    call(eve, "FY27-Q3", Q3_WEEK[0], "200")
    call(eve, "FY27-Q3", Q3_WEEK[1], "120")
    call(eve, "FY27-Q3", Q3_WEEK[13], "160")
    call(finn, "FY27-Q3", Q3_WEEK[0], "180")
    call(max_, "FY27-Q3", Q3_WEEK[0], "400", level="manager")
    # FY27-Q2: Eve's week 3 (11 May) 50 against 100: −50 %; Finn's against a zero actual has no percentage
    call(eve, "FY27-Q2", dt.date(2026, 5, 11), "50")
    call(finn, "FY27-Q2", dt.date(2026, 5, 4), "50")
    # a call for the running quarter is not counted
    call(eve, "FY27-Q4", dt.date(2026, 11, 2), "1")
    return {"dana": dana, "max": max_, "eve": eve, "finn": finn}


def test_quarter_weeks_start_with_the_week_holding_the_first_day():
    weeks = accuracy.quarter_weeks(FiscalQuarter.parse("FY27-Q3", start_month=2))
    assert weeks == Q3_WEEK


def test_actuals_errors_mape_and_bias_by_hand(world):
    result = accuracy.accuracy(today=TODAY)
    assert [q.label for q in result.quarters] == ["FY27-Q3", "FY27-Q2", "FY27-Q1", "FY26-Q4"]
    assert [p.name for p in result.people] == ["Dana", "Max", "Eve", "Finn"]
    eve = result.person(world["eve"].pk)
    finn = result.person(world["finn"].pk)
    max_ = result.person(world["max"].pk)
    dana = result.person(world["dana"].pk)
    assert eve.actuals["FY27-Q3"] == Decimal("160.00")
    assert finn.actuals["FY27-Q3"] == Decimal("200")
    assert max_.actuals["FY27-Q3"] == dana.actuals["FY27-Q3"] == Decimal("360.00")
    assert eve.actuals["FY27-Q2"] == Decimal("100") and finn.actuals["FY27-Q2"] == 0
    assert [(p.week_number, p.percent) for p in eve.points["FY27-Q3"]] == [
        (1, Decimal("25")),
        (2, Decimal("-25")),
        (14, Decimal("0")),
    ]
    assert [(p.week_number, p.percent) for p in eve.points["FY27-Q2"]] == [(3, Decimal("-50"))]
    # Eve: MAPE (25 + 25 + 0 + 50) / 4 = 25; bias (25 − 25 + 0 − 50) / 4 = −12.5 → sandbagging
    assert eve.mape == Decimal("25") and eve.bias == Decimal("-12.5")
    assert eve.bias_label == "sandbagging"
    # Finn: −10 % only (the call against a zero actual has no percentage)
    assert finn.calls_counted == 1 and finn.mape == Decimal("10") and finn.bias_label == "sandbagging"
    assert finn.points["FY27-Q2"][0].error == Decimal("50")
    # Max: +40 / 360
    assert max_.bias == Decimal("40") / Decimal("360") * 100
    assert max_.bias_label == "over-calling"
    assert dana.mape is None and dana.bias_label == "—"


def test_a_small_bias_reads_as_balanced(world):
    call(world["finn"], "FY27-Q3", Q3_WEEK[5], "218")  # +9 %: bias (−10 + 9) / 2 = −0.5
    finn = accuracy.accuracy(today=TODAY).person(world["finn"].pk)
    assert finn.bias == Decimal("-0.5") and finn.bias_label == "balanced"


def test_page_lines_table_and_links(world, login, leadership):
    response = login(leadership).get(reverse("calls:accuracy"), {"quarter": "FY27-Q3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="accuracy-row"') == 4
    assert 'href="/forecast/calibration/"' in html
    calibration = login(leadership).get(reverse("forecasting:calibration")).content.decode()
    assert reverse("calls:accuracy") in calibration


@pytest.mark.parametrize(("params"), [{"quarter": "FY27-Q4"}, {"quarter": "x"}, {"level": "boss"}])
def test_bad_choices_are_field_errors(world, login, leadership, params):
    response = login(leadership).get(reverse("calls:accuracy"), params)
    assert response.status_code == 400
    assert 'data-testid="accuracy-error"' in response.content.decode()


def test_page_query_count_constant(world, login, leadership, make_person, django_assert_max_num_queries):
    client = login(leadership)
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("calls:accuracy"))
    for n in range(8):
        em = make_person(Role.ENGAGEMENT_MANAGER, username=f"em{n}", manager=world["max"])
        for week in Q3_WEEK:
            call(em, "FY27-Q3", week, "10")
        won(em, dt.date(2026, 9, 1), "10")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("calls:accuracy"))
