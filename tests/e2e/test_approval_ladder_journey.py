"""A large, low-margin SOW climbs its approval ladder in Chromium: the PS Director approves, Finance
sends it back with a comment, the EM reopens and submits again (a new ladder), and the PS Director,
Finance and the VP of PS approve it in turn; the queue shows each approver the step waiting for
them, and a delegation is set on the approver's own page."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.roles import Role
from sow.models import (
    ApprovalRule,
    ApprovalStep,
    ApproverRole,
    ApproverRoleMember,
    MarginTarget,
    SowTemplate,
    SowVersion,
)

pytestmark = pytest.mark.django_db(transaction=True)
LADDER = "1. PS Director · 2. Finance (price > USD 20,000) · 3. VP PS (margin 44.2 % below floor 45 %)"


@pytest.fixture
def ladder_rules(make_person):
    SowTemplate.objects.create(
        category="migration",
        deliverables="- Migration plan",
        assumptions="- Remote delivery",
        out_of_scope="- Operations",
        customer_responsibilities="- Sponsor named",
        period_of_performance="Twelve weeks",
        payment_schedule="- 100 % on signature",
    )
    MarginTarget.objects.create(
        category="migration", target_percent=Decimal("50"), floor_percent=Decimal("45")
    )
    make_person(Role.PS_DIRECTOR, username="director", name="Dana Director")
    finance = make_person(Role.PS_DIRECTOR, username="finance", name="Fiona Finance")
    vp = make_person(Role.PS_DIRECTOR, username="vp", name="Victor Vp")
    finance_role = ApproverRole.objects.create(name="Finance")
    vp_role = ApproverRole.objects.create(name="VP PS")
    ApproverRoleMember.objects.create(role=finance_role, person=finance)
    ApproverRoleMember.objects.create(role=vp_role, person=vp)
    ApprovalRule.objects.create(
        name="Large", order=20, min_price=Decimal("20000"), approver_role=finance_role
    )
    ApprovalRule.objects.create(name="Floor", order=30, margin_below_floor=True, approver_role=vp_role)


def _decide(page, live_server, log_in, username, *, button, comment=""):
    page.context.clear_cookies()
    log_in(page, username)
    page.goto(f"{live_server.url}/admin/sow/approvalqueueitem/")
    mine = page.get_by_test_id("mine-row").filter(has_text="SOW-")
    expect(mine).to_have_count(1)
    mine.get_by_role("link", name="Review").click()
    expect(page.get_by_test_id("review-ladder")).to_contain_text(LADDER)
    if comment:
        page.locator("#id_comment").fill(comment)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"{live_server.url}/admin/sow/approvalqueueitem/")


def test_large_low_margin_sow_goes_director_finance_vp_with_one_request_for_changes(
    page, live_server, log_in, em, ready_issue, ladder_rules
):
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}{ready_issue.get_absolute_url()}")
    page.get_by_role("button", name="Create SOW").click()
    page.get_by_text("Add a cost").click()
    page.locator("#id_kind").select_option("travel")
    page.locator("#id_description").fill("Flights to Harbor Bank HQ")
    page.locator("#id_amount").fill("1500")
    page.get_by_role("button", name="Add cost").click()
    expect(page.get_by_test_id("sow-margin")).to_contain_text("44.2 %")
    # Before submission the SOW page previews the ladder the rules would give it.
    expect(page.get_by_test_id("ladder-line")).to_have_text(LADDER)
    page.get_by_label("Justification (required when the margin is below target)").fill("Strategic logo")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_test_id("sow-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("ladder-step")).to_have_count(3)
    expect(page.get_by_test_id("ladder-step").first).to_contain_text("Waiting")

    # The VP may not take the director's step: the queue shows them nothing yet.
    page.context.clear_cookies()
    log_in(page, "vp")
    page.goto(f"{live_server.url}/admin/sow/approvalqueueitem/")
    expect(page.get_by_test_id("mine-row")).to_have_count(0)
    expect(page.get_by_test_id("queue-step")).to_have_text("1. PS Director")

    _decide(page, live_server, log_in, "director", button="Approve", comment="Fine by me")
    expect(page.get_by_text("it now waits for step 2. Finance")).to_be_visible()
    _decide(page, live_server, log_in, "finance", button="Request changes", comment="Bill the travel")

    page.context.clear_cookies()
    log_in(page, "em.amer")
    version = SowVersion.objects.get()
    page.goto(f"{live_server.url}{version.get_absolute_url()}")
    expect(page.get_by_test_id("sow-status")).to_have_text("Changes requested")
    expect(page.get_by_test_id("ladder")).to_contain_text("Changes requested by Fiona Finance")
    expect(page.get_by_test_id("ladder")).to_contain_text("Bill the travel")
    page.get_by_role("button", name="Reopen as draft to make the changes").click()
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_test_id("sow-status")).to_have_text("Submitted")

    _decide(page, live_server, log_in, "director", button="Approve")
    _decide(page, live_server, log_in, "finance", button="Approve", comment="Travel stays on us")
    _decide(page, live_server, log_in, "vp", button="Approve", comment="Below floor, accepted")
    expect(page.get_by_text(f"{version.sow.reference} v1 approved.")).to_be_visible()

    version.refresh_from_db()
    assert version.status == "approved"
    rounds = list(ApprovalStep.objects.filter(sow_version=version).values_list("round", "position", "status"))
    assert rounds == [
        (1, 1, "approved"),
        (1, 2, "changes_requested"),
        (1, 3, "closed"),
        (2, 1, "approved"),
        (2, 2, "approved"),
        (2, 3, "approved"),
    ]

    # The VP sets a delegate for their next time away, on their own page.
    page.goto(f"{live_server.url}/approvals/delegations/")
    page.get_by_label("Delegate").select_option(label="Fiona Finance")
    page.get_by_label("From").fill("2030-01-06")
    page.get_by_label("Until (inclusive)").fill("2030-01-10")
    page.get_by_role("button", name="Delegate").click()
    expect(page.get_by_test_id("delegations")).to_contain_text("Fiona Finance · 2030-01-06 – 2030-01-10")
