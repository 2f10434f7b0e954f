"""Capacity's stated rules: which estimates count as demand, one definition of an estimate's hours,
and the CSV export of the page's tables."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from core.roles import Role
from scoping.models import Estimate, ScopingIssue, ScopingStatus
from tests.conftest import client_for
from tests.forecasting.test_capacity import by_role, cells, green_deal, people_and_clients  # noqa: F401
from tests.people.factories import delivery_person
from tests.scoping.factories import DeliveryRoleFactory, PackagedOfferingFactory

pytestmark = pytest.mark.django_db
D = Decimal


def set_status(opp, status):
    ScopingIssue.objects.filter(opportunity=opp).update(status=status)


def test_an_estimate_on_hold_counts_as_demand_and_a_closed_one_does_not(em, region_amer, settings):
    DeliveryRoleFactory(name="Engineer", person_role=Role.PS_ENGINEER)
    held = green_deal(em, region_amer, role_name="Engineer", hours="40")
    closed = green_deal(em, region_amer, role_name="Engineer", hours="80")
    set_status(held, ScopingStatus.ON_HOLD)
    set_status(closed, ScopingStatus.CLOSED)
    assert cells(by_role(settings), "PS Engineer")[0].demand == D("9.0")  # 40 h / 4 × 0.9, not the 80


def test_the_capacity_page_states_the_demand_rule(people_and_clients):  # noqa: F811
    page = people_and_clients["psops"].get(reverse("forecasting:capacity")).content.decode()
    assert 'data-testid="demand-rule"' in page
    assert "unless its scoping issue is closed" in page and "on hold still counts" in page


def test_a_sku_only_estimate_shows_the_hours_capacity_counts(em, region_amer, settings):
    DeliveryRoleFactory(name="Senior Engineer", person_role=Role.PROJECT_MANAGER)
    settings.SOW_PACKAGED_DELIVERY_ROLE = "Senior Engineer"
    package = PackagedOfferingFactory(included_hours=D("37.5"))
    opp = green_deal(em, region_amer, offering=package)
    estimate = Estimate.objects.get(scoping_issue__opportunity=opp)
    assert estimate.total_hours == D("37.5")
    demand = sum(c.demand for c in cells(by_role(settings, weeks=3), "Project Manager"))
    assert demand == D("37.5") * D("0.9")
    page = client_for(em).get(reverse("scoping:estimate", args=[estimate.pk])).content.decode()
    hours = page[page.index('data-testid="estimate-hours"') :]
    assert hours[hours.index(">") + 1 :].startswith("37.5")


def test_the_capacity_csv_has_every_group_and_week(people_and_clients, region_amer):  # noqa: F811
    delivery_person("Alex Engineer", region=region_amer, capacity="40")
    client = people_and_clients["psops"]
    response = client.get(reverse("forecasting:capacity") + "?by=region&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["Region", "Week", "Capacity", "Confirmed", "Proposed", "Weighted demand", "Outlook %"]
    amer = [line for line in lines[1:] if line[0] == region_amer.code]
    assert len(amer) == 12 and {line[2] for line in amer} == {"40.00"}
    assert len([line for line in lines[1:] if line[0] == "All"]) == 12
    people = client.get(reverse("forecasting:capacity") + "?format=csv&table=people")
    rows = list(csv.reader(io.StringIO(people.content.decode())))
    assert rows[0][:5] == ["Person", "Role", "Region", "Target %", "Week"]
    assert len([r for r in rows[1:] if r[0] == "Alex Engineer"]) == 12
    assert dt.date.fromisoformat(rows[1][4]).weekday() == 0
