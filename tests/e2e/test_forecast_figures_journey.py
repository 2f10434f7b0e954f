"""The forecast's headline forecasts, trend legend and past-due list in Chromium, on a desktop and
a phone screen (screenshots are written to E2E_SCREENSHOT_DIR when it is set)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from forecasting.services import snapshot_take

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_leadership_reads_both_forecasts_the_trend_legend_and_past_due_deals(
    page, live_server, log_in, leadership, book, quarter, width, height
):
    snapshot_take(week=dt.date(2026, 11, 9))
    snapshot_take(week=dt.date(2026, 11, 16), replace=True)
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "leadership")
    page.goto(f"{live_server.url}/forecast/?quarter=FY27-Q4&week=2026-11-16")
    expect(page.get_by_test_id("forecast")).to_have_text("USD 150.00 K")
    expect(page.get_by_test_id("forecast").locator(".figure")).to_have_attribute("title", "USD 150,000.00")
    expect(page.get_by_test_id("best-case-forecast")).to_contain_text("USD 1")
    expect(page.get_by_test_id("rounding-rule")).to_contain_text("rounded half-up to cents once")
    trend = page.get_by_test_id("chart-trend")
    expect(trend).to_have_attribute("data-rendered", "true")
    expect(trend.locator("text=Forecast (Closed won + Commit)").first).to_be_attached()
    expect(page.get_by_test_id("trend-help")).to_contain_text("Best-case forecast")
    expect(page.get_by_test_id("past-due")).to_be_visible()
    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"dashboard-{width}x{height}.png"), full_page=True)
    # Past due as of today: open, still in Salesforce, in the quarter, closing before today's date.
    today = timezone.localdate()
    past_due = [
        o
        for o in book.values()
        if not o.is_closed
        and o.removed_in_salesforce_at is None
        and quarter.start <= o.close_date < today
        and o.close_date <= quarter.end
    ]
    page.goto(f"{live_server.url}/forecast/?quarter=FY27-Q4")
    expect(page.get_by_test_id("past-due-count")).to_have_text(str(len(past_due)))
    expect(page.get_by_test_id("past-due")).to_contain_text("Red EMEA")
    if folder:
        page.screenshot(path=str(Path(folder) / f"dashboard-live-{width}x{height}.png"), full_page=False)
