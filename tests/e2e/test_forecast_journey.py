"""Leadership's Monday look at the forecast, in Chromium."""

import csv
import datetime as dt

import pytest
from playwright.sync_api import expect

from forecasting.services import snapshot_take

pytestmark = pytest.mark.django_db(transaction=True)


def test_leadership_reads_forecast_switches_drills_and_exports(page, live_server, log_in, leadership, book):
    snapshot_take(week=dt.date(2026, 11, 9))
    snapshot_take(week=dt.date(2026, 11, 16))
    log_in(page, "leadership")
    expect(page).to_have_url(f"{live_server.url}/forecast/")
    page.get_by_label("Quarter", exact=True).select_option("FY27-Q4")
    page.get_by_role("button", name="Show").click()
    # Headline figures are compact; the exact amount is the tooltip.
    expect(page.get_by_test_id("closed-won")).to_have_text("USD 100.00 K")
    expect(page.get_by_test_id("closed-won").locator(".figure")).to_have_attribute("title", "USD 100,000.00")
    expect(page.get_by_test_id("pipeline")).to_have_text("USD 102.00 K")
    expect(page.get_by_test_id("pipeline").locator(".figure")).to_have_attribute("title", "USD 102,000.00")
    expect(page.get_by_test_id("rate-warning")).to_contain_text("GBP")
    for chart in ("chart-trend", "chart-closing", "chart-waterfall"):
        expect(page.get_by_test_id(chart)).to_have_attribute("data-rendered", "true")
        expect(page.get_by_test_id(chart).locator("svg").first).to_be_visible()

    page.get_by_label("As of week", exact=True).select_option("2026-11-09")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Bookings forecast FY27-Q4")).to_contain_text(
        "week of 2026-11-09"
    )
    expect(page.get_by_test_id("commit")).to_have_text("USD 50.00 K")

    page.get_by_test_id("best-case").click()
    expect(page.get_by_test_id("drill-total")).to_have_text("USD 72,000.00")
    rows = page.get_by_test_id("drill-rows").locator("tbody tr")
    expect(rows).to_have_count(2)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    with open(download_info.value.path(), newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0][0] == "Opportunity" and {line[0] for line in lines[1:]} == {"Green", "Amber EUR"}
