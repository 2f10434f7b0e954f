"""From agreed estimate to approved SOW and its PDF, clicked through in Chromium."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from core.roles import Role
from sow.models import SowTemplate, SowVersion

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def template(db):
    return SowTemplate.objects.create(
        category="migration",
        deliverables="- Migration plan",
        assumptions="- Remote delivery",
        out_of_scope="- Operations",
        customer_responsibilities="- Sponsor named",
        period_of_performance="Twelve weeks",
        payment_schedule="- 100 % on signature",
    )


def test_em_drafts_costs_submits_director_approves_em_downloads_pdf(
    page, live_server, log_in, em, ready_issue, template, make_person, demo_password
):
    make_person(Role.PS_DIRECTOR, username="director", name="Dana Director")
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}{ready_issue.get_absolute_url()}")
    page.get_by_role("button", name="Create SOW").click()
    expect(page.get_by_test_id("sow-status")).to_have_text("Draft")
    expect(page.get_by_test_id("sow-price")).to_have_text("USD 26,000.00")
    expect(page.get_by_test_id("sow-cogs")).to_have_text("USD 13,000.00")

    page.get_by_text("Add a cost").click()
    page.locator("#id_kind").select_option("travel")
    page.locator("#id_description").fill("Flights to Harbor Bank HQ")
    page.locator("#id_amount").fill("1500")
    page.get_by_role("button", name="Add cost").click()
    expect(page.get_by_test_id("sow-cogs")).to_have_text("USD 14,500.00")
    expect(page.get_by_test_id("sow-margin")).to_contain_text("44.2 %")

    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_test_id("sow-status")).to_have_text("Submitted")

    # The PS Director logs in and lands on the approval queue; the menu says one SOW waits.
    page.context.clear_cookies()
    log_in(page, "director")
    page.wait_for_url(f"{live_server.url}/admin/sow/approvalqueueitem/")
    page.goto(f"{live_server.url}/sows/")
    expect(page.get_by_test_id("nav-sowqueue")).to_contain_text("1")
    expect(page.get_by_test_id("nav-sowqueue")).to_contain_text("oldest under 1 h")
    page.get_by_test_id("nav-sowqueue").click()
    row = page.get_by_test_id("queue-row").filter(has_text="Harbor Bank")
    expect(row).to_contain_text("44.2 %")
    row.get_by_role("link", name="Review").click()

    # The review page holds the decision: the deal, money by kind, risks, the estimate, links.
    expect(page.get_by_test_id("review-margin")).to_contain_text("44.2 %")
    expect(page.get_by_test_id("review-opp-amount")).not_to_be_empty()
    expect(page.get_by_test_id("review-stage")).to_have_text(ready_issue.opportunity.stage)
    expect(page.get_by_test_id("review-gross-profit")).to_have_text("USD 11,500.00")
    expect(page.get_by_test_id("review-kind-margins")).to_contain_text("Travel & expenses")
    expect(page.get_by_test_id("review-risks")).to_contain_text("Legacy jobs undocumented")
    expect(page.get_by_test_id("review-estimate-diff")).to_contain_text("Custom Migration: Execution")
    expect(page.get_by_test_id("link-estimate")).to_have_attribute(
        "href", ready_issue.estimates.get().get_absolute_url()
    )

    # Approve asks first: dismissed, nothing is decided; accepted, the SOW is approved.
    page.locator("#id_comment").fill("Approved, good margin")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("decision-form")).to_be_visible()
    assert SowVersion.objects.get().status == "submitted"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("approved.")).to_be_visible()

    # The EM sees the decision and downloads the final PDF.
    page.context.clear_cookies()
    log_in(page, "em.amer")
    version = SowVersion.objects.get()
    page.goto(f"{live_server.url}{version.get_absolute_url()}")
    expect(page.get_by_test_id("sow-status")).to_have_text("Approved")
    expect(page.get_by_test_id("decisions")).to_contain_text("Approved, good margin")
    link = page.get_by_test_id("download-final")
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as download_info:
        link.click()
    with open(download_info.value.path(), "rb") as handle:
        data = handle.read()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Harbor Bank" in text
    assert "DRAFT" not in text
