import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.roles import Role
from sow import access, pdf, services
from sow.models import MANDATORY_SECTIONS, Approval, SowVersion
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def fill(version):
    for name in MANDATORY_SECTIONS:
        if not getattr(version, name):
            setattr(version, name, f"{name} text")
    version.save()
    return version


@pytest.fixture
def people(em, other_em, em_manager, leadership, director, second_director, admin_person, make_person):
    return {
        "em": em,
        "other_em": other_em,
        "em_manager": em_manager,
        "leadership": leadership,
        "director": director,
        "director2": second_director,
        "admin": admin_person,
        "ta": make_person(Role.TECHNICAL_ARCHITECT, username="ta"),
        "practice": make_person(Role.PRACTICE_MANAGER, username="practice"),
    }


@pytest.mark.parametrize(
    "role", ["anonymous", "em", "em_manager", "other_em", "leadership", "director", "admin", "ta", "practice"]
)
@pytest.mark.parametrize("page", ["list", "version", "edit", "detail"])
def test_page_access(people, draft, page, role):
    url = {
        "list": reverse("sow:list"),
        "version": draft.get_absolute_url(),
        "edit": reverse("sow:edit", args=[draft.pk]),
        "detail": draft.sow.get_absolute_url(),
    }[page]
    client = Client() if role == "anonymous" else client_for(people[role])
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        return
    editors = {"em", "em_manager", "admin"}
    expected = {
        "list": 200,
        "version": 404 if role == "other_em" else 200,
        "detail": 404 if role == "other_em" else 302,
        "edit": 404 if role == "other_em" else (200 if role in editors else 403),
    }[page]
    assert response.status_code == expected


def test_create_sow_from_scoping_issue_page(people, ready_issue):
    client = client_for(people["em"])
    body = client.get(ready_issue.get_absolute_url()).content.decode()
    assert reverse("sow:create", args=[ready_issue.pk]) in body
    response = client.post(reverse("sow:create", args=[ready_issue.pk]))
    version = SowVersion.objects.get()
    assert response.status_code == 302
    page = client.get(version.get_absolute_url()).content.decode()
    assert "USD 26,000.00" in page and "50.0 %" in page


def test_leadership_cannot_create_or_transition(people, ready_issue, draft):
    client = client_for(people["leadership"])
    assert client.post(reverse("sow:transition", args=[draft.pk, "submit"])).status_code == 403
    assert (
        client.post(
            reverse("sow:cost_add", args=[draft.pk]), {"kind": "travel", "description": "x", "amount": "5"}
        ).status_code
        == 403
    )
    assert SowVersion.objects.get(pk=draft.pk).status == "draft"


def test_submit_problems_shown_and_nothing_changes(people, draft):
    client = client_for(people["em"])
    response = client.post(reverse("sow:transition", args=[draft.pk, "submit"]), follow=True)
    body = response.content.decode()
    assert "is empty" in body
    assert SowVersion.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "role", "description": "x", "role_name": "Engineer", "hours": "abc"},
        {"kind": "travel", "description": "", "amount": "10"},
        {"kind": "partner", "description": "x", "amount": "-5"},
        {"kind": "bogus", "description": "x"},
    ],
)
def test_cost_bad_input_field_errors(people, draft, data):
    before = draft.cost_estimate.lines.count()
    response = client_for(people["em"]).post(reverse("sow:cost_add", args=[draft.pk]), data)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode() or "invalid-feedback" in response.content.decode()
    assert draft.cost_estimate.lines.count() == before


def test_sections_edit_escapes_and_sanitises(people, draft):
    client = client_for(people["em"])
    data = dict.fromkeys(
        [
            "objectives",
            "scope",
            "deliverables",
            "assumptions",
            "out_of_scope",
            "customer_responsibilities",
            "staffing_requirements",
            "period_of_performance",
            "payment_schedule",
            "risks",
            "recommendation",
        ],
        "",
    )
    data.update(
        pricing_type="fixed_fee",
        expiry_date=(timezone.localdate() + dt.timedelta(30)).isoformat(),
        version=draft.version,
        deliverables="**Plan** <script>alert(1)</script><img src=x onerror=alert(2)>",
    )
    assert client.post(reverse("sow:edit", args=[draft.pk]), data).status_code == 302
    body = client.get(draft.get_absolute_url()).content.decode()
    assert "<strong>Plan</strong>" in body
    assert "<script>alert(1)</script>" not in body and "onerror" not in body and "<img" not in body


def test_edit_bad_input(people, draft):
    response = client_for(people["em"]).post(
        reverse("sow:edit", args=[draft.pk]),
        {"pricing_type": "barter", "version": draft.version, "expiry_date": "not a date"},
    )
    assert response.status_code == 200 and "is-invalid" in response.content.decode()


def _sent(em, director, draft):
    fill(draft)
    version = services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)
    version = services.sow_approve(actor=director.user, version=version, expected_version=version.version)
    return services.sow_mark_sent(
        actor=em.user,
        version=version,
        expected_version=version.version,
        sent_on=timezone.localdate(),
        recipients="cfo",
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("fake.pdf", b"GIF89a not a pdf at all", "must be a PDF"),
        ("huge.pdf", b"%PDF-1.4" + b"0" * (20 * 1024 * 1024 + 1), "at most 20 MB"),
    ],
)
def test_signed_upload_refused_with_message(people, em, director, draft, name, content, message):
    version = _sent(em, director, draft)
    response = client_for(people["em"]).post(
        reverse("sow:transition", args=[version.pk, "signed"]),
        {
            "version": version.version,
            "signed_on": timezone.localdate().isoformat(),
            "signed_copy": SimpleUploadedFile(name, content),
        },
        follow=True,
    )
    assert message in response.content.decode()
    assert SowVersion.objects.get(pk=version.pk).status == "sent"


