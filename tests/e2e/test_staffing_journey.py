"""PS Operations staffs a signed SOW from the ranked candidates, clicked through in Chromium."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core.roles import Role
from sow import services
from staffing.models import Assignment, AssignmentStatus
from tests.people.factories import delivery_person
from tests.sow.factories import take_to
from tests.staffing.factories import StaffingRequirementFactory, requirement_skill

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def signed_requirement(em, ready_issue, make_person):
    director = make_person(Role.PS_DIRECTOR, username="director", name="Dana Director")
    draft = services.sow_create(actor=em.user, issue=ready_issue).versions.get()
    version = take_to(draft, "signed", em=em, director=director)
    requirement = StaffingRequirementFactory(
        sow=version.sow,
        title="Lead engineer",
        customer_time_zone="America/New_York",
        overlap_hours=Decimal("4"),
        hours_per_week=Decimal("20"),
        start_date=dt.date(2027, 4, 5),
        end_date=dt.date(2027, 4, 30),
    )
    requirement_skill(requirement, "Kubernetes", 3)
    requirement_skill(requirement, "AWS", 3, required=False)
    delivery_person("Sam Taylor", skills={"Kubernetes": 4, "AWS": 3}, time_zone="America/New_York")
    delivery_person("Tom Becker", skills={"Kubernetes": 3}, time_zone="Europe/Berlin")
    delivery_person("Wei Zhang", skills={"Kubernetes": 2}, time_zone="Asia/Singapore")
    return version, requirement


def test_psops_confirms_the_top_candidate_on_a_signed_sow(
    page, live_server, log_in, make_person, signed_requirement
):
    version, requirement = signed_requirement
    make_person(Role.PS_OPERATIONS, username="psops", name="Elena Petrova")
    log_in(page, "psops")

    page.goto(f"{live_server.url}{version.get_absolute_url()}")
    expect(page.get_by_test_id("sow-status")).to_have_text("Signed")
    section = page.get_by_test_id("staffing-section")
    expect(section).to_contain_text("Nobody proposed yet.")
    section.get_by_role("link", name="PS Engineer — Lead engineer").click()

    expect(page.get_by_test_id("requirement-title")).to_have_text("PS Engineer — Lead engineer")
    rows = page.get_by_test_id("candidate-row")
    expect(rows).to_have_count(2)
    top = rows.first
    expect(top).to_contain_text("Sam Taylor")
    expect(top.get_by_test_id("candidate-score")).to_have_text("100.0")
    expect(top.get_by_test_id("reasons")).to_contain_text("8 h a day of 09:00–17:00 overlap")
    expect(rows.nth(1)).to_contain_text("Tom Becker")
    expect(page.get_by_test_id("unqualified")).to_contain_text(
        "Wei Zhang: Required skills not met: Kubernetes 2 (needs 3)."
    )

    top.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("Sam Taylor confirmed for PS Engineer — Lead engineer.")).to_be_visible()
    listed = page.get_by_test_id("assignments").get_by_test_id("assignment-row")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Sam Taylor")
    expect(listed.first.get_by_test_id("assignment-status")).to_have_text("Confirmed")
    expect(page.get_by_test_id("candidate-row").first).to_contain_text("Confirmed")

    assignment = Assignment.objects.get()
    assert (assignment.person.name, assignment.status, assignment.hours_per_week) == (
        "Sam Taylor",
        AssignmentStatus.CONFIRMED,
        Decimal("20.00"),
    )

    # Back on the SOW page, the Staffing section lists the confirmed person.
    page.goto(f"{live_server.url}{version.get_absolute_url()}")
    expect(page.get_by_test_id("staffing-section")).to_contain_text("Sam Taylor · Confirmed · 20 h")
