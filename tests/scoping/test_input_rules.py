"""Scoping issues and the services calculator: one-line text refuses control characters, money,
hours and quantities accept ASCII digits only; a refusal has a message by the field and saves
nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.validators import NUMBER_MESSAGE, SINGLE_LINE_MESSAGE
from scoping import services
from scoping.forms import AddLineForm, AddOfferingForm, FilterForm, ScopingIssueForm
from scoping.models import Estimate, EstimateLine, ScopingIssue
from tests.conftest import client_for
from tests.core.hostile_input import NOT_ASCII_NUMBERS

pytestmark = pytest.mark.django_db

CONTROL = ["Workshop\r\nBcc: all@example.com", "Workshop\nX", "Work\x00shop", "Work\x1bshop", "Work\x7fshop"]


@pytest.fixture
def estimate(em, issue, custom_offering):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_offering(actor=em.user, estimate=estimate, offering=custom_offering)
    services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Licences", quantity="2", unit_price="100"
    )
    estimate.refresh_from_db()
    return estimate


def _snapshot(estimate):
    fresh = Estimate.objects.get(pk=estimate.pk)
    lines = list(EstimateLine.objects.filter(estimate=estimate).order_by("pk").values_list())
    return fresh.version, fresh.total, fresh.expenses, fresh.discount, fresh.contingency_percent, lines


# --------------------------------------------------------------------------- forms


@pytest.mark.parametrize("field", ["title", "external_link"])
@pytest.mark.parametrize("text", CONTROL)
def test_issue_form_refuses_control_characters(field, text):
    form = ScopingIssueForm(data={"title": "Workshop", "external_link": "", field: text})
    assert not form.is_valid()
    assert SINGLE_LINE_MESSAGE in form.errors[field]


def test_issue_form_keeps_line_breaks_in_discovery_fields():
    form = ScopingIssueForm(data={"title": "Workshop", "current_state": "One\r\nTwo", "requirements": "A\nB"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["requirements"] == "A\nB"


@pytest.mark.parametrize("text", CONTROL)
def test_filter_form_refuses_control_characters_in_the_search(text):
    form = FilterForm(data={"q": text})
    assert not form.is_valid()
    assert SINGLE_LINE_MESSAGE in form.errors["q"]


@pytest.mark.parametrize("text", CONTROL)
def test_add_line_form_refuses_control_characters_in_the_description(rate_card, text):
    form = AddLineForm(
        data={"kind": "free", "description": text, "quantity": "1", "unit_price": "5"}, currency="USD"
    )
    assert not form.is_valid()
    assert SINGLE_LINE_MESSAGE in form.errors["description"]


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_add_offering_form_refuses_quantities_not_in_ascii_digits(packaged_offering, text):
    form = AddOfferingForm(data={"offering": packaged_offering.pk, "quantity": text}, currency="USD")
    assert not form.is_valid()
    assert "quantity" in form.errors


def test_add_offering_form_accepts_an_ascii_quantity(packaged_offering):
    form = AddOfferingForm(data={"offering": packaged_offering.pk, "quantity": "3"}, currency="USD")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["quantity"] == 3


# --------------------------------------------------------------------------- issue titles


@pytest.mark.parametrize("text", CONTROL)
def test_create_refuses_a_title_with_control_characters(em, opp, text):
    # The title becomes the SOW's title, and so the subject of its approval emails.
    with pytest.raises(ValidationError) as exc:
        services.scoping_issue_create(actor=em.user, opportunity=opp, title=text)
    assert exc.value.message_dict == {"title": [SINGLE_LINE_MESSAGE]}
    assert not ScopingIssue.objects.exists()


@pytest.mark.parametrize("text", CONTROL)
def test_update_refuses_a_title_with_control_characters(em, issue, text):
    with pytest.raises(ValidationError) as exc:
        services.scoping_issue_update(
            actor=em.user,
            issue=issue,
            expected_version=issue.version,
            title=text,
            assignee=issue.assignee,
            current_state="",
            constraints="",
            desired_outcomes="",
            requirements="",
            service_types=[],
            external_link="",
        )
    assert exc.value.message_dict == {"title": [SINGLE_LINE_MESSAGE]}
    fresh = ScopingIssue.objects.get(pk=issue.pk)
    assert (fresh.title, fresh.version) == (issue.title, issue.version)


def test_create_page_shows_the_title_message_and_opens_nothing(em, opp):
    response = client_for(em).post(
        reverse("scoping:create", args=[opp.pk]), {"title": "Workshop\r\nBcc: all@example.com"}
    )
    assert response.status_code == 200
    assert SINGLE_LINE_MESSAGE in response.content.decode()
    assert not ScopingIssue.objects.exists()


# --------------------------------------------------------------------------- adding lines


@pytest.mark.parametrize("text", CONTROL)
def test_add_line_refuses_a_description_with_control_characters(em, estimate, text):
    before = _snapshot(estimate)
    with pytest.raises(ValidationError) as exc:
        services.estimate_add_line(
            actor=em.user, estimate=estimate, kind="free", description=text, quantity="1", unit_price="5"
        )
    assert exc.value.message_dict == {"description": [SINGLE_LINE_MESSAGE]}
    assert _snapshot(estimate) == before


@pytest.mark.parametrize(
    ("kind", "field"), [("activity", "hours"), ("free", "quantity"), ("free", "unit_price")]
)
@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_add_line_refuses_numbers_not_in_ascii_digits(em, estimate, kind, field, text):
    before = _snapshot(estimate)
    values = {"hours": "8", "quantity": "1", "unit_price": "5", field: text}
    with pytest.raises(ValidationError) as exc:
        services.estimate_add_line(
            actor=em.user, estimate=estimate, kind=kind, description="Extra", role_name="Engineer", **values
        )
    assert field in exc.value.message_dict
    assert _snapshot(estimate) == before


def test_add_line_accepts_ascii_money(em, estimate):
    line = services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Extra", quantity="1", unit_price="1234.50"
    )
    assert line.unit_price == Decimal("1234.50")


# --------------------------------------------------------------------------- the calculator


def _calculator_data(estimate, **overrides):
    data = {"version": estimate.version, "contingency_percent": "10", "expenses": "1000", "discount": "0"}
    for line in estimate.lines.all():
        data[f"line-{line.pk}-description"] = line.description
        data[f"line-{line.pk}-hours"] = str(line.hours)
        data[f"line-{line.pk}-quantity"] = str(line.quantity)
        data[f"line-{line.pk}-unit_price"] = str(line.unit_price)
    data.update(overrides)
    return data


def _line(estimate, kind):
    return estimate.lines.filter(kind=kind).first()


@pytest.mark.parametrize(
    "field", ["contingency_percent", "expenses", "discount", "hours", "quantity", "unit_price"]
)
@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_calculator_save_refuses_numbers_not_in_ascii_digits(em, estimate, field, text):
    if field in ("hours",):
        key = f"line-{_line(estimate, 'activity').pk}-{field}"
    elif field in ("quantity", "unit_price"):
        key = f"line-{_line(estimate, 'free').pk}-{field}"
    else:
        key = field
    before = _snapshot(estimate)
    response = client_for(em).post(
        reverse("scoping:estimate_save", args=[estimate.pk]), _calculator_data(estimate, **{key: text})
    )
    assert response.status_code == 200
    assert response.context["errors"][key]
    assert _snapshot(estimate) == before


@pytest.mark.parametrize("text", CONTROL)
def test_calculator_save_refuses_a_line_description_with_control_characters(em, estimate, text):
    key = f"line-{_line(estimate, 'free').pk}-description"
    before = _snapshot(estimate)
    response = client_for(em).post(
        reverse("scoping:estimate_save", args=[estimate.pk]), _calculator_data(estimate, **{key: text})
    )
    assert response.status_code == 200
    assert response.context["errors"][key] == [SINGLE_LINE_MESSAGE]
    assert _snapshot(estimate) == before


def test_calculator_save_accepts_ascii_numbers(em, estimate):
    free = _line(estimate, "free")
    response = client_for(em).post(
        reverse("scoping:estimate_save", args=[estimate.pk]),
        _calculator_data(
            estimate, **{f"line-{free.pk}-unit_price": "1234.50", "expenses": "0", "contingency_percent": "0"}
        ),
    )
    assert response.status_code == 302
    # 24 h × 300 + 80 h × 200 for the offering, 2 × 1,234.50 for the free line.
    assert Estimate.objects.get(pk=estimate.pk).total == Decimal("25669.00")


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_calculator_preview_refuses_numbers_not_in_ascii_digits(em, estimate, text):
    response = client_for(em).post(
        reverse("scoping:estimate_preview", args=[estimate.pk]),
        _calculator_data(estimate, expenses=text),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.context["preview_errors"]["expenses"] == [NUMBER_MESSAGE]
    assert response.context["totals"] is None


@pytest.mark.parametrize("version", ["١", "１", "1_0", "1e0"])
def test_calculator_save_refuses_a_version_not_in_ascii_digits(em, estimate, version):
    before = _snapshot(estimate)
    response = client_for(em).post(
        reverse("scoping:estimate_save", args=[estimate.pk]),
        _calculator_data(estimate, version=version, expenses="5"),
        follow=True,
    )
    assert "The form is out of date" in response.content.decode()
    assert _snapshot(estimate) == before
