"""The forecast dashboard on a phone (390×844) and a desktop (1440×900): no page-wide horizontal
scroll, figures on one line with their currency, selectors whole, wide tables scrolling inside
themselves with their first column kept in view, calibration bars labelled with n."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from forecasting.services import snapshot_take

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "dashboard"
SIZES = [(1440, 900), (390, 844)]


def _shot(page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_the_dashboard_fits_the_screen(page, live_server, log_in, leadership, book, width, height):
    snapshot_take(week=dt.date(2026, 11, 9))
    snapshot_take(week=dt.date(2026, 11, 16), replace=True)
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "leadership")
    page.goto(f"{live_server.url}/forecast/?quarter=FY27-Q4&week=2026-11-16")
    expect(page.get_by_test_id("chart-waterfall")).to_have_attribute("data-rendered", "true")
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the page scrolls sideways: {scroll} px wide in a {inner} px window"
    # Each headline figure on one line, its currency inline.
    for testid in ("forecast", "best-case-forecast", "closed-won", "commit", "pipeline"):
        figure = page.get_by_test_id(testid).locator(".figure")
        expect(figure).to_contain_text("USD ")
        box = figure.bounding_box()
        line = figure.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert box is not None and box["height"] < line * 1.5, f"{testid} wraps"
    # The selectors show their whole value.
    for select in ("#id_quarter", "#id_week"):
        clipped = page.locator(select).evaluate("e => e.scrollWidth > e.clientWidth + 1")
        assert not clipped, f"{select} is truncated"
    # Wide tables scroll inside their box; the first column stays put.
    region = page.get_by_test_id("by-region")
    expect(region).to_be_visible()
    position = region.locator("tbody th").first.evaluate("e => getComputedStyle(e).position")
    assert position == "sticky"
    expect(page.get_by_test_id("help-forecast")).to_be_visible()
    expect(page.get_by_test_id("sign-rule")).to_contain_text("effect on Commit")
    _shot(page, "dashboard", width)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_calibration_with_no_calls_says_what_to_do(page, live_server, log_in, leadership, width, height):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "leadership")
    page.goto(f"{live_server.url}/forecast/calibration/")
    expect(page.get_by_test_id("calibration-empty")).to_contain_text("No calls to measure yet")
    expect(page.get_by_test_id("chart-calibration")).to_have_count(0)
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner
    _shot(page, "calibration-empty", width)
