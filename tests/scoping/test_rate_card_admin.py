"""A rate-card role is added in the admin only with the delivery role that delivers it."""

import pytest
from django.urls import reverse

from core.roles import Role
from scoping.models import DeliveryRole
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NEW_ROLE = {
    "name": "Data Engineer",
    "currency": "USD",
    "bill_rate": "210.00",
    "cost_rate": "100.00",
    "active": "on",
}


@pytest.fixture
def practice(make_person):
    return client_for(make_person(Role.PRACTICE_MANAGER, username="practice"))


def test_adding_a_rate_card_role_needs_its_delivery_role(practice):
    url = reverse("admin:scoping_deliveryrole_add")
    page = practice.get(url).content.decode()
    assert 'name="person_role"' in page and "Delivered by" in page
    response = practice.post(url, NEW_ROLE)
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not DeliveryRole.objects.exists()
    response = practice.post(url, {**NEW_ROLE, "person_role": Role.PS_ENGINEER})
    assert response.status_code == 302
    assert DeliveryRole.objects.get(name="Data Engineer").person_role == Role.PS_ENGINEER


def test_the_rate_card_list_shows_who_delivers_each_role(practice):
    DeliveryRole.objects.create(
        name="Data Engineer", person_role=Role.TECHNICAL_ARCHITECT, bill_rate=1, cost_rate=1
    )
    page = practice.get(reverse("admin:scoping_deliveryrole_changelist")).content.decode()
    assert "Technical Architect" in page
