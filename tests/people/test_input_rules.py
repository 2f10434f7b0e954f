"""The directory edit refuses control characters in one-line text and numbers that are not written
with ASCII digits, with a message by the field, and saves nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.roles import Role
from core.validators import NUMBER_MESSAGE, SINGLE_LINE_MESSAGE
from people import services
from people.models import Person
from tests.conftest import client_for
from tests.core.hostile_input import NOT_ASCII_NUMBERS
from tests.people.factories import delivery_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def psops(make_person, region_emea):
    return make_person(Role.PS_OPERATIONS, username="psops", region=region_emea)


@pytest.fixture
def sam(region_amer):
    return delivery_person("Sam Taylor", languages=["English"], region=region_amer)


def _post(psops, sam, **data):
    base = {
        "name": sam.name,
        "role": sam.role,
        "region": sam.region_id,
        "languages": "English",
        "time_zone": "Europe/London",
        "weekly_capacity_hours": "40",
        "utilization_target": "70",
        "active": "on",
        "version": str(sam.version),
    }
    return client_for(psops).post(reverse("people:edit", args=[sam.pk]), {**base, **data})


def _unchanged(sam):
    fresh = Person.objects.get(pk=sam.pk)
    return (fresh.version, fresh.name, fresh.time_zone, fresh.weekly_capacity_hours) == (
        sam.version,
        sam.name,
        sam.time_zone,
        sam.weekly_capacity_hours,
    )


@pytest.mark.parametrize("field", ["name", "languages", "time_zone"])
@pytest.mark.parametrize("text", ["Sam\r\nBcc: all@example.com", "Sam\x00", "Sam\x1b[31m", "Sam\x7f"])
def test_edit_refuses_control_characters_in_one_line_fields(psops, sam, field, text):
    response = _post(psops, sam, **{field: text})
    assert response.status_code == 200
    assert SINGLE_LINE_MESSAGE in response.context["form"].errors[field]
    assert _unchanged(sam)


@pytest.mark.parametrize("field", ["weekly_capacity_hours", "utilization_target"])
@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_edit_refuses_numbers_not_in_ascii_digits(psops, sam, field, text):
    response = _post(psops, sam, **{field: text})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [NUMBER_MESSAGE]
    assert _unchanged(sam)


def test_edit_accepts_ascii_decimals(psops, sam):
    response = _post(psops, sam, weekly_capacity_hours="37.50", utilization_target="65")
    assert response.status_code == 302
    fresh = Person.objects.get(pk=sam.pk)
    assert (fresh.weekly_capacity_hours, fresh.utilization_target) == (Decimal("37.50"), Decimal("65"))


def test_service_refuses_a_name_with_a_line_break(psops, sam):
    with pytest.raises(ValidationError) as exc:
        services.person_update(
            actor=psops.user,
            person=sam,
            expected_version=sam.version,
            name="Sam\r\nBcc: all@example.com",
            role=sam.role,
            region=sam.region,
            manager=None,
            languages=["English"],
            time_zone=sam.time_zone,
            weekly_capacity_hours="40",
            utilization_target="70",
            active=True,
            skill_levels={},
        )
    assert exc.value.message_dict["name"] == [SINGLE_LINE_MESSAGE]
    assert _unchanged(sam)


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_clean_hours_refuses_numbers_not_in_ascii_digits(text):
    with pytest.raises(ValidationError) as exc:
        services.clean_hours(text, field_label="Hours", low=Decimal("0"), high=Decimal("80"))
    assert exc.value.code == "invalid"
    assert exc.value.messages[0].startswith("Hours: enter a number using the digits 0–9")


@pytest.mark.parametrize(("text", "expected"), [("1234.50", "1234.50"), ("-5", "-5.00"), ("40", "40.00")])
def test_clean_hours_accepts_ascii_numbers(text, expected):
    assert services.clean_hours(
        text, field_label="Hours", low=Decimal("-10"), high=Decimal("5000")
    ) == Decimal(expected)
