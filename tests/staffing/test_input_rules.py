"""Staffing input: one-line text refuses control characters, hours accept ASCII digits only; a refusal
has a message by the field and saves nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.validators import NUMBER_MESSAGE, SINGLE_LINE_MESSAGE
from staffing import services
from staffing.forms import AssignmentForm, CancelForm, RequirementForm
from tests.core.hostile_input import NOT_ASCII_NUMBERS

pytestmark = pytest.mark.django_db

CONTROL = ["Flights\r\nBcc: all@example.com", "Flights\nX", "Fli\x00ghts", "Fli\x1bghts", "Fli\x7fghts"]


@pytest.mark.parametrize("number", NOT_ASCII_NUMBERS)
def test_staffing_hours_accept_ascii_digits_only(number):
    base = {
        "delivery_role": "ps_engineer",
        "hours_per_week": "20",
        "start_date": "2027-04-05",
        "end_date": "2027-04-30",
        "customer_time_zone": "UTC",
        "overlap_hours": "4",
    }
    for field in ("hours_per_week", "overlap_hours"):
        form = RequirementForm({**base, field: number}, skills=[])
        assert not form.is_valid() and NUMBER_MESSAGE in form.errors[field]
    assignment = AssignmentForm({"hours_per_week": number})
    assert not assignment.is_valid() and NUMBER_MESSAGE in assignment.errors["hours_per_week"]


def test_staffing_forms_accept_plain_numbers():
    form = RequirementForm(
        {
            "delivery_role": "ps_engineer",
            "hours_per_week": "20.5",
            "start_date": "2027-04-05",
            "end_date": "2027-04-30",
            "customer_time_zone": "UTC",
            "overlap_hours": "4",
        },
        skills=[],
    )
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("text", CONTROL)
def test_staffing_one_line_fields_refuse_control_characters(text, em, draft):
    form = RequirementForm(
        {
            "delivery_role": "ps_engineer",
            "title": text,
            "hours_per_week": "20",
            "start_date": "2027-04-05",
            "end_date": "2027-04-30",
            "customer_time_zone": "UTC",
            "overlap_hours": "4",
            "languages": text,
        },
        skills=[],
    )
    assert not form.is_valid()
    assert SINGLE_LINE_MESSAGE in form.errors["title"] and SINGLE_LINE_MESSAGE in form.errors["languages"]
    assert not CancelForm({"reason": text}).is_valid()
    with pytest.raises(ValidationError) as caught:
        services.staffing_requirement_create(
            actor=em.user,
            sow=draft.sow,
            title=text,
            delivery_role="ps_engineer",
            hours_per_week="20",
            start_date=dt.date(2027, 4, 5),
            end_date=dt.date(2027, 4, 30),
            customer_time_zone="UTC",
        )
    assert SINGLE_LINE_MESSAGE in caught.value.message_dict["title"]
    assert not draft.sow.staffing_requirements.exists()
