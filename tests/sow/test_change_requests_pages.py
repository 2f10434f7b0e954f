"""The change request pages: drafting from the signed SOW page, lines by hand and from a revised
estimate, transitions, the director's queue and review in the admin, the lineage links, the contract
value on the SOW page, and the PDF read back."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from scoping import services as scoping_services
from scoping.models import DeliveryRole, Estimate
from scoping.services.estimates import LineChange
from sow.change_request_pdf import document_html
from sow.models import ChangeRequest, SupplierEntity
from sow.pdf import render_pdf
from sow.services import change_requests as services
from tests.conftest import client_for
from tests.sow.factories import blank_pdf, take_to
from tests.sow.test_change_requests import add_labour, add_other, bring_to, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(em, director, draft):
    return take_to(draft, "signed", em=em, director=director)


@pytest.fixture
def cr(em, signed):
    return services.change_request_create(
        actor=em.user, version=signed, title="Two more pipelines", reason="Two more business units."
    )


def test_the_signed_sow_page_offers_a_change_request_and_shows_the_contract_value(em, director, signed):
    page = client_for(em).get(signed.get_absolute_url()).content.decode()
    assert reverse("sow:cr_create", args=[signed.pk]) in page
    assert 'data-testid="contract-original">USD 26,000.00' in page
    assert 'data-testid="contract-current">USD 26,000.00' in page
    assert signed.estimate.get_absolute_url() in page  # SOW → estimate


def test_a_draft_sow_page_has_no_contract_panel(em, draft):
    page = client_for(em).get(draft.get_absolute_url()).content.decode()
    assert 'data-testid="contract-value"' not in page
    assert draft.estimate.get_absolute_url() in page


def test_leadership_sees_the_contract_value_but_no_button(leadership, signed):
    page = client_for(leadership).get(signed.get_absolute_url()).content.decode()
    assert 'data-testid="contract-value"' in page
    assert 'data-testid="new-change-request"' not in page


def test_em_drafts_a_change_request_from_the_form(em, signed):
    client = client_for(em)
    url = reverse("sow:cr_create", args=[signed.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "", "reason": "x"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(url, {"title": "Extra site", "reason": "New site", "new_end_date": "2099-01-31"})
    change_request = ChangeRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == change_request.get_absolute_url()
    assert change_request.new_end_date == dt.date(2099, 1, 31)


def test_draft_sow_refuses_the_change_request_form_with_a_message(em, draft):
    response = client_for(em).post(reverse("sow:cr_create", args=[draft.pk]), {"title": "x"})
    assert response.status_code == 200
    assert "change requests are made on a signed SOW" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_lines_by_hand_with_field_errors_and_totals_on_the_page(em, cr):
    client = client_for(em)
    url = reverse("sow:cr_line_add", args=[cr.pk])
    engineer = DeliveryRole.objects.get(name="Engineer")
    response = client.post(url, {"change": "added", "kind": "labour", "description": "More", "hours": "x"})
    assert response.status_code == 200
    assert "delivery role" in response.content.decode().lower()
    assert not cr.lines.exists()
    data = {"change": "added", "kind": "labour", "description": "Pipelines", "delivery_role": engineer.pk}
    assert client.post(url, {**data, "hours": "10"}).status_code == 302
    client.post(url, {"change": "added", "kind": "expenses", "description": "Flights", "price": "1500"})
    page = client.get(cr.get_absolute_url()).content.decode()
    # 10 h × 200 + 1,500 travel; cost 10 × 100 + 1,500.
    assert 'data-testid="cr-price">+USD 3,500.00' in page
    assert 'data-testid="cr-cogs">+USD 2,500.00' in page
    # Contract: (26,000 + 3,500 − 13,000 − 2,500) / 29,500 = 47.5 %.
    assert 'data-testid="cr-new-margin">' in page and "47.5 %" in page
    line = cr.lines.first()
    assert client.post(reverse("sow:cr_line_delete", args=[cr.pk, line.pk])).status_code == 302
    assert cr.lines.count() == 1


def test_lines_from_a_revised_estimate(em, cr, signed, catalog):
    issue = signed.sow.scoping_issue
    base = signed.estimate
    revised = scoping_services.estimate_revise(actor=em.user, estimate=base, reason="Two more units")
    client = client_for(em)
    # A draft revision is not offered yet.
    assert "No shared or agreed revision" in client.get(cr.get_absolute_url()).content.decode()
    execution = revised.lines.get(description__endswith="Execution")
    assessment = revised.lines.get(description__endswith="Assessment")
    scoping_services.estimate_update(
        actor=em.user,
        estimate=revised,
        expected_version=revised.version,
        contingency_percent=revised.contingency_percent,
        expenses=Decimal("2000"),
        discount=revised.discount,
        lines=[
            LineChange(line_id=execution.pk, description=execution.description, hours="130"),
            LineChange(line_id=assessment.pk, description=assessment.description, delete=True),
        ],
    )
    scoping_services.estimate_add_line(
        actor=em.user,
        estimate=Estimate.objects.get(pk=revised.pk),
        kind="free",
        description="Licence",
        quantity=1,
        unit_price="1350",
    )
    revised = scoping_services.estimate_share(actor=em.user, estimate=Estimate.objects.get(pk=revised.pk))
    assert revised.scoping_issue_id == issue.pk
    response = client.post(reverse("sow:cr_from_estimate", args=[cr.pk]), {"estimate": revised.pk})
    assert response.status_code == 302
    lines = {(x.change, x.description): x for x in fresh(cr).lines.all()}
    changed = lines[("changed", execution.description)]
    # Execution 100 → 130 h at 200 bill, costed at the rate card's 100.
    assert (changed.hours_delta, changed.price_delta, changed.cost_delta) == (
        Decimal("30"),
        Decimal("6000.00"),
        Decimal("3000.00"),
    )
    removed = lines[("removed", assessment.description)]
    assert (removed.price_delta, removed.cost_delta) == (Decimal("-6000.00"), Decimal("-3000.00"))
    licence = lines[("added", "Licence")]
    assert (licence.kind, licence.price_delta, licence.cost_delta) == (
        "pass_through",
        Decimal("1350.00"),
        Decimal("1350.00"),
    )
    travel = lines[("added", "Travel & expenses")]
    assert (travel.price_delta, travel.cost_delta) == (Decimal("2000.00"), Decimal("2000.00"))
    assert len(lines) == 4
    assert fresh(cr).estimate_id == revised.pk
    # The CR's price delta is the estimates' difference.
    totals = services.change_request_totals(fresh(cr))
    assert totals.price_delta == revised.total - signed.estimate.total == Decimal("3350")
    # Lineage both ways: CR → revised estimate, revised estimate → CR, estimate → SOW.
    page = client.get(cr.get_absolute_url()).content.decode()
    assert revised.get_absolute_url() in page and signed.get_absolute_url() in page
    estimate_page = client.get(revised.get_absolute_url()).content.decode()
    assert cr.get_absolute_url() in estimate_page
    assert signed.get_absolute_url() in client.get(base.get_absolute_url()).content.decode()


def test_transitions_on_the_page_and_stale_forms(em, director, cr):
    add_labour(em.user, cr)
    client = client_for(em)
    seen = fresh(cr).version
    response = client.post(reverse("sow:cr_transition", args=[cr.pk, "submit"]), {"version": seen})
    assert response.status_code == 302 and fresh(cr).status == "submitted"
    # The same form again: refused as out of date, nothing changes.
    client.post(reverse("sow:cr_transition", args=[cr.pk, "withdraw"]), {"version": seen, "reason": "x"})
    assert fresh(cr).status == "submitted"
    assert (
        client.post(reverse("sow:cr_transition", args=[cr.pk, "nonsense"]), {"version": 1}).status_code == 404
    )


def test_sent_with_a_future_date_is_a_field_error(em, director, cr):
    change_request = bring_to(cr, "approved", em=em, director=director)
    response = client_for(em).post(
        reverse("sow:cr_transition", args=[cr.pk, "sent"]),
        {"version": change_request.version, "sent_on": "2999-01-01", "recipients": "cfo@x.example"},
    )
    assert response.status_code == 200 and "That date is in the future." in response.content.decode()
    assert fresh(cr).status == "approved"


def test_the_queue_lists_change_requests_and_the_director_approves_in_the_review(em, director, cr):
    change_request = bring_to(cr, "submitted", em=em, director=director)
    client = client_for(director)
    queue = client.get(reverse("admin:sow_approvalqueueitem_changelist")).content.decode()
    review_url = reverse("admin:sow_approvalqueueitem_cr_review", args=[cr.pk])
    assert review_url in queue and "CR-1" in queue
    page = client.get(review_url).content.decode()
    assert 'data-testid="cr-review-price">+USD 8,000.00' in page
    response = client.post(
        review_url, {"decision": "request_changes", "comment": "", "version": change_request.version}
    )
    assert response.status_code == 200 and "Say what must change." in response.content.decode()
    assert fresh(cr).status == "submitted"
    response = client.post(
        review_url, {"decision": "approve", "comment": "Fine", "version": change_request.version}
    )
    assert response.status_code == 302 and fresh(cr).status == "approved"
    # The SOW page now counts it.
    page = client_for(em).get(cr.sow_version.get_absolute_url()).content.decode()
    assert 'data-testid="contract-current">USD 34,000.00' in page  # 26,000 + 40 h × 200


def test_the_review_refuses_the_author_and_a_stale_page(em, director, second_director, signed):
    director.user.is_superuser = True
    director.user.save()
    own = services.change_request_create(actor=director.user, version=signed, title="Own", reason="Gap")
    own = bring_to(own, "submitted", em=director, director=second_director)
    review_url = reverse("admin:sow_approvalqueueitem_cr_review", args=[own.pk])
    page = client_for(director).get(review_url).content.decode()
    assert 'data-testid="cr-refusal"' in page
    response = client_for(director).post(review_url, {"decision": "approve", "version": own.version})
    assert fresh(own).status == "submitted" and response.status_code == 200
    client_for(second_director).post(review_url, {"decision": "approve", "version": own.version - 1})
    assert fresh(own).status == "submitted"


def test_the_pdf_reads_back_with_the_scope_money_and_draft_watermark(em, director, cr, signed):
    SupplierEntity.objects.create(
        legal_name="Pipeline Software Ltd", address="1 Quay", agreement_reference="MSA-2026-001"
    )
    add_labour(em.user, cr, hours="40")  # +8,000
    add_other(em.user, cr, "discount", "500")  # −500
    cr = fresh(cr)
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(document_html(cr, draft=True)))).pages
    )
    assert "Change Request CR-1" in text
    assert "DRAFT" in text
    assert f"amends Statement of Work {signed.sow.reference} v1" in " ".join(text.split())
    assert "Pipeline Software Ltd" in text and "MSA-2026-001" in text
    assert "+USD 7,500.00" in text  # 8,000 − 500
    assert "USD 26,000.00 before" in text and "USD 33,500.00" in text
    assert "Two more business units." in text
    assert "Signature and acceptance" in text
    # Costs and margins stay out of the customer's document.
    assert "COGS" not in text and "margin" not in text.lower() and "4,000.00" not in text
    approved = bring_to(cr, "approved", em=em, director=director)
    final = "\n".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(render_pdf(document_html(approved, draft=False)))).pages
    )
    assert "DRAFT" not in final
    assert "USD 26,000.00 before" in final and "USD 33,500.00" in final


def test_the_pdf_is_rendered_and_downloaded(em, cr, django_capture_on_commit_callbacks):
    add_labour(em.user, cr)
    client = client_for(em)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sow:cr_request_pdf", args=[cr.pk]))
    document = cr.documents.get()
    assert (document.kind, document.status) == ("draft", "ready")
    response = client.get(reverse("sow:cr_download_pdf", args=[cr.pk, "draft"]))
    assert response.status_code == 200
    assert response.getvalue().startswith(b"%PDF-")
    assert client.get(reverse("sow:cr_download_pdf", args=[cr.pk, "final"])).status_code == 404


def test_another_em_cannot_see_the_change_request(other_em, cr):
    client = client_for(other_em)
    assert client.get(cr.get_absolute_url()).status_code == 404
    assert client.post(reverse("sow:cr_request_pdf", args=[cr.pk])).status_code == 404


def test_the_signed_copy_is_uploaded_and_downloaded(em, director, cr):
    change_request = bring_to(cr, "sent", em=em, director=director)
    client = client_for(em)
    response = client.post(
        reverse("sow:cr_transition", args=[cr.pk, "signed"]),
        {
            "version": change_request.version,
            "signed_on": timezone.localdate().isoformat(),
            "signed_copy": SimpleUploadedFile("signed.pdf", blank_pdf(), content_type="application/pdf"),
        },
    )
    assert response.status_code == 302 and fresh(cr).status == "signed"
    download = client.get(reverse("sow:cr_download_signed", args=[cr.pk]))
    assert download.status_code == 200


def test_the_sow_page_lists_every_change_request_with_status_and_delta(
    em, director, signed, django_assert_max_num_queries
):
    client = client_for(em)
    for n in range(3):
        change_request = services.change_request_create(
            actor=em.user, version=signed, title=f"Change {n}", reason="x"
        )
        add_labour(em.user, change_request, hours=str(10 * (n + 1)))
        if n == 0:
            bring_to(change_request, "approved", em=em, director=director)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as three:
        page = client.get(signed.get_absolute_url()).content.decode()
    assert page.count('data-testid="contract-cr"') == 3
    assert "+USD 2,000.00" in page and "+USD 4,000.00" in page and "+USD 6,000.00" in page
    assert 'data-testid="contract-current">USD 28,000.00' in page  # only CR-1 is approved
    for n in range(3, 6):
        change_request = services.change_request_create(
            actor=em.user, version=signed, title=f"Change {n}", reason="x"
        )
        add_labour(em.user, change_request)
    with django_assert_max_num_queries(len(three.captured_queries)):
        client.get(signed.get_absolute_url())
