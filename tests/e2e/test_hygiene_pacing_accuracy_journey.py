"""Leadership follows deal hygiene from the dashboard to a deal, then reads pacing and call accuracy,
in Chromium."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls import accuracy
from calls.models import ForecastCall
from core.fiscal import FiscalQuarter
from core.roles import Role
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_hygiene_pacing_and_accuracy(page, live_server, log_in, make_person, region_amer):
    make_person(Role.LEADERSHIP, username="lee")
    manager = make_person(Role.EM_MANAGER, username="mia", name="Mia Manager", region=region_amer)
    em = make_person(
        Role.ENGAGEMENT_MANAGER, username="eve", name="Eve Brown", manager=manager, region=region_amer
    )
    OpportunityFactory(
        name="Acme <migration>",
        region=region_amer,
        engagement_manager=em,
        forecast_category="Commit",
        owner_name="Ann Owner",
        em_confidence="Red",
        em_confidence_rationale="No PO yet",
        em_reviewed_at=timezone.now(),
        close_date=timezone.localdate() + dt.timedelta(days=10),
    )
    last_closed = accuracy.closed_quarters()[0]
    for n, quarter in enumerate([FiscalQuarter.current(), *accuracy.closed_quarters()]):
        OpportunityFactory(
            region=region_amer,
            engagement_manager=em,
            close_date=quarter.start + dt.timedelta(days=3),
            amount=Decimal(1000 * (n + 1)),
            is_closed=True,
            is_won=True,
        )
    now = timezone.now()
    for week in accuracy.quarter_weeks(last_closed)[:4]:
        ForecastCall.objects.create(
            person=em,
            level="em",
            quarter=last_closed.label,
            week=week,
            commit=Decimal("2500"),
            best_case=Decimal("2600"),
            currency="USD",
            system_commit=Decimal("2500"),
            system_best_case=Decimal("2600"),
            default_commit=Decimal("2500"),
            default_best_case=Decimal("2600"),
            submitted_at=now,
            first_submitted_at=now,
        )
    log_in(page, "lee")

    page.goto(f"{live_server.url}/forecast/")
    hygiene = page.get_by_test_id("hygiene")
    expect(hygiene.get_by_test_id("hygiene-category")).to_have_text("1")
    expect(hygiene.get_by_test_id("disagreement-row")).to_contain_text("Ann Owner")
    hygiene.get_by_test_id("hygiene-category").click()
    expect(
        page.get_by_role("heading", name="Salesforce category disagrees with the EM colour")
    ).to_be_visible()
    expect(page.get_by_test_id("hygiene-row")).to_have_count(1)
    page.get_by_label("EM").select_option(label="Eve Brown")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("hygiene-row")).to_have_count(1)
    page.get_by_role("link", name="Acme <migration>").click()
    panel = page.get_by_test_id("hygiene-panel")
    expect(panel.get_by_test_id("sf-category")).to_have_text("Commit")
    expect(panel.get_by_test_id("em-colour")).to_have_text("Red")
    expect(panel.get_by_test_id("category-disagrees")).to_be_visible()

    page.goto(f"{live_server.url}/forecast/")
    page.get_by_test_id("pacing-link").click()
    expect(page.get_by_role("heading", name="Pacing", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("pacing-row")).to_have_count(4)
    expect(page.get_by_test_id("chart-pacing-shares")).to_have_attribute("data-rendered", "true")
    expect(page.get_by_test_id("chart-pacing-amounts")).to_have_attribute("data-rendered", "true")

    page.goto(f"{live_server.url}/forecast/calibration/")
    page.get_by_test_id("accuracy-link").click()
    expect(page.get_by_role("heading", name="Call accuracy")).to_be_visible()
    row = page.get_by_test_id("accuracy-row").filter(has_text="Eve Brown")
    # four weeks called 2,500 against the last closed quarter's actual 2,000: +25 % each
    expect(row.get_by_test_id("mape")).to_have_text("25.0 %")
    expect(row.get_by_test_id("bias-label")).to_have_text("over-calling")
    expect(page.get_by_test_id("chart-accuracy")).to_have_attribute("data-rendered", "true")
    page.get_by_test_id("calibration-link").click()
    expect(page.get_by_role("heading", name="EM calibration")).to_be_visible()
