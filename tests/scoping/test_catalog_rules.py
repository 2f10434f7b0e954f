"""The Practice Manager's catalog refuses, with a message next to the field, a rate-card role whose
bill rate is below its cost rate and an offering activity whose role is not on the rate card."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.roles import Role
from scoping import services
from scoping.models import DeliveryRole, OfferingActivity, ServiceOffering
from tests.conftest import client_for
from tests.scoping.factories import DeliveryRoleFactory

pytestmark = pytest.mark.django_db

ROLE = {"name": "Data Engineer", "person_role": Role.PS_ENGINEER, "currency": "USD", "active": "on"}


@pytest.fixture
def practice(make_person):
    return client_for(make_person(Role.PRACTICE_MANAGER, username="practice"))


def test_the_service_refuses_a_bill_rate_below_cost():
    with pytest.raises(ValidationError) as exc:
        services.check_rates(bill_rate=Decimal("90"), cost_rate=Decimal("100"))
    assert exc.value.message_dict["bill_rate"] == [
        "The bill rate (90.00) is below the cost rate (100.00): every hour would lose money."
    ]
    services.check_rates(bill_rate=Decimal("100"), cost_rate=Decimal("100"))


def test_adding_a_rate_card_role_below_cost_is_refused(practice):
    url = reverse("admin:scoping_deliveryrole_add")
    response = practice.post(url, {**ROLE, "bill_rate": "90.00", "cost_rate": "100.00"})
    assert response.status_code == 200
    assert "is below the cost rate (100.00)" in response.content.decode()
    assert not DeliveryRole.objects.exists()
    assert practice.post(url, {**ROLE, "bill_rate": "150.00", "cost_rate": "100.00"}).status_code == 302


def test_editing_the_rate_card_list_below_cost_is_refused(practice):
    role = DeliveryRoleFactory(name="Engineer", bill_rate="200.00", cost_rate="95.00")
    url = reverse("admin:scoping_deliveryrole_changelist")
    response = practice.post(
        url,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(role.pk),
            "form-0-bill_rate": "80.00",
            "form-0-cost_rate": "95.00",
            "form-0-active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 200 and "is below the cost rate (95.00)" in response.content.decode()
    role.refresh_from_db()
    assert role.bill_rate == Decimal("200.00")


def offering_post(role_name: str) -> dict[str, str]:
    return {
        "code": "CUS-9",
        "name": "Custom data",
        "kind": ServiceOffering.Kind.CUSTOM,
        "category": "implementation",
        "active": "on",
        "unit_label": "unit",
        "included_hours": "0",
        "activities-TOTAL_FORMS": "1",
        "activities-INITIAL_FORMS": "0",
        "activities-0-position": "1",
        "activities-0-description": "Build",
        "activities-0-role_name": role_name,
        "activities-0-hours": "10",
    }


def test_an_offering_activity_role_must_be_on_the_rate_card(practice):
    DeliveryRoleFactory(name="Engineer")
    DeliveryRoleFactory(name="Retired Role", active=False)
    url = reverse("admin:scoping_serviceoffering_add")
    page = practice.get(url).content.decode()
    assert '<option value="Engineer">Engineer</option>' in page and "Retired Role" not in page
    response = practice.post(url, offering_post("Astronaut"))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not ServiceOffering.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.check_activity_role("Retired Role")
    assert "is not an active role on the rate card" in exc.value.message_dict["role_name"][0]
    assert practice.post(url, offering_post("Engineer")).status_code == 302
    assert OfferingActivity.objects.get().role_name == "Engineer"
