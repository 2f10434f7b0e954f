"""The weekly forecast call in Chromium: an EM submits a call with a note; their manager sees it and
adjusts the team call; leadership reads both on the dashboard with the change from last week."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls import services
from core.fiscal import FiscalQuarter
from tests.calls.conftest import org  # noqa: F401 (the hand-built hierarchy)

pytestmark = pytest.mark.django_db(transaction=True)


def _last_week(person: Any, commit: str, best: str) -> None:
    moment = timezone.now() - dt.timedelta(days=7)
    services.call_submit(
        actor=person.user,
        person=person,
        quarter=FiscalQuarter.for_date(timezone.localdate(moment)),
        commit=commit,
        best_case=best,
        note="last week",
        now=moment,
    )


def test_em_submits_manager_adjusts_leadership_reads(page, live_server, log_in, org, leadership, settings):  # noqa: F811
    # Calls made now are on time whatever the weekday the test runs on: the deadline is the week's end.
    settings.FORECAST_CALL_DEADLINE_DAY = 6
    settings.FORECAST_CALL_DEADLINE_TIME = "23:59"
    if FiscalQuarter.for_date(timezone.localdate() - dt.timedelta(days=7)) != FiscalQuarter.current():
        pytest.skip("last week was in another quarter")
    _last_week(org["e1"], "120", "170")
    _last_week(org["m1"], "300", "330")

    # The EM: the form starts from their system numbers (Closed won 100 + Green 50; + Amber 30).
    log_in(page, "e1")
    page.get_by_role("link", name="My call").click()
    expect(page.get_by_label("Commit")).to_have_value("150.00")
    expect(page.get_by_label("Best case")).to_have_value("180.00")
    page.get_by_label("Commit").fill("160")
    page.get_by_label("Best case").fill("190")
    page.get_by_role("button", name="Submit call").click()
    expect(page.get_by_text("Say why the call differs from your system numbers.")).to_be_visible()
    page.get_by_label("Note").fill("Acme PO slipping to next week, keeping it in")
    page.get_by_role("button", name="Submit call").click()
    expect(page.get_by_text("call for this week is saved")).to_be_visible()
    expect(page.get_by_test_id("my-status")).to_have_text("submitted")
    expect(page.get_by_test_id("revisions")).to_contain_text("Acme PO slipping")
    page.context.clear_cookies()

    # The manager: sees the EM's call and note, then calls the team with an adjustment.
    log_in(page, "m1")
    page.goto(f"{live_server.url}/calls/team/")
    ella = page.get_by_test_id("call-row").filter(has_text="Ella One")
    expect(ella.get_by_test_id("call-status")).to_have_text("submitted")
    expect(ella.get_by_test_id("call-commit")).to_have_text("160.00")
    expect(ella.get_by_test_id("call-note")).to_have_text("Acme PO slipping to next week, keeping it in")
    expect(ella.get_by_test_id("call-change")).to_have_text("40.00")  # 160 − last week's 120
    eric = page.get_by_test_id("call-row").filter(has_text="Eric Two")
    expect(eric.get_by_test_id("call-status")).to_have_text("not submitted")
    page.get_by_test_id("team-call-link").click()
    expect(page.get_by_label("Commit")).to_have_value("360.00")  # 160 + Eric's system 200
    page.get_by_label("Commit").fill("380")
    page.get_by_label("Best case").fill("420")
    page.get_by_label("Note").fill("Eric's renewal comes in bigger")
    page.get_by_role("button", name="Revise call").or_(page.get_by_role("button", name="Submit call")).click()
    expect(page.get_by_text("call for this week is saved")).to_be_visible()
    page.context.clear_cookies()

    # Leadership: both calls on the dashboard, with the adjustment and the change from last week.
    log_in(page, "leadership")
    page.goto(f"{live_server.url}/forecast/")
    section = page.get_by_test_id("dashboard-calls")
    expect(section).to_contain_text("2 of 6 submitted")
    mia = section.get_by_test_id("call-row").filter(has_text="Mia Manager")
    expect(mia.get_by_test_id("call-commit")).to_have_text("380.00")
    expect(mia.get_by_test_id("call-adjustment")).to_have_text("20.00")  # 380 − (160 + 200)
    expect(mia.get_by_test_id("call-change")).to_have_text("80.00")  # 380 − last week's 300
    expect(mia.get_by_test_id("call-note")).to_have_text("Eric's renewal comes in bigger")
    ella = section.get_by_test_id("call-row").filter(has_text="Ella One")
    expect(ella.get_by_test_id("call-change")).to_have_text("40.00")
    expect(ella.get_by_test_id("call-note")).to_contain_text("Acme PO slipping")
    # Drill: the manager's row leads to their team's calls, and an EM's to their opportunities.
    mia.get_by_role("link", name="Mia Manager").click()
    expect(page.get_by_role("heading", name="Team calls — Mia Manager")).to_be_visible()
    page.get_by_test_id("call-row").filter(has_text="Ella One").get_by_role("link", name="Ella One").click()
    expect(page.get_by_test_id("drill-total")).to_have_text("USD 150.00")  # Closed won 100 + Green 50
    # The organisation's page and its CSV.
    page.goto(f"{live_server.url}/calls/")
    expect(page.get_by_test_id("call-row")).to_have_count(6)
    with page.expect_download() as download:
        page.get_by_role("link", name="every level").click()
    with open(download.value.path(), encoding="utf-8") as handle:
        assert "Mia Manager" in handle.read()
