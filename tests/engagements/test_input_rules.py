"""One-line fields on opportunities and risks refuse control characters, with a message by the
field; multi-line fields keep their line breaks."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.validators import SINGLE_LINE_MESSAGE
from engagements import services
from engagements.forms import EmFieldsForm, RiskEditForm, RiskForm
from engagements.models import Opportunity, Risk
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory, RiskFactory

pytestmark = pytest.mark.django_db

CONTROL = ["Sam\r\nBcc: all@example.com", "Sam\nX", "Sam\x00", "Sam\x07", "Sam\x7f"]


@pytest.fixture
def opp(em, region_amer):
    return OpportunityFactory(engagement_manager=em, region=region_amer)


@pytest.mark.parametrize("text", CONTROL)
def test_em_fields_form_refuses_control_characters_in_the_link(text):
    form = EmFieldsForm(
        data={"em_confidence": "Grey", "scoping_issue_link": f"https://tracker.example/{text}", "version": 1}
    )
    assert not form.is_valid()
    assert SINGLE_LINE_MESSAGE in form.errors["scoping_issue_link"]


def test_em_fields_form_keeps_line_breaks_in_the_rationale():
    form = EmFieldsForm(data={"em_confidence": "Red", "em_confidence_rationale": "One\nTwo", "version": 1})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["em_confidence_rationale"] == "One\nTwo"


@pytest.mark.parametrize("form_class", [RiskForm, RiskEditForm])
@pytest.mark.parametrize("text", CONTROL)
def test_risk_forms_refuse_control_characters_in_the_owner(form_class, text):
    form = form_class(data={"description": "Budget", "severity": "low", "owner": text, "status": "open"})
    assert not form.is_valid()
    assert SINGLE_LINE_MESSAGE in form.errors["owner"]


def test_risk_form_keeps_line_breaks_in_description_and_mitigation():
    form = RiskForm(
        data={"description": "One\nTwo", "severity": "low", "mitigation": "A\r\nB", "owner": "Sam"}
    )
    assert form.is_valid(), form.errors


def test_risk_add_page_refuses_an_owner_with_a_line_break(em, opp):
    response = client_for(em).post(
        reverse("engagements:risk_add", args=[opp.pk]),
        {"description": "Budget", "severity": "high", "mitigation": "", "owner": "Sam\r\nBcc: x@example.com"},
    )
    assert response.status_code == 200
    assert SINGLE_LINE_MESSAGE in response.content.decode()
    assert not Risk.objects.exists()


@pytest.mark.parametrize("text", CONTROL)
def test_risk_services_refuse_control_characters_in_the_owner(em, opp, text):
    with pytest.raises(ValidationError) as exc:
        services.risk_create(actor=em.user, opportunity=opp, description="Budget", severity="low", owner=text)
    assert exc.value.message_dict == {"owner": [SINGLE_LINE_MESSAGE]}
    assert not Risk.objects.exists()
    risk = RiskFactory(opportunity=opp, owner="Kim")
    with pytest.raises(ValidationError):
        services.risk_update(actor=em.user, risk=risk, description="Budget", severity="low", owner=text)
    assert Risk.objects.get(pk=risk.pk).owner == "Kim"


def test_risk_service_trims_the_owner(em, opp):
    risk = services.risk_create(
        actor=em.user, opportunity=opp, description="Budget", severity="low", owner=" Kim "
    )
    assert risk.owner == "Kim"


def test_em_fields_page_refuses_a_link_with_a_line_break(em, opp):
    response = client_for(em).post(
        reverse("engagements:em_fields", args=[opp.pk]),
        {"em_confidence": "Grey", "scoping_issue_link": "https://t.example/\r\nX", "version": opp.version},
    )
    assert response.status_code == 200
    assert SINGLE_LINE_MESSAGE in response.content.decode()
    assert Opportunity.objects.get(pk=opp.pk).version == opp.version
