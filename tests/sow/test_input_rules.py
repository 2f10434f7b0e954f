"""SOWs: one-line text refuses control characters; a refusal has a message by the field and saves
nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.validators import SINGLE_LINE_MESSAGE
from scoping.models import ScopingIssue
from sow import services
from sow.forms import CostLineForm, SentForm
from sow.models import CostLine, SowStatus
from tests.sow.factories import take_to

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
