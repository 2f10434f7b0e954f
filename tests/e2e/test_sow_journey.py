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

    # The PS Director decides in the admin queue.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("director")
    page.get_by_label("Password").fill(demo_password)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/sow/approvalqueueitem/")
    row = page.get_by_test_id("queue-row").filter(has_text="Harbor Bank")
    expect(row).to_contain_text("44.2 %")
    row.get_by_role("link", name="Review").click()
    expect(page.get_by_test_id("review-margin")).to_contain_text("44.2 %")
    page.locator("#id_comment").fill("Approved, good margin")
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
