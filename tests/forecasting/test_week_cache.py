"""A past week's dashboard is cached, and the cached copy is dropped when the week's snapshot is
replaced, an exchange rate changes or the quarter's plan changes."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagements.models import Opportunity
from forecasting.models import BookingsPlan, ExchangeRate
from forecasting.services import snapshot_take
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
D = Decimal
PREV, WEEK = dt.date(2026, 11, 9), dt.date(2026, 11, 16)
QUERY = f"?quarter=FY27-Q4&week={WEEK.isoformat()}"


def take_at(monkeypatch, week, **kw):
    moment = timezone.make_aware(dt.datetime.combine(week, dt.time(6)))
    later = moment + dt.timedelta(weeks=2)  # a replacement is taken after the week
    monkeypatch.setattr(timezone, "now", lambda: later if kw.get("replace") else moment)
    snapshot_take(week=week, **kw)
    monkeypatch.undo()


def headline(page: str, testid: str) -> str:
    """The exact value of a headline: a money figure shows a compact amount and carries the exact
    one in its tooltip (title), any other headline is its text."""
    match = re.search(
        rf'data-testid="{testid}"[^>]*>\s*(?:<span class="figure" title="([^"]*)"[^>]*>)?([^<]*)<', page
    )
    assert match, testid
    exact, text = match.group(1), match.group(2)
    return html.unescape(exact if exact is not None else text).strip()


def view(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("forecasting:dashboard") + QUERY)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


@pytest.fixture
def past_week(monkeypatch, em, region_amer):
    ExchangeRate.objects.create(currency="EUR", rate=D("1.10"), effective_date=dt.date(2026, 1, 1))
    BookingsPlan.objects.create(quarter="FY27-Q4", amount=D("500000"))
    kw = {"engagement_manager": em, "region": region_amer, "em_confidence_rationale": "x"}
    OpportunityFactory(
        name="Green", amount=D("1000.00"), em_confidence="Green", close_date=dt.date(2026, 12, 3), **kw
    )
    OpportunityFactory(
        name="EUR",
        amount=D("200.00"),
        currency="EUR",
        em_confidence="Green",
        close_date=dt.date(2026, 12, 4),
        **kw,
    )
    take_at(monkeypatch, PREV)
    take_at(monkeypatch, WEEK)


def test_a_past_week_is_served_from_the_cache_the_second_time(past_week, leadership):
    client = client_for(leadership)
    first, computed = view(client)
    second, served = view(client)
    assert headline(first, "commit") == headline(second, "commit") == "USD 1,220.00"  # 1000 + 200 × 1.10
    assert served < computed


def test_replacing_the_weeks_snapshot_drops_the_cached_week(past_week, monkeypatch, leadership):
    client = client_for(leadership)
    page, _ = view(client)
    assert headline(page, "commit") == "USD 1,220.00"
    Opportunity.objects.filter(name="Green").update(amount=D("3000.00"))
    page, _ = view(client)
    assert headline(page, "commit") == "USD 1,220.00"  # the week is frozen
    take_at(monkeypatch, WEEK, replace=True)
    page, _ = view(client)
    assert headline(page, "commit") == "USD 3,220.00"


def test_an_exchange_rate_change_drops_the_cached_week(past_week, leadership):
    client = client_for(leadership)
    _, computed = view(client)
    _, served = view(client)
    assert served < computed
    rate = ExchangeRate.objects.get()
    rate.rate = D("1.30")
    rate.save()
    page, after_rate = view(client)
    assert after_rate == computed  # computed again, not served from the cache
    # The snapshot keeps the rates of the day it was taken: the figures stay those of that week.
    assert headline(page, "commit") == "USD 1,220.00"
    ExchangeRate.objects.create(currency="GBP", rate=D("1.25"), effective_date=dt.date(2026, 1, 1))
    _, after_new_rate = view(client)
    assert after_new_rate == computed


def test_a_plan_change_drops_the_cached_week(past_week, leadership):
    client = client_for(leadership)
    page, _ = view(client)
    assert headline(page, "plan") == "USD 500,000.00"
    plan = BookingsPlan.objects.get()
    plan.amount = D("600000")
    plan.save()
    page, _ = view(client)
    assert headline(page, "plan") == "USD 600,000.00"


def rendered(response) -> bool:
    """Whether the forecast sections were rendered for this response (not served as stored HTML)."""
    return "forecasting/_dashboard_sections.html" in [t.name for t in response.templates]


def test_the_rendered_sections_are_kept_with_the_figures_and_dropped_with_them(past_week, leadership, em):
    url = reverse("forecasting:dashboard") + QUERY
    first = client_for(leadership).get(url)
    assert rendered(first)
    # Another leader opening the same week gets the same sections without rendering them again.
    other = client_for(leadership).get(url)
    assert not rendered(other)
    assert headline(other.content.decode(), "commit") == headline(first.content.decode(), "commit")
    assert headline(other.content.decode(), "commit") == "USD 1,220.00"
    plan = BookingsPlan.objects.get()
    plan.amount = D("750000")
    plan.save()
    after_plan = client_for(leadership).get(url)
    assert rendered(after_plan)
    assert headline(after_plan.content.decode(), "plan") == "USD 750,000.00"
