"""Each SOW access rule refuses with its one message, on the page (the SOW pages and the approval
queue in the admin) and in the service alike."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import escape

from core.roles import Role
from sow import access, services
from sow.models import Approval, CostLine, Sow, SowVersion
from sow.panels import opportunity_panel, scoping_issue_panel
from tests.conftest import client_for
from tests.sow.factories import take_to

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
def outsider(make_person):
    """A login whose role has no part in SOWs."""
    return make_person(Role.PROJECT_MANAGER, username="outsider")


def test_can_use_sows_on_the_list_and_the_panels(outsider, draft):
    page_refusal(client_for(outsider).get(reverse("sow:list")), access.can_use_sows)
    assert opportunity_panel(outsider.user, draft.sow.opportunity) is None
    assert scoping_issue_panel(outsider.user, draft.sow.scoping_issue) is None


def test_can_view_in_the_service_and_the_page_hides_the_sow(other_em, draft):
    service_refusal(lambda: services.sow_request_pdf(actor=other_em.user, version=draft), access.can_view)
    # The page does not say that the SOW exists.
    assert client_for(other_em).post(reverse("sow:request_pdf", args=[draft.pk])).status_code == 404
    assert not draft.documents.exists()


def test_can_create_on_the_page_and_in_the_service(leadership, ready_issue):
    page_refusal(client_for(leadership).post(reverse("sow:create", args=[ready_issue.pk])), access.can_create)
    service_refusal(lambda: services.sow_create(actor=leadership.user, issue=ready_issue), access.can_create)
    assert not Sow.objects.exists()


def test_the_create_button_follows_can_create(em, leadership, ready_issue):
    em_panel = scoping_issue_panel(em.user, ready_issue)
    leadership_panel = scoping_issue_panel(leadership.user, ready_issue)
    assert em_panel is not None and leadership_panel is not None
    assert em_panel.context["can_create"] is True
    assert leadership_panel.context["can_create"] is False


@pytest.mark.parametrize(
    ("url_name", "method", "data"),
    [
        ("sow:edit", "get", None),
        ("sow:cost_add", "post", {"kind": "travel", "description": "Flights", "amount": "100"}),
        ("sow:transition", "post", {"version": "1", "reason": "Lost"}),
    ],
)
def test_can_edit_on_every_sow_page(leadership, draft, url_name, method, data):
    args = [draft.pk, "withdraw"] if url_name == "sow:transition" else [draft.pk]
    client = client_for(leadership)
    url = reverse(url_name, args=args)
    page_refusal(client.get(url) if method == "get" else client.post(url, data), access.can_edit)
    assert SowVersion.objects.get(pk=draft.pk).status == "draft"


def test_can_edit_on_the_cost_line_page(leadership, draft):
    line = CostLine.objects.filter(cost_estimate__sow_version=draft).first()
    assert line is not None
    page_refusal(
        client_for(leadership).post(reverse("sow:cost_update", args=[draft.pk, line.pk]), {"delete": "1"}),
        access.can_edit,
    )
    assert CostLine.objects.filter(pk=line.pk).exists()


def test_can_edit_in_the_services(leadership, draft):
    line = CostLine.objects.filter(cost_estimate__sow_version=draft).first()
    assert line is not None
    seen = draft.version
    for call in (
        lambda: services.sow_update_sections(
            actor=leadership.user,
            version=draft,
            expected_version=seen,
            pricing_type="fixed_fee",
            expiry_date=None,
        ),
        lambda: services.cost_line_add(
            actor=leadership.user, version=draft, kind="travel", description="x", amount="5"
        ),
        lambda: services.cost_line_update(actor=leadership.user, line=line, description="x", hours="1"),
        lambda: services.cost_line_delete(actor=leadership.user, line=line),
        lambda: services.sow_submit(actor=leadership.user, version=draft, expected_version=seen),
        lambda: services.sow_withdraw(
            actor=leadership.user, version=draft, expected_version=seen, reason="r"
        ),
    ):
        service_refusal(call, access.can_edit)
    assert SowVersion.objects.get(pk=draft.pk).version == seen


def test_can_decide_sows_on_the_queue_and_in_the_services(make_person, em, director, draft):
    version = take_to(draft, "submitted", em=em, director=director)
    practice = client_for(make_person(Role.PRACTICE_MANAGER, username="practice"))  # staff, not an approver
    page_refusal(practice.get(reverse("admin:sow_approvalqueueitem_changelist")), access.can_decide_sows)
    page_refusal(
        practice.post(
            reverse("admin:sow_approvalqueueitem_review", args=[version.pk]),
            {"decision": "approve", "version": version.version},
        ),
        access.can_decide_sows,
    )
    for call in (
        lambda: services.sow_approve(actor=em.user, version=version, expected_version=version.version),
        lambda: services.sow_request_changes(
            actor=em.user, version=version, expected_version=version.version, comment="No"
        ),
    ):
        service_refusal(call, access.can_decide_sows)
    assert SowVersion.objects.get(pk=version.pk).status == "submitted"


def test_can_decide_on_the_queue_the_review_page_and_in_the_services(em, director, second_director, draft):
    version = take_to(draft, "submitted", em=em, director=director)
    SowVersion.objects.filter(pk=version.pk).update(author=director.user)
    version.refresh_from_db()
    client = client_for(director)
    queue = client.get(reverse("admin:sow_approvalqueueitem_changelist")).content.decode()
    assert "your own" in queue
    review = reverse("admin:sow_approvalqueueitem_review", args=[version.pk])
    page = client.get(review).content.decode()
    assert escape(access.can_decide.message) in page and 'value="approve"' not in page
    response = client.post(review, {"decision": "approve", "version": version.version}, follow=True)
    assert escape(access.can_decide.message) in response.content.decode()
    for call in (
        lambda: services.sow_approve(actor=director.user, version=version, expected_version=version.version),
        lambda: services.sow_request_changes(
            actor=director.user, version=version, expected_version=version.version, comment="No"
        ),
    ):
        service_refusal(call, access.can_decide)
    assert not Approval.objects.exists()
    # Another director may decide: the queue and the review page offer it.
    other = client_for(second_director)
    assert "your own" not in other.get(reverse("admin:sow_approvalqueueitem_changelist")).content.decode()
    assert 'value="approve"' in other.get(review).content.decode()
    services.sow_approve(actor=second_director.user, version=version, expected_version=version.version)
    assert SowVersion.objects.get(pk=version.pk).status == "approved"
