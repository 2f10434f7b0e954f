"""An administrator finds on the sync health page why nothing was pushed (the field map does not
fit the org), has the field fixed in Salesforce, checks the org again and sees it fit. Clicked
through in Chromium against the fake org over HTTPS."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from core.roles import Role
from engagements.models import Opportunity
from tests.salesforce.conftest import fake_org, fake_sf, sf_settings  # noqa: F401
from tests.salesforce.test_sync import EM_USER, edit, link, sync

pytestmark = pytest.mark.django_db(transaction=True)


def test_administrator_sees_the_field_map_problem_and_checks_the_org_again(
    page,
    live_server,
    log_in,
    make_person,
    em,
    fake_sf,  # noqa: F811
):
    make_person(Role.PS_OPERATIONS, username="sfadmin", name="Sam Admin", superuser=True)
    link(fake_sf, em)
    fake_sf.load_generated(2, em_user_ids=[EM_USER])
    sync()
    fake_sf.picklists["EM_Confidence__c"] = {"Grey", "Red", "Amber"}
    edit(em, Opportunity.objects.first(), em_confidence="Green", em_confidence_rationale="PO signed")
    run = sync()
    assert "Nothing was pushed" in run.message

    log_in(page, "sfadmin")
    page.goto(f"{live_server.url}/admin/salesforce/syncrun/health/")

    org = page.get_by_test_id("org-check")
    expect(org).to_contain_text("The field map does not fit the org")
    expect(page.get_by_test_id("org-problem")).to_contain_text(
        "EM_Confidence__c (EM confidence) has no active picklist value Green"
    )
    expect(page.get_by_test_id("org-fields")).to_contain_text("Grey, Red, Amber")
    expect(page.get_by_test_id("sync-runs")).to_contain_text("Nothing was pushed")
    expect(page.get_by_test_id("org-scope")).to_contain_text("2 opportunities loaded")
    if os.environ.get("E2E_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["E2E_SCREENSHOTS"], "sync-health-problem.png"), full_page=True
        )

    fake_sf.picklists["EM_Confidence__c"] = {"Grey", "Red", "Amber", "Green"}  # fixed in Salesforce
    page.get_by_test_id("org-check-now").click()

    expect(page.locator(".messagelist")).to_contain_text("Checking the org's Opportunity fields")
    expect(page.get_by_test_id("org-fits")).to_have_text("The field map fits the org.")
    expect(page.get_by_test_id("org-problem")).to_have_count(0)
    expect(page.get_by_test_id("org-fields")).to_contain_text("Grey, Red, Amber, Green")
    if os.environ.get("E2E_SCREENSHOTS"):
        page.screenshot(
            path=os.path.join(os.environ["E2E_SCREENSHOTS"], "sync-health-fits.png"), full_page=True
        )
