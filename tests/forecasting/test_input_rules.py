"""The forecast's inputs: plan amounts in ASCII digits only; the dashboard selectors on one line."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.validators import SINGLE_LINE_MESSAGE
from forecasting.calibration import DEFAULT_WEEK
from forecasting.forms import DashboardForm, DrillForm
from forecasting.models import BookingsPlan
from forecasting.services import plan_import
from tests.conftest import client_for
from tests.core.hostile_input import NOT_ASCII_NUMBERS

pytestmark = pytest.mark.django_db

HEADER = "quarter,region,em_email,amount,currency\n"


def _csv(amount: str) -> bytes:
    return (HEADER + f'FY27-Q4,AMER,,"{amount}",USD\n').encode()


@pytest.mark.parametrize("amount", NOT_ASCII_NUMBERS + ["1,00", "12,34,567"])
def test_plan_import_refuses_amounts_not_in_ascii_digits(admin_person, region_amer, amount):
    with pytest.raises(ValidationError) as exc:
        plan_import(actor=admin_person.user, data=_csv(amount))
    assert exc.value.messages[0].startswith("Line 2: amount")
    assert "digits 0–9" in exc.value.messages[0]
    assert not BookingsPlan.objects.exists()


@pytest.mark.parametrize(
    ("amount", "expected"), [("1234.50", "1234.50"), ("250000", "250000"), ("1,234,567.89", "1234567.89")]
)
def test_plan_import_accepts_ascii_amounts_with_or_without_thousands_commas(
    admin_person, region_amer, amount, expected
):
    plan_import(actor=admin_person.user, data=_csv(amount))
    assert BookingsPlan.objects.get().amount == Decimal(expected)


def test_plan_import_refuses_negative_amounts(admin_person, region_amer):
    with pytest.raises(ValidationError):
        plan_import(actor=admin_person.user, data=_csv("-5"))
    assert not BookingsPlan.objects.exists()


@pytest.mark.parametrize("form_class", [DashboardForm, DrillForm])
@pytest.mark.parametrize("field", ["quarter", "week"])
def test_dashboard_selectors_refuse_control_characters(form_class, field):
    form = form_class(data={"metric": "commit", field: "FY27-Q4\r\nX"}, weeks=[])
    assert not form.is_valid()
    assert form.errors[field] == [SINGLE_LINE_MESSAGE]


@pytest.mark.parametrize("week_number", ["١٢", "１２", "1_2", "1e1"])
def test_calibration_reads_the_week_number_in_ascii_digits_only(leadership, week_number):
    response = client_for(leadership).get(reverse("forecasting:calibration"), {"week_number": week_number})
    assert response.status_code == 200
    assert response.context["week_number"] == DEFAULT_WEEK
    assert (
        client_for(leadership)
        .get(reverse("forecasting:calibration"), {"week_number": "12"})
        .context["week_number"]
        == 12
    )