def test_admin_queue_director_decides_em_cannot(people, em, draft):
    fill(draft)
    seen = services.sow_submit(actor=em.user, version=draft, expected_version=draft.version).version
    queue = reverse("admin:sow_approvalqueueitem_changelist")
    review = reverse("admin:sow_approvalqueueitem_review", args=[draft.pk])
    director = client_for(people["director"])
    body = director.get(queue).content.decode()
    assert draft.sow.reference in body and "Harbor Bank" in body and "50.0 %" in body
    assert "USD 26,000.00" in body and "USD 13,000.00" in body
    assert director.get(review).status_code == 200
    em_client = client_for(people["em"])
    assert em_client.get(queue).status_code == 302  # not staff: the admin login
    assert em_client.get(review).status_code == 302
    practice = client_for(people["practice"])  # staff, but not an approver
    assert practice.get(queue).status_code == 403
    assert practice.post(review, {"decision": "approve"}).status_code == 403
    response = director.post(
        review, {"decision": "request_changes", "comment": "", "version": seen}, follow=True
    )
    assert "Say what must change" in response.content.decode()
    assert SowVersion.objects.get(pk=draft.pk).status == "submitted"
    director.post(review, {"decision": "approve", "comment": "Good margin", "version": seen})
    assert SowVersion.objects.get(pk=draft.pk).status == "approved"
    page = em_client.get(draft.get_absolute_url()).content.decode()
    assert "Good margin" in page and "Approved" in page


def test_admin_self_approval_refused(people, em, draft):
    fill(draft)
    seen = services.sow_submit(actor=em.user, version=draft, expected_version=draft.version).version
    SowVersion.objects.filter(pk=draft.pk).update(author=people["director"].user)
    director = client_for(people["director"])
    review = reverse("admin:sow_approvalqueueitem_review", args=[draft.pk])
    refusal = escape(access.can_decide.message)
    assert refusal in director.get(review).content.decode()
    response = director.post(review, {"decision": "approve", "version": seen}, follow=True)
    assert refusal in response.content.decode()
    assert SowVersion.objects.get(pk=draft.pk).status == "submitted"
    assert not Approval.objects.exists()


def test_queue_query_count_constant(people, em, draft, make_person, region_amer, catalog):
    from scoping import services as scoping_services
    from tests.engagements.factories import OpportunityFactory

    fill(draft)
    services.sow_submit(actor=em.user, version=draft, expected_version=draft.version)
    director = client_for(people["director"])
    queue = reverse("admin:sow_approvalqueueitem_changelist")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert director.get(queue).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for index in range(5):
        opp = OpportunityFactory(engagement_manager=em, region=region_amer)
        issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title=f"More {index}")
        estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
        scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=catalog)
        scoping_services.estimate_agree(actor=em.user, estimate=estimate)
        version = fill(services.sow_create(actor=em.user, issue=issue).versions.get())
        services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    assert count() == few


def test_pdf_download_and_retry_button(people, em, draft):
    fill(draft)
    client = client_for(people["em"])
    assert client.post(reverse("sow:request_pdf", args=[draft.pk])).status_code == 302
    from sow.models import SowDocument

    document = SowDocument.objects.get(sow_version=draft)
    pdf.render_document(document.pk)
    response = client.get(reverse("sow:download_pdf", args=[draft.pk, "draft"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.getvalue().startswith(b"%PDF")
    assert client.get(reverse("sow:download_pdf", args=[draft.pk, "final"])).status_code == 404
    assert (
        client_for(people["other_em"]).get(reverse("sow:download_pdf", args=[draft.pk, "draft"])).status_code
        == 404
    )


def test_sow_list_query_count_constant(people, draft):
    client = client_for(people["em"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("sow:list")).status_code == 200
    assert len(ctx.captured_queries) <= 12


def test_withdraw_and_handoff_via_views(people, em, director, draft, make_person):
    version = _sent(em, director, draft)
    client = client_for(people["em"])
    from sow.pdf import render_pdf

    client.post(
        reverse("sow:transition", args=[version.pk, "signed"]),
        {
            "version": version.version,
            "signed_on": timezone.localdate().isoformat(),
            "signed_copy": SimpleUploadedFile("signed.pdf", render_pdf("<p>x</p>")),
        },
    )
    version.refresh_from_db()
    assert version.status == "signed"
    lead = make_person(Role.PROJECT_MANAGER, name="Paula Lead")
    client.post(
        reverse("sow:transition", args=[version.pk, "handoff"]),
        {
            "version": version.version,
            "delivery_lead": lead.pk,
            "kickoff_date": "2026-12-01",
            "staffing_confirmed": "on",
            "notes": "Go",
        },
    )
    version.refresh_from_db()
    assert version.status == "handed_off"
    assert "Paula Lead" in client.get(version.get_absolute_url()).content.decode()
    assert client.post(reverse("sow:transition", args=[version.pk, "nonsense"])).status_code == 404
