"""Layouts people work in, in Chromium: the scoping board at 1440 px (one board, drag and drop,
days in status), the estimate on a 390×844 phone (lines stacked, the total always in sight) and the
SOW's cost lines (one row per line; an add-a-cost error is scrolled into view and focused)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoping import services as scoping_services
from scoping.models import ScopingIssue
from tests.engagements.factories import OpportunityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def no_page_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def in_viewport(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def test_board_fits_at_desktop_and_a_card_dragged_to_another_column_moves(
    page: Any, live_server: Any, log_in: Any, em: Any, region_amer: Any
) -> None:
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Delta — Rollout")
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Delta rollout")
    ScopingIssue.objects.filter(pk=issue.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=3))
    page.set_viewport_size(DESKTOP)
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}/scoping/board/")

    board = page.get_by_test_id("board")
    # Nine columns on one board that fits the page: nothing off-screen, the page does not scroll.
    assert page.locator(".board-column").count() == 9
    assert no_page_scroll(page)
    assert board.evaluate("b => b.scrollWidth <= b.clientWidth")
    card = page.get_by_test_id(f"card-{issue.pk}")
    expect(card.get_by_test_id("days-in-status")).to_have_text("3 days in this status")

    card.drag_to(page.get_by_test_id("column-awaiting_discovery").locator(".board-drop"))
    page.wait_for_load_state("load")
    expect(
        page.get_by_test_id("column-awaiting_discovery").get_by_test_id(f"card-{issue.pk}")
    ).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("moved to Awaiting discovery")
    expect(page.get_by_test_id(f"card-{issue.pk}").get_by_test_id("days-in-status")).to_have_text(
        "In this status since today"
    )
    issue.refresh_from_db()
    assert issue.status == "awaiting_discovery"

    # The keyboard way stays: choose a status on the card and press Move.
    card = page.get_by_test_id(f"card-{issue.pk}")
    card.get_by_label("Move “Delta rollout” to").select_option("strawman")
    card.get_by_role("button", name="Move").click()
    expect(page.get_by_test_id("column-strawman").get_by_test_id(f"card-{issue.pk}")).to_be_visible()


def test_estimate_on_a_phone_add_a_line_and_see_the_total(
    page: Any, live_server: Any, log_in: Any, em: Any, region_amer: Any
) -> None:
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Kite — Training")
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Kite training")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Workshop", quantity=2, unit_price="1250"
    )
    page.set_viewport_size(PHONE)
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}{estimate.get_absolute_url()}")

    assert no_page_scroll(page)
    total = page.get_by_test_id("sticky-total-amount")
    expect(total).to_have_text(f"{estimate.currency} 2,500.00")
    assert in_viewport(page, total)
    # Each line is a stacked card: its amount is on screen, not in a column off to the right.
    amount = page.get_by_test_id("line").first.get_by_test_id("line-amount")
    box = amount.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]

    add_line = page.get_by_role("region", name="Add a line")
    add_line.get_by_label("Kind").select_option("free")
    add_line.get_by_label("Description").fill("Course materials")
    add_line.get_by_label("Quantity").fill("3")
    add_line.get_by_label("Unit price").fill("400")
    add_line.get_by_role("button", name="Add line").click()

    expect(page.get_by_test_id("line")).to_have_count(2)
    total = page.get_by_test_id("sticky-total-amount")
    expect(total).to_have_text(f"{estimate.currency} 3,700.00")  # 2 × 1,250 + 3 × 400
    page.get_by_role("region", name="Add a line").get_by_label("Description").scroll_into_view_if_needed()
    assert in_viewport(page, total), "the total stays in sight wherever the page is scrolled"
    assert no_page_scroll(page)


def test_read_only_estimate_is_no_wider_than_a_phone(
    page: Any, live_server: Any, log_in: Any, ready_issue: Any
) -> None:
    estimate = ready_issue.estimates.get()
    page.set_viewport_size(PHONE)
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}{estimate.get_absolute_url()}")
    expect(page.get_by_test_id("line")).to_have_count(2)
    assert no_page_scroll(page)


def test_cost_lines_one_row_each_and_an_add_a_cost_error_is_focused(
    page: Any, live_server: Any, log_in: Any, em: Any, ready_issue: Any
) -> None:
    from sow import services as sow_services

    version = sow_services.sow_create(actor=em.user, issue=ready_issue).versions.get()
    page.set_viewport_size(DESKTOP)
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}{version.get_absolute_url()}")

    table = page.get_by_test_id("cost-lines")
    headers = table.locator("thead th")
    rows = table.locator("tbody tr")
    assert rows.count() == version.cost_estimate.lines.count() == 2
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td")
        assert cells.count() == headers.count()
        # Each cell sits under its header, and the whole line is one row (all cells on one line).
        for column in range(headers.count()):
            head, cell = headers.nth(column).bounding_box(), cells.nth(column).bounding_box()
            assert head and cell and abs(head["x"] - cell["x"]) < 2
        heights = {round(cells.nth(c).bounding_box()["y"]) for c in range(cells.count())}
        assert len(heights) == 1

    page.get_by_text("Add a cost").click()
    page.locator("#id_kind").select_option("travel")
    page.locator("#id_description").fill("Flights")
    page.locator("#id_amount").fill("-5")
    page.get_by_role("button", name="Add cost").click()
    page.wait_for_load_state("load")
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("id", "id_amount")
    box = focused.bounding_box()
    assert in_viewport(page, focused), (box, page.evaluate("[window.scrollY, window.innerHeight]"))
