"""Each scoping access rule refuses with its one message, on the page and in the service alike."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from scoping import access, services
from scoping.models import Estimate, ScopingIssue
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def page_refusal(response, rule):
    """The 403 page shows the rule's own message."""
    assert response.status_code == 403
    assert escape(rule.message) in response.content.decode()


def service_refusal(call, rule):
    with pytest.raises(PermissionDenied) as exc:
        call()
    assert str(exc.value) == rule.message


@pytest.fixture
def estimate(em, issue):
    estimate = services.estimate_create(actor=em.user, issue=issue)
    services.estimate_add_line(
        actor=em.user,
        estimate=estimate,
        kind="free",
        description="Fixed fee",
        quantity="1",
        unit_price="80000",
    )
    return Estimate.objects.get(pk=estimate.pk)


def test_can_create_for_on_the_page_and_in_the_service(leadership, opp):
    page_refusal(client_for(leadership).get(reverse("scoping:create", args=[opp.pk])), access.can_create_for)
    service_refusal(
        lambda: services.scoping_issue_create(actor=leadership.user, opportunity=opp, title="x"),
        access.can_create_for,
    )
    assert not ScopingIssue.objects.exists()


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("scoping:edit", None),
        ("scoping:move", {"status": "closed"}),
        ("scoping:request_assistance", {"note": "Help"}),
        ("scoping:estimate_create", {}),
    ],
)
def test_can_edit_on_every_issue_page(leadership, issue, url_name, data):
    client = client_for(leadership)
    url = reverse(url_name, args=[issue.pk])
    page_refusal(client.get(url) if data is None else client.post(url, data), access.can_edit)


def test_can_edit_in_the_services(leadership, em, issue):
    kwargs = {
        "title": "T",
        "assignee": em,
        "current_state": "",
        "constraints": "",
        "desired_outcomes": "",
        "requirements": "",
        "service_types": [],
        "external_link": "",
    }
    for call in (
        lambda: services.scoping_issue_update(
            actor=leadership.user, issue=issue, expected_version=1, **kwargs
        ),
        lambda: services.scoping_issue_move(actor=leadership.user, issue=issue, status="closed"),
        lambda: services.ta_request_assistance(actor=leadership.user, issue=issue, note="Help"),
        lambda: services.estimate_create(actor=leadership.user, issue=issue),
    ):
        service_refusal(call, access.can_edit)
    assert ScopingIssue.objects.get(pk=issue.pk).status == "open"


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("scoping:estimate_save", {"version": "1"}),
        (
            "scoping:estimate_add_line",
            {"kind": "free", "description": "x", "quantity": "1", "unit_price": "5"},
        ),
        ("scoping:estimate_revise", {"reason": "Cheaper"}),
        ("scoping:estimate_share", {}),
        ("scoping:estimate_agree", {}),
    ],
)
def test_can_edit_estimate_on_every_estimate_page(leadership, estimate, url_name, data):
    page_refusal(
        client_for(leadership).post(reverse(url_name, args=[estimate.pk]), data), access.can_edit_estimate
    )
    assert Estimate.objects.get(pk=estimate.pk).version == estimate.version


def test_can_edit_estimate_in_the_services(leadership, estimate):
    for call in (
        lambda: services.estimate_add_line(
            actor=leadership.user,
            estimate=estimate,
            kind="free",
            description="x",
            quantity="1",
            unit_price="5",
        ),
        lambda: services.estimate_delete_line(actor=leadership.user, line=estimate.lines.get()),
        lambda: services.estimate_revise(actor=leadership.user, estimate=estimate, reason="Cheaper"),
        lambda: services.estimate_share(actor=leadership.user, estimate=estimate),
        lambda: services.estimate_agree(actor=leadership.user, estimate=estimate),
    ):
        service_refusal(call, access.can_edit_estimate)


def test_can_review_on_the_page_and_in_the_services(em, issue, estimate):
    page_refusal(
        client_for(em).post(reverse("scoping:ta_decide", args=[issue.pk]), {"decision": "approve"}),
        access.can_review,
    )
    for call in (
        lambda: services.ta_approve(actor=em.user, issue=issue),
        lambda: services.ta_send_back(actor=em.user, issue=issue, comment="No"),
        lambda: services.ta_mark_assisted(actor=em.user, issue=issue, comment="Helped"),
    ):
        service_refusal(call, access.can_review)
    assert not issue.ta_reviews.exists()


def test_can_use_ta_queue_on_the_queue_page(em):
    page_refusal(client_for(em).get(reverse("scoping:ta_queue")), access.can_use_ta_queue)


def test_can_use_scoping_on_the_list_and_the_board(db):
    client = Client()
    client.force_login(User.objects.create_user("outsider", password="x"))
    for name in ("scoping:list", "scoping:board"):
        page_refusal(client.get(reverse(name)), access.can_use_scoping)


def test_the_opportunity_page_has_no_scoping_section_without_scoping(db, opp):
    outsider = User.objects.create_user("outsider", password="x")
    from scoping.panels import opportunity_panel

    assert opportunity_panel(outsider, opp) is None
