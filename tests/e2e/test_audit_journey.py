"""Leadership reads the audit trail in Chromium: an EM's change of call appears in words under the EM's
name, the "Who" filter keeps it, and only an administrator is offered the export."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.roles import Role
from engagements.services import opportunity_update_em_fields
from tests.engagements.factories import OpportunityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / ".test-media" / "screenshots"


def test_leadership_finds_an_em_change_in_words_and_filters_by_who(page, live_server, log_in, make_person):
    em = make_person(Role.ENGAGEMENT_MANAGER, username="em.audit", name="Erin Audit")
    other = make_person(Role.ENGAGEMENT_MANAGER, username="em.other", name="Omar Other")
    make_person(Role.LEADERSHIP, username="lead", name="Lee Leader")
    mine = OpportunityFactory(name="Globex rollout", engagement_manager=em, region=em.region)
    theirs = OpportunityFactory(name="Initech upgrade", engagement_manager=other, region=other.region)
    opportunity_update_em_fields(
        actor=em.user,
        opportunity=mine,
        expected_version=mine.version,
        em_confidence="Green",
        em_confidence_rationale="PO received from procurement",
    )
    opportunity_update_em_fields(
        actor=other.user,
        opportunity=theirs,
        expected_version=theirs.version,
        em_confidence="Red",
        em_confidence_rationale="Budget frozen",
    )

    log_in(page, "lead")
    page.get_by_role("link", name="Audit").first.click()
    expect(page.locator("h1")).to_have_text("Audit trail")
    entries = page.get_by_test_id("audit-entry")
    expect(entries.filter(has_text="Globex rollout")).to_have_count(1)
    expect(entries.filter(has_text="Initech upgrade")).to_have_count(1)
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)

    page.get_by_label("Who").fill("em.audit")
    page.get_by_role("button", name="Filter").click()
    expect(entries).to_have_count(1)
    entry = entries.first
    expect(entry).to_contain_text("Erin Audit")
    expect(entry).to_contain_text("Green")
    expect(entry).to_contain_text("PO received from procurement")
    expect(entry).not_to_contain_text("em_confidence")
    entry.get_by_role("link", name="Globex rollout").click()
    expect(page.locator("h1")).to_contain_text("Globex rollout")

    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/audit/")
        page.screenshot(path=str(SHOTS / f"audit-{width}.png"), full_page=True)


def test_only_an_administrator_is_offered_the_audit_export(page, live_server, log_in, make_person):
    make_person(Role.LEADERSHIP, username="admin.audit", name="Ada Admin", superuser=True)
    log_in(page, "admin.audit")
    page.goto(f"{live_server.url}/audit/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "audit.csv"
