"""Change request PDFs: rendered like the SOW's (sow.pdf: WeasyPrint, static files only), with the
parties, the SOW it changes, the scope lines with their price, the new contract value, the effect on
dates and a signature block. Costs and margins stay out."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from sow.models import ChangeRequest, ChangeRequestDocument, SowDocument
from sow.pdf import content_hash, render_pdf
from sow.selectors import supplier_for
from sow.services.change_requests import change_request_totals, contract_value

TEMPLATE = "sow/change_request_pdf.html"


def document_html(change_request: ChangeRequest, *, draft: bool) -> str:
    version = change_request.sow_version
    opportunity = change_request.sow.opportunity
    lines = list(change_request.lines.all())
    totals = change_request_totals(change_request, lines)
    value = contract_value(version)
    before = value.current - (totals.price_delta if change_request.counts_in_contract else 0)
    return render_to_string(
        TEMPLATE,
        {
            "cr": change_request,
            "version": version,
            "sow": change_request.sow,
            "reference": f"{change_request.sow.reference} {change_request.label}",
            "engagement": opportunity.name,
            "customer": opportunity.account.contracting_name,
            "customer_address": opportunity.account.address,
            "supplier": supplier_for(version),
            "lines": lines,
            "totals": totals,
            "contract_before": before,
            "contract_after": before + totals.price_delta,
            "draft": draft,
        },
    )


def render_document(document_id: int) -> ChangeRequestDocument:
    """Render and store one document; the same content gives the same file (skips re-rendering)."""
    document = ChangeRequestDocument.objects.get(pk=document_id)
    change_request = ChangeRequest.objects.select_related(
        "sow", "sow__opportunity", "sow__opportunity__account", "sow_version", "sow_version__sow"
    ).get(pk=document.change_request_id)
    try:
        html = document_html(change_request, draft=document.kind == SowDocument.Kind.DRAFT)
        digest = content_hash(html)
        if (
            document.status == SowDocument.Status.READY
            and document.content_hash == digest
            and document.file.name
            and document.file.storage.exists(document.file.name)
        ):
            return document
        ChangeRequestDocument.objects.filter(pk=document.pk).update(
            status=SowDocument.Status.RENDERING, attempts=F("attempts") + 1
        )
        data = render_pdf(html)
    except Exception as exc:
        ChangeRequestDocument.objects.filter(pk=document.pk).update(
            status=SowDocument.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    document.refresh_from_db()
    if document.file:
        document.file.delete(save=False)
    document.file.save(
        f"{change_request.sow.reference}-{change_request.label}.pdf", ContentFile(data), save=False
    )
    document.status = SowDocument.Status.READY
    document.content_hash = digest
    document.error = ""
    document.rendered_at = timezone.now()
    document.save()
    return document
