"""SOWs and staffing: one-line text refuses control characters, hours accept ASCII digits only; a
refusal has a message by the field and saves nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.validators import NUMBER_MESSAGE, SINGLE_LINE_MESSAGE
from scoping.models import ScopingIssue
from sow import services
from sow.forms import CostLineForm, SentForm
from sow.models import CostLine, SowStatus
from staffing import services as staffing_services
from staffing.forms import AssignmentForm, CancelForm, RequirementForm
from tests.core.hostile_input import NOT_ASCII_NUMBERS
from tests.sow.staffing.factories import take_to

pytestmark = pytest.mark.django_db

CONTROL = ["Flights\r\nBcc: all@example.com", "Flights\nX", "Fli\x00ghts", "Fli\x1bghts", "Fli\x7fghts"]


@pytest.mark.parametrize("text", CONTROL)
def test_cost_line_description_refuses_control_characters(em, draft, text):
    before = CostLine.objects.filter(cost_estimate__sow_version=draft).count()
    form = CostLineForm({"kind": "travel", "description": text, "amount": "100"})
    assert not form.is_valid() and SINGLE_LINE_MESSAGE in form.errors["description"]
    with pytest.raises(ValidationError) as caught:
        services.cost_line_add(actor=em.user, version=draft, kind="travel", description=text, amount="100")
    assert SINGLE_LINE_MESSAGE in caught.value.message_dict["description"]
    assert CostLine.objects.filter(cost_estimate__sow_version=draft).count() == before


def test_cost_line_update_refuses_control_characters(em, draft):
    line = services.cost_line_add(
        actor=em.user, version=draft, kind="travel", description="Flights", amount="100"
    )
    with pytest.raises(ValidationError):
        services.cost_line_update(
            actor=em.user, line=line, description="Flights\r\nBcc: x@example.com", amount="100"
        )
    line.refresh_from_db()
    assert line.description == "Flights"


def test_sent_recipients_refuse_a_header_injection(em, draft, director):
    approved = take_to(draft, "approved", em=em, director=director)
    form = SentForm(
        {"version": approved.version, "sent_on": "2026-12-01", "recipients": "cfo@x.example\r\nBcc: a@b"}
    )
    assert not form.is_valid() and SINGLE_LINE_MESSAGE in form.errors["recipients"]
    with pytest.raises(ValidationError) as caught:
        services.sow_mark_sent(
            actor=em.user,
            version=approved,
            expected_version=approved.version,
            sent_on=dt.date.today(),
            recipients="cfo@x.example\r\nBcc: a@b",
        )
    assert "recipients" in caught.value.message_dict
    approved.refresh_from_db()
    assert approved.status == SowStatus.APPROVED


def test_a_sow_from_an_older_multi_line_issue_title_gets_one_line(em, ready_issue):
    ScopingIssue.objects.filter(pk=ready_issue.pk).update(title="Harbor\r\nBcc: all@example.com  migration")
    ready_issue.refresh_from_db()
    sow = services.sow_create(actor=em.user, issue=ready_issue)
    assert sow.title == "Harbor Bcc: all@example.com migration"


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
        staffing_services.staffing_requirement_create(
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
