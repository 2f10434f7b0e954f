"""Every main page under the strict Content Security Policy: no violation reported by Chromium,
htmx and the charts still working."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_main_pages_have_no_csp_violations(page, live_server):
    call_command("seed_demo", stdout=io.StringIO())
    from engagements.models import Opportunity
    from scoping.models import Estimate, ScopingIssue
    from sow.models import SowVersion
    from staffing.models import StaffingRequirement

    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(f"{page.url}: {msg.text}") if "Content Security Policy" in msg.text else None
        ),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("pipeline-demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    opp = Opportunity.objects.filter(scoping_issues__isnull=False).first()
    issue = ScopingIssue.objects.first()
    estimate = Estimate.objects.first()
    version = SowVersion.objects.first()
    requirement = StaffingRequirement.objects.first()
    assert opp and issue and estimate and version and requirement, "the demo data has one of each"
    pages = [
        "/pipeline/?scope=all&quarter=any",
        "/pipeline/workload/",
        f"/opportunities/{opp.pk}/",
        "/scoping/board/",
        "/scoping/",
        f"/scoping/{issue.pk}/",
        f"/estimates/{estimate.pk}/",
        "/scoping/ta-queue/",
        "/sows/",
        f"/sows/versions/{version.pk}/",
        "/staffing/",
        f"/sows/staffing/{requirement.pk}/",
        "/people/",
        "/forecast/",
        "/forecast/calibration/",
        "/capacity/",
        "/admin/",
        "/admin/sow/approvalqueueitem/",
        "/admin/status/",
    ]
    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")

    # The charts still draw, and htmx still swaps, under the policy.
    page.goto(f"{live_server.url}/forecast/")
    expect(page.get_by_test_id("chart-trend")).to_have_attribute("data-rendered", "true")
    page.goto(f"{live_server.url}/pipeline/?scope=all&quarter=any")
    page.locator("[data-testid=opp-row]").first.get_by_role("button", name="Edit").click()
    expect(page.get_by_label("EM confidence").first).to_be_visible()
    assert violations == []
