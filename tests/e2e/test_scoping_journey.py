"""Scoping and the services calculator, clicked through in Chromium."""

import pytest
from playwright.sync_api import expect

from scoping.models import Estimate, ScopingIssue
from tests.engagements.factories import OpportunityFactory
from tests.scoping.factories import (
    CustomOfferingFactory,
    DeliveryRoleFactory,
    OfferingActivityFactory,
    PackagedOfferingFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog(db):
    DeliveryRoleFactory(name="Engineer", bill_rate="200.00", cost_rate="95.00")
    DeliveryRoleFactory(name="Technical Architect", bill_rate="300.00", cost_rate="150.00")
    PackagedOfferingFactory(code="PKG-RAPID", name="Rapid Implementation", unit_price="24000.00")
    custom = CustomOfferingFactory(code="CUS-MIG", name="Custom Migration")
    OfferingActivityFactory(
        offering=custom, role_name="Technical Architect", description="Assessment", hours="8"
    )
    OfferingActivityFactory(offering=custom, role_name="Engineer", description="Execution", hours="40")


def test_em_scopes_estimates_revises_and_agrees(page, live_server, log_in, em, region_amer, catalog):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Harbor Bank — Migration")
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}{opp.get_absolute_url()}")
    page.get_by_role("link", name="New scoping issue").click()

    page.get_by_label("Title").fill("Harbor Bank migration scoping")
    page.get_by_label("Current state").fill("Jenkins on VMs, 40 repositories")
    page.get_by_label("Desired business outcomes").fill("Weekly releases")
    page.get_by_label("Migration").check()
    page.get_by_role("button", name="Open scoping issue").click()
    expect(page.get_by_test_id("current-state")).to_contain_text("Jenkins on VMs")

    page.get_by_role("button", name="Start estimate").click()
    expect(page.get_by_role("heading", name="Estimate v1")).to_be_visible()
    page.locator("#id_offering").select_option(label="PKG-RAPID — Rapid Implementation (USD)")
    page.get_by_role("button", name="Add offering").click()
    page.locator("#id_offering").select_option(label="CUS-MIG — Custom Migration")
    page.get_by_role("button", name="Add offering").click()
    # 24,000 + 8×300 + 40×200 = 34,400
    expect(page.get_by_test_id("estimate-total")).to_have_text("USD 34,400.00")

    # Totals follow the EM's typing before saving (htmx preview).
    page.get_by_label("Hours for Custom Migration: Execution").fill("50")
    expect(page.get_by_test_id("estimate-total")).to_have_text("USD 36,400.00")
    page.get_by_role("button", name="Save estimate").click()
    expect(page.get_by_test_id("estimate-total")).to_have_text("USD 36,400.00")

    page.get_by_role("button", name="Share (freeze)").click()
    expect(page.get_by_test_id("estimate-status")).to_have_text("Shared")
    page.get_by_label("Reason").fill("Customer asked for phased delivery")
    page.get_by_role("button", name="Create v2 from v1").click()
    expect(page.get_by_role("heading", name="Estimate v2")).to_be_visible()
    page.get_by_label("Hours for Custom Migration: Execution").fill("30")
    page.get_by_role("button", name="Save estimate").click()
    expect(page.get_by_test_id("estimate-total")).to_have_text("USD 32,400.00")

    page.get_by_role("link", name="Compare with v1").click()
    expect(page.get_by_test_id("revision-reason")).to_have_text("Customer asked for phased delivery")
    expect(page.get_by_test_id("diff-changed")).to_contain_text("Custom Migration: Execution")
    expect(page.get_by_test_id("total-delta")).to_contain_text("USD -4,000.00 (-20.00 h)")

    page.get_by_role("link", name="Estimate v2").click()
    page.get_by_role("button", name="Mark agreed").click()
    expect(page.get_by_test_id("estimate-status")).to_have_text("Agreed")

    issue = ScopingIssue.objects.get()
    assert dict(Estimate.objects.filter(scoping_issue=issue).values_list("number", "status")) == {
        1: "superseded",
        2: "agreed",
    }
    opp.refresh_from_db()
    assert opp.scoping_issue_link.endswith(issue.get_absolute_url())


def test_ta_approves_large_estimate_from_queue(
    page, live_server, log_in, em, region_amer, catalog, make_person
):
    from core.roles import Role
    from scoping import services

    make_person(Role.TECHNICAL_ARCHITECT, username="ta")
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    issue = services.scoping_issue_create(actor=em.user, opportunity=opp, title="Big platform rollout")
    estimate = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_line(
        actor=em.user,
        estimate=estimate,
        kind="free",
        description="Fixed fee",
        quantity="1",
        unit_price="75000",
    )
    log_in(page, "ta")
    page.get_by_role("link", name="TA queue").click()
    row = page.get_by_test_id("ta-queue").get_by_role("row", name="Big platform rollout")
    row.get_by_label("Comment").fill("Architecture reviewed")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert").filter(has_text="Estimate approved")).to_be_visible()
    issue.refresh_from_db()
    assert issue.ta_review_state == "approved"
