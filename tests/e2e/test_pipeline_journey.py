"""The EM's weekly update, clicked through in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from engagements.models import ConfidenceEvent, Opportunity
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pipeline(em, region_amer, other_em, leadership):
    mine = OpportunityFactory(engagement_manager=em, region=region_amer, name="Acme Logistics — Migration")
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Borealis — Health Check")
    return mine


def test_em_sets_amber_inline_and_sees_it_kept_and_in_timeline(page, live_server, log_in, pipeline):
    log_in(page, "em.amer")
    expect(page.get_by_role("heading", name="My pipeline")).to_be_visible()
    row = page.locator(f"#opp-{pipeline.pk}")
    expect(row).to_contain_text("Acme Logistics — Migration")
    expect(row.get_by_test_id("confidence")).to_have_text("Grey")

    row.get_by_role("button", name="Edit").click()
    form_row = page.locator(f"#opp-{pipeline.pk}")
    form_row.get_by_label("EM confidence").select_option("Amber")
    form_row.get_by_label("Rationale").fill("Champion confirmed budget; procurement timing unclear.")
    form_row.get_by_role("button", name="Save").click()

    saved_row = page.locator(f"#opp-{pipeline.pk}")
    expect(saved_row.get_by_test_id("confidence")).to_have_text("Amber")
    expect(page.get_by_test_id("count-Amber")).to_have_text("1")

    page.reload()
    expect(page.locator(f"#opp-{pipeline.pk}").get_by_test_id("confidence")).to_have_text("Amber")
    page.get_by_role("link", name="Acme Logistics — Migration").click()
    expect(page.get_by_test_id("detail-confidence")).to_have_text("Amber")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Champion confirmed budget; procurement timing unclear.")
    expect(timeline).to_contain_text("Amber")
    expect(page.get_by_test_id("push-status")).to_contain_text("Pending push to Salesforce")
    assert Opportunity.objects.get(pk=pipeline.pk).em_confidence == "Amber"
    assert ConfidenceEvent.objects.filter(opportunity=pipeline, to_confidence="Amber").exists()


def test_em_bad_input_inline_shows_error(page, live_server, log_in, pipeline):
    log_in(page, "em.amer")
    row = page.locator(f"#opp-{pipeline.pk}")
    row.get_by_role("button", name="Edit").click()
    form_row = page.locator(f"#opp-{pipeline.pk}")
    form_row.get_by_label("EM confidence").select_option("Green")
    form_row.get_by_role("button", name="Save").click()
    expect(page.locator(f"#opp-{pipeline.pk}")).to_contain_text("A rationale is required for Green")
    assert Opportunity.objects.get(pk=pipeline.pk).em_confidence == "Grey"


def test_em_confirms_unchanged_and_edits_on_detail_page(page, live_server, log_in, pipeline):
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}{pipeline.get_absolute_url()}")
    page.get_by_label("EM confidence").select_option("Red")
    page.get_by_label("Rationale").fill("Budget moved to next year")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("detail-confidence")).to_have_text("Red")
    page.get_by_role("button", name="Confirm unchanged").click()
    expect(page.get_by_role("alert").filter(has_text="Confirmed Red")).to_be_visible()
    expect(page.get_by_test_id("timeline")).to_contain_text("confirmed")

    page.get_by_text("Add a risk").click()
    page.get_by_label("Description").fill("Key sponsor leaving in March")
    page.get_by_label("Severity").select_option("high")
    page.get_by_role("button", name="Add risk").click()
    expect(page.get_by_test_id("risk-row")).to_contain_text("Key sponsor leaving in March")


def test_leadership_sees_no_edit_control_and_post_is_refused(page, live_server, log_in, pipeline):
    log_in(page, "leadership")
    page.get_by_role("link", name="All opportunities").first.click()
    expect(page.get_by_role("heading", name="All opportunities")).to_be_visible()
    row = page.locator(f"#opp-{pipeline.pk}")
    expect(row).to_contain_text("Acme Logistics — Migration")
    expect(row.get_by_role("button", name="Edit")).to_have_count(0)
    page.get_by_role("link", name="Acme Logistics — Migration").click()
    expect(page.get_by_test_id("em-form")).to_have_count(0)
    # A direct POST with the leadership session is refused and changes nothing.
    token = page.context.cookies()
    csrf = next(c["value"] for c in token if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/opportunities/{pipeline.pk}/em-fields/",
        form={"em_confidence": "Green", "em_confidence_rationale": "forced", "version": "1"},
        headers={"X-CSRFToken": csrf, "Referer": live_server.url},
    )
    assert response.status == 403
    assert Opportunity.objects.get(pk=pipeline.pk).em_confidence == "Grey"


def test_em_manager_assigns_unassigned_opportunity(page, live_server, log_in, em, em_manager, region_amer):
    opp = OpportunityFactory(region=region_amer, engagement_manager=None, name="Cobalt Retail — Training")
    log_in(page, "emm.amer")
    page.get_by_role("link", name="Unassigned").first.click()
    row = page.locator(f"#opp-{opp.pk}")
    row.get_by_label("Engagement Manager").select_option(value=str(em.pk))
    row.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("alert").filter(has_text=re.compile("assigned to"))).to_be_visible()
    assert Opportunity.objects.get(pk=opp.pk).engagement_manager == em
