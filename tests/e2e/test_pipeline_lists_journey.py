"""My pipeline as people work in it, in Chromium: on a phone, with the keyboard, two people on one
record, and many rows at once. Screenshots go to artifacts/screenshots/pipeline/ (not committed)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engagements import services
from engagements.models import ConfidenceEvent, Opportunity
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ROOT / "artifacts" / "screenshots") / "pipeline"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def deals(em, region_amer, em_manager, leadership):
    acme = OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        name="Acme Logistics — Migration",
        em_confidence="Amber",
        em_confidence_rationale="Budget approved; timing unclear",
        forecast_category="Commit",
    )
    borealis = OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        name="Borealis — Health Check",
        em_confidence="Green",
        em_confidence_rationale="PO in legal review",
    )
    cobalt = OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        name="Cobalt Retail — Training",
        em_confidence="Red",
        em_confidence_rationale="Champion left",
    )
    return acme, borealis, cobalt


def _no_page_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        "the page scrolls sideways"
    )


def test_em_edits_and_confirms_a_card_on_a_phone(browser, live_server, log_in, deals):
    acme, borealis, _ = deals
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, "em.amer")
    expect(page.get_by_role("heading", name="My pipeline")).to_be_visible()
    # The filters wait behind one button; the cards come first.
    expect(page.locator("#pipeline-filters")).to_be_hidden()
    toggle = page.get_by_test_id("filters-toggle")
    expect(toggle).to_be_visible()
    _no_page_scroll(page)
    card = page.locator(f"#opp-{acme.pk}")
    for text in ("Acme Logistics — Migration", acme.account.name, "USD 100,000.00", "Amber"):
        expect(card).to_contain_text(text)
    edit = card.get_by_role("button", name="Edit")
    confirm = card.get_by_role("button", name="Confirm")
    for control in (edit, confirm):
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] >= 44  # thumb-sized
    _shot(page, "my-pipeline-390x844")

    edit.tap()
    editor = page.get_by_test_id("row-editor")
    expect(editor.get_by_label("EM confidence")).to_be_focused()
    editor.get_by_label("EM confidence").select_option("Green")
    editor.get_by_label("Rationale").fill("Signed order form expected Friday")
    editor.get_by_role("button", name="Save").tap()
    expect(page.locator(f"#opp-{acme.pk}").get_by_test_id("confidence")).to_have_text("Green")
    _no_page_scroll(page)

    page.locator(f"#opp-{borealis.pk}").get_by_role("button", name="Confirm").tap()
    expect(page.locator(f"#opp-{borealis.pk}").get_by_test_id("stale")).to_have_count(0)
    assert Opportunity.objects.get(pk=acme.pk).em_confidence == "Green"
    assert ConfidenceEvent.objects.filter(opportunity=borealis, kind="confirmed").count() == 1

    # Filters open from the button, which then counts the active ones.
    toggle.tap()
    page.get_by_label("Green", exact=True).check()
    page.get_by_role("button", name="Apply").tap()
    expect(page.get_by_test_id("active-filter-count")).to_have_text("1")
    expect(page.locator("[data-testid=opp-row]")).to_have_count(2)
    context.close()


def test_pipeline_screenshot_on_a_desktop(page, live_server, log_in, deals):
    page.set_viewport_size(DESKTOP)
    log_in(page, "em.amer")
    expect(page.get_by_test_id("pipeline-table")).to_be_visible()
    expect(page.locator("#pipeline-filters")).to_be_visible()
    expect(page.get_by_test_id("filters-toggle")).to_be_hidden()
    _no_page_scroll(page)
    _shot(page, "my-pipeline-1440x900")


def test_conflict_keeps_what_was_typed_and_says_who_changed_it(
    browser, live_server, log_in, deals, em_manager
):
    acme = deals[0]
    em_context, manager_context = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=DESKTOP)
    em_page, manager_page = em_context.new_page(), manager_context.new_page()
    log_in(em_page, "em.amer")
    log_in(manager_page, "emm.amer")

    em_page.locator(f"#opp-{acme.pk}").get_by_role("button", name="Edit").click()
    typed = "Procurement confirmed the PO number; signature next week"
    em_page.get_by_test_id("row-editor").get_by_label("Rationale").fill(typed)

    manager_page.goto(f"{live_server.url}{acme.get_absolute_url()}")
    manager_page.get_by_label("Rationale").fill("Customer asked to pause until January")
    manager_page.get_by_role("button", name="Save", exact=True).click()
    expect(manager_page.get_by_role("alert").filter(has_text="Saved")).to_be_visible()

    em_page.get_by_test_id("row-editor").get_by_role("button", name="Save").click()
    conflict = em_page.get_by_test_id("conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_be_focused()
    expect(em_page.get_by_test_id("changed-by")).to_contain_text(
        re.compile(rf"Changed by {em_manager.name} at \d+ \w+ \d{{4}}, \d\d:\d\d")
    )
    editor = em_page.get_by_test_id("row-editor")
    expect(editor.get_by_label("Rationale")).to_have_value(typed)
    expect(em_page.get_by_test_id("current-values")).to_contain_text("Customer asked to pause until January")
    _shot(em_page, "conflict-1440x900")
    assert (
        Opportunity.objects.get(pk=acme.pk).em_confidence_rationale == "Customer asked to pause until January"
    )

    # Saving again, having read both, replaces the manager's text on purpose.
    editor.get_by_role("button", name="Save mine instead").click()
    expect(em_page.locator(f"#opp-{acme.pk}").get_by_test_id("confidence")).to_have_text("Amber")
    assert Opportunity.objects.get(pk=acme.pk).em_confidence_rationale == typed
    em_context.close()
    manager_context.close()


def test_keyboard_journey_through_the_inline_editor(page, live_server, log_in, deals):
    acme = deals[0]
    page.set_viewport_size(DESKTOP)
    log_in(page, "em.amer")
    row = page.locator(f"#opp-{acme.pk}")
    edit = row.get_by_role("button", name="Edit")
    edit.focus()
    # The focus ring shows on a control reached by keyboard.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(edit).to_be_focused()
    outline = edit.evaluate(
        "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth"
    )
    assert outline.split()[0] != "none" and outline.split()[1] != "0px", outline

    page.keyboard.press("Enter")
    confidence = page.get_by_test_id("row-editor").get_by_label("EM confidence")
    expect(confidence).to_be_focused()
    # Escape cancels and gives the focus back to the row's Edit button.
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("row-editor")).to_have_count(0)
    expect(row.get_by_role("button", name="Edit")).to_be_focused()

    page.keyboard.press("Enter")
    expect(confidence).to_be_focused()
    confidence.select_option("Red")  # the select's own keyboard handling is the browser's
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("row-editor").get_by_label("Rationale")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Budget moved to next year")
    page.keyboard.press("Tab")  # scoping link
    page.keyboard.press("Tab")  # Save
    expect(page.get_by_test_id("row-editor").get_by_role("button", name="Save")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row.get_by_test_id("confidence")).to_have_text("Red")
    expect(row.get_by_role("button", name="Edit")).to_be_focused()
    assert Opportunity.objects.get(pk=acme.pk).em_confidence_rationale == "Budget moved to next year"

    # A refused save puts the focus on the field to fix.
    page.keyboard.press("Enter")
    # The editor puts the focus on its first field once it has settled; wait for that, so the
    # keys below go where a person's would.
    expect(confidence).to_be_focused()
    rationale = page.get_by_test_id("row-editor").get_by_label("Rationale")
    rationale.fill("")
    rationale.press("Tab")
    expect(page.get_by_test_id("row-editor").get_by_label("Scoping issue link")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("row-editor").get_by_role("button", name="Save")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("row-editor")).to_contain_text("A rationale is required for Red")
    expect(page.get_by_test_id("row-editor").get_by_label("Rationale")).to_be_focused()


def test_bulk_confirm_with_one_changed_meanwhile(page, live_server, log_in, deals, em_manager):
    acme, borealis, cobalt = deals
    page.set_viewport_size(DESKTOP)
    log_in(page, "em.amer")
    for opp in (acme, borealis, cobalt):
        page.get_by_label(f"Select {opp.name}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3 selected")
    # The manager changes Cobalt while the EM's page is open.
    services.opportunity_update_em_fields(
        actor=em_manager.user,
        opportunity=cobalt,
        expected_version=cobalt.version,
        em_confidence_rationale="Lost champion",
    )
    page.get_by_test_id("bulk-confirm").click()
    expect(page.get_by_role("alert").filter(has_text="Confirmed unchanged: 2 opportunities")).to_be_visible()
    refusal = page.get_by_role("alert").filter(has_text=f"Not saved — {cobalt.name}")
    expect(refusal).to_contain_text(em_manager.name)
    confirmed = set(ConfidenceEvent.objects.filter(kind="confirmed").values_list("opportunity_id", flat=True))
    assert confirmed == {acme.pk, borealis.pk}


def test_bulk_assign_on_the_unassigned_view(page, live_server, log_in, em, em_manager, region_amer):
    first, second = (
        OpportunityFactory(region=region_amer, engagement_manager=None, name=name)
        for name in ("Delta Bank — Migration", "Echo Foods — Training")
    )
    page.set_viewport_size(DESKTOP)
    log_in(page, "emm.amer")
    page.get_by_role("link", name="Unassigned").first.click()
    page.get_by_label("Select all on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    page.get_by_label("Engagement Manager to assign").select_option(value=str(em.pk))
    page.get_by_test_id("bulk-assign").click()
    expect(
        page.get_by_role("alert").filter(has_text=f"Assigned to {em.name}: 2 opportunities")
    ).to_be_visible()
    assert {o.engagement_manager_id for o in Opportunity.objects.filter(pk__in=[first.pk, second.pk])} == {
        em.pk
    }
