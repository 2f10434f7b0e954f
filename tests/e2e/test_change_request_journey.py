"""An EM takes the signed demo SOW through a change request to approval, clicked through in Chromium:
drafted from the SOW page, a line added by hand, submitted, sent back by the PS Director in the
approval queue with a comment, reopened, submitted again and approved; the SOW page then counts it in
the contract value, and the change request's final PDF downloads without the DRAFT mark."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from core.money import format_money
from scoping.models import DeliveryRole
from sow.models import ChangeRequest, ChangeRequestLine, SowStatus, SowVersion

pytestmark = pytest.mark.django_db(transaction=True)


def demo_log_in(live_server):
    """Log in through the form with a demo login's password."""
    from people.demo import DEMO_PASSWORD

    def do(page, username: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return do


def test_em_takes_a_signed_demo_sow_through_a_change_request_to_approval(page, live_server):
    log_in = demo_log_in(live_server)
    call_command("seed_demo", stdout=io.StringIO())
    signed = SowVersion.objects.select_related("sow__opportunity__engagement_manager__user").get(
        status__in=[SowStatus.SIGNED, SowStatus.HANDED_OFF]
    )
    manager = signed.sow.opportunity.engagement_manager
    assert manager is not None and manager.user is not None
    em = manager.user.username
    # What the contract is worth before: the signed total plus the demo's approved change request,
    # summed here from the stored lines.
    approved = ChangeRequestLine.objects.filter(
        change_request__sow=signed.sow, change_request__status__in=["approved", "sent", "signed"]
    )
    before = signed.total + sum((line.price_delta for line in approved), Decimal("0"))
    rate = DeliveryRole.objects.get(name="Senior Engineer", currency=signed.currency).bill_rate

    log_in(page, em)
    page.goto(f"{live_server.url}{signed.get_absolute_url()}")
    expect(page.get_by_test_id("contract-current")).to_have_text(format_money(before, signed.currency))
    page.get_by_test_id("new-change-request").click()
    page.get_by_label("Title").fill("Second team onboarding")
    page.get_by_label("Reason for the change").fill("A second team joins the rollout.")
    page.get_by_label("Effect on dates").fill("Two more weeks.")
    page.get_by_role("button", name="Draft change request").click()
    expect(page.get_by_test_id("cr-status")).to_have_text("Draft")
    expect(page.get_by_test_id("cr-lineage")).to_contain_text(signed.sow.reference)

    page.get_by_text("Add a line by hand").click()
    page.locator("#id_change").select_option("added")
    page.get_by_label("Kind of line").select_option("labour")
    page.get_by_label("Description").fill("Onboarding the second team")
    role = DeliveryRole.objects.get(name="Senior Engineer", currency=signed.currency)
    page.locator("#id_delivery_role").select_option(str(role.pk))
    page.get_by_label("Hours (labour)").fill("16")
    page.get_by_role("button", name="Add line").click()
    delta = 16 * rate
    expect(page.get_by_test_id("cr-price")).to_have_text("+" + format_money(delta, signed.currency))
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_test_id("cr-status")).to_have_text("Submitted")
    change_request = ChangeRequest.objects.get(title="Second team onboarding")

    # The PS Director finds it in the approval queue and sends it back with a comment.
    page.context.clear_cookies()
    log_in(page, "director")
    page.goto(f"{live_server.url}/admin/sow/approvalqueueitem/")
    row = page.get_by_test_id("cr-queue-row").filter(has_text="Second team onboarding")
    expect(row).to_contain_text("+" + format_money(delta, signed.currency))
    row.get_by_role("link", name="Review").click()
    expect(page.get_by_test_id("cr-review-price")).to_have_text("+" + format_money(delta, signed.currency))
    page.locator("#id_comment").fill("Add the travel for the onboarding workshop")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_text("Changes requested on")).to_be_visible()

    # The EM reads the comment, reopens, adds the travel and submits again.
    page.context.clear_cookies()
    log_in(page, em)
    page.goto(f"{live_server.url}{change_request.get_absolute_url()}")
    expect(page.get_by_test_id("cr-decisions")).to_contain_text("Add the travel for the onboarding workshop")
    page.get_by_role("button", name="Reopen as draft to make the changes").click()
    expect(page.get_by_test_id("cr-status")).to_have_text("Draft")
    page.get_by_text("Add a line by hand").click()
    page.get_by_label("Kind of line").select_option("expenses")
    page.get_by_label("Description").fill("Travel for the onboarding workshop")
    page.get_by_label("Price (other kinds)").fill("900")
    page.get_by_role("button", name="Add line").click()
    delta += Decimal("900")
    expect(page.get_by_test_id("cr-price")).to_have_text("+" + format_money(delta, signed.currency))
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_test_id("cr-status")).to_have_text("Submitted")

    # The director approves it in the queue (the confirmation first).
    page.context.clear_cookies()
    log_in(page, "director")
    page.goto(f"{live_server.url}/admin/sow/approvalqueueitem/")
    page.get_by_test_id("cr-queue-row").filter(has_text="Second team onboarding").get_by_role(
        "link", name="Review"
    ).click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("decision-form")).to_be_visible()
    assert ChangeRequest.objects.get(pk=change_request.pk).status == "submitted"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"{change_request} approved.")).to_be_visible()

    # The EM sees it counted in the contract value and downloads the final PDF.
    page.context.clear_cookies()
    log_in(page, em)
    page.goto(f"{live_server.url}{signed.get_absolute_url()}")
    expect(page.get_by_test_id("contract-current")).to_have_text(
        format_money(before + delta, signed.currency)
    )
    page.get_by_test_id("contract-cr").filter(has_text="Second team onboarding").get_by_role("link").click()
    expect(page.get_by_test_id("cr-status")).to_have_text("Approved")
    link = page.get_by_test_id("cr-download-final")
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as download_info:
        link.click()
    with open(download_info.value.path(), "rb") as handle:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert "Change Request" in text and "Second team onboarding" in text
    assert "DRAFT" not in text
    assert format_money(before + delta, signed.currency) in text
