"""PS Operations confirms an assignment and sees the capacity page change, in Chromium."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.roles import Role
from sow import services
from tests.people.factories import delivery_person
from tests.sow.factories import take_to
from tests.staffing.factories import StaffingRequirementFactory, requirement_skill

pytestmark = pytest.mark.django_db(transaction=True)


def test_confirming_an_assignment_moves_the_capacity_page(
    page, live_server, log_in, em, ready_issue, make_person, region_amer
):
    director = make_person(Role.PS_DIRECTOR, username="director")
    version = take_to(
        services.sow_create(actor=em.user, issue=ready_issue).versions.get(),
        "signed",
        em=em,
        director=director,
    )
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
    requirement = StaffingRequirementFactory(
        sow=version.sow,
        title="Migration engineer",
        hours_per_week=Decimal("20"),
        start_date=monday,
        end_date=monday + dt.timedelta(days=25),
        customer_time_zone="Europe/London",
        overlap_hours=Decimal("2"),
    )
    requirement_skill(requirement, "Kubernetes", 3)
    delivery_person("Sam Taylor", skills={"Kubernetes": 4}, region=region_amer, capacity="40")
    make_person(Role.PS_OPERATIONS, username="psops")
    log_in(page, "psops")

    page.goto(f"{live_server.url}/capacity/?by=role")
    week_two = page.get_by_test_id("total-confirmed").nth(1)
    expect(week_two).to_have_text("0")
    expect(page.get_by_test_id("total-capacity").nth(1)).to_have_text("40")

    page.goto(f"{live_server.url}{requirement.get_absolute_url()}")
    page.get_by_test_id("candidate-row").first.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Sam Taylor confirmed")).to_be_visible()

    page.get_by_role("link", name="Capacity").click()
    expect(page.get_by_test_id("total-confirmed").nth(1)).to_have_text("20")
    expect(page.get_by_test_id("total-confirmed").first).to_have_text("0")
    row = page.get_by_test_id("capacity-people").get_by_role("row", name="Sam Taylor")
    expect(row).to_contain_text("50.0 %")
