"""The opportunity knows its SOW, and capacity counts the whole pipeline, in Chromium on a desktop
and a phone screen (screenshots are written to E2E_SCREENSHOT_DIR when it is set)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.roles import Role
from people.models import Region
from sow import services
from tests.engagements.factories import OpportunityFactory
from tests.people.factories import delivery_person
from tests.sow.factories import take_to
from tests.staffing.factories import StaffingRequirementFactory

pytestmark = pytest.mark.django_db(transaction=True)
SIZES = pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)], ids=["desktop", "phone"])


def shot(page, name: str, width: int, height: int) -> None:
    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}-{width}x{height}.png"), full_page=True)


@pytest.fixture
def signed_open(em, ready_issue, make_person):
    """The issue's example: a SOW signed (USD 26,000) while Salesforce still has the deal open at
    USD 100,000."""
    director = make_person(Role.PS_DIRECTOR, username="director")
    version = services.sow_create(actor=em.user, issue=ready_issue).versions.get()
    return take_to(version, "signed", em=em, director=director)


@SIZES
def test_the_em_sees_the_sow_status_and_what_disagrees_with_salesforce(
    page, live_server, log_in, em, signed_open, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}/pipeline/?scope=mine")
    row = page.get_by_test_id("opp-row").filter(has_text="Harbor Bank — Migration")
    expect(row.get_by_test_id("row-sow-status")).to_have_text("Signed")
    expect(row.get_by_test_id("row-sow-flag").first).to_have_text("signed, not won")
    shot(page, "pipeline-sow", width, height)
    row.get_by_role("link", name="Harbor Bank — Migration").click()
    panel = page.get_by_test_id("sow-state-panel")
    expect(panel.get_by_test_id("sow-status")).to_have_text("Signed")
    expect(panel).to_contain_text("Signed, not won in Salesforce")
    expect(panel).to_contain_text("SOW USD 26,000.00, opportunity USD 100,000.00.")
    expect(panel.get_by_test_id("booked-on")).to_have_text(timezone.localdate().strftime("%Y-%m-%d"))
    panel.scroll_into_view_if_needed()
    shot(page, "opportunity-sow", width, height)


@SIZES
def test_leadership_counts_the_mismatches_and_opens_their_list(
    page, live_server, log_in, leadership, signed_open, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "leadership")
    page.goto(f"{live_server.url}/forecast/")
    counts = page.get_by_test_id("sow-mismatches")
    expect(counts.get_by_test_id("mismatch-signed_not_won")).to_have_text("1")
    expect(counts.get_by_test_id("mismatch-won_not_signed")).to_have_text("0")
    expect(counts.get_by_test_id("mismatch-amount_differs")).to_have_text("1")
    counts.scroll_into_view_if_needed()
    shot(page, "dashboard-mismatches", width, height)
    counts.get_by_test_id("mismatch-amount_differs").click()
    expect(page.get_by_role("heading", name="SOW total differs from the opportunity amount")).to_be_visible()
    expect(page.get_by_test_id("mismatch-row")).to_have_count(1)
    expect(page.get_by_test_id("mismatch-row")).to_contain_text(
        "SOW USD 26,000.00, opportunity USD 100,000.00."
    )
    shot(page, "sow-mismatches", width, height)
    page.goto(f"{live_server.url}/forecast/")
    page.get_by_test_id("pipeline").click()
    drill_row = (
        page.get_by_test_id("drill-rows").get_by_role("row").filter(has_text="Harbor Bank — Migration")
    )
    expect(drill_row.get_by_test_id("row-sow-status")).to_have_text("Signed")
    shot(page, "drill-sow", width, height)


@SIZES
def test_capacity_shows_demand_from_amount_languages_and_kickoffs(
    page, live_server, log_in, em, ready_issue, make_person, region_amer, width, height
):
    director = make_person(Role.PS_DIRECTOR, username="director")
    version = take_to(
        services.sow_create(actor=em.user, issue=ready_issue).versions.get(),
        "handed_off",
        em=em,
        director=director,
    )
    Region.objects.filter(pk=region_amer.pk).update(blended_bill_rate=Decimal("200"))
    today = timezone.localdate()
    OpportunityFactory(
        name="Northwind — Rollout",
        region=region_amer,
        amount=Decimal("80000.00"),
        em_confidence="Green",
        em_confidence_rationale="x",
        close_date=today,
    )
    monday = today - dt.timedelta(days=today.weekday())
    StaffingRequirementFactory(
        sow=version.sow,
        title="Spanish-speaking engineer",
        languages=["Spanish"],
        customer_time_zone="America/Mexico_City",
        hours_per_week=Decimal("10"),
        start_date=monday,
        end_date=monday + dt.timedelta(days=18),
    )
    delivery_person("Sam Taylor", region=region_amer, languages=["English"], time_zone="America/New_York")
    make_person(Role.PS_OPERATIONS, username="psops")
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "psops")
    page.goto(f"{live_server.url}/capacity/")
    kickoffs = page.get_by_test_id("kickoffs")
    expect(kickoffs.get_by_test_id("kickoff")).to_contain_text(version.sow.reference)
    expect(kickoffs.get_by_test_id("kickoff")).to_contain_text(
        version.hand_off.kickoff_date.strftime("%Y-%m-%d")
    )
    amount = page.get_by_test_id("from-amount")
    amount.locator("summary").click()
    expect(amount.get_by_test_id("from-amount-rows")).to_contain_text("Northwind — Rollout")
    expect(amount.get_by_test_id("from-amount-rows")).to_contain_text("estimated from amount")
    shot(page, "capacity-region", width, height)
    page.get_by_role("link", name="By language").click()
    spanish = page.get_by_test_id("group-row").filter(has_text="Spanish")
    expect(spanish.get_by_test_id("group-cell").first).to_have_class("text-end small heat heat-over")
    shot(page, "capacity-language", width, height)
    page.get_by_role("link", name="By time-zone band").click()
    expect(page.get_by_test_id("group-row").filter(has_text="Americas")).to_have_count(1)
    shot(page, "capacity-time-zone", width, height)
