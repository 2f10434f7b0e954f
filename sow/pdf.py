"""SOW PDFs: a Django template rendered by WeasyPrint with a fetcher that can reach nothing but
the app's own static files (no network, no file:// outside static)."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from scoping import calculator
from sow.models import SECTIONS, SowDocument, SowVersion
from sow.selectors import supplier_for


class BlockedResource(ValueError):
    """A document tried to load something other than the app's own static files."""


def _static_roots() -> list[Path]:
    roots = [Path(p).resolve() for p in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


class StaticOnlyFetcher(URLFetcher):
    """Serves `static:NAME` and `file://` URLs that resolve inside the static folders; refuses the rest."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parsed = urlparse(url)
        path: Path | None = None
        if parsed.scheme == "static":
            try:
                found = finders.find(unquote(parsed.path).lstrip("/"))
            except SuspiciousFileOperation:
                found = None
            path = Path(found).resolve() if isinstance(found, str) else None
        elif parsed.scheme == "file":
            candidate = Path(unquote(parsed.path)).resolve()
            if any(candidate.is_relative_to(root) for root in _static_roots()):
                path = candidate
        if path is None or not path.is_file():
            raise BlockedResource(f"Blocked resource in SOW PDF: {url[:200]}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})


def document_html(version: SowVersion, *, draft: bool) -> str:
    """The customer-facing document: the parties (supplier entity and the customer's legal name and
    address), the engagement by its opportunity's name, the filled sections only, the priced lines
    adding up to the total, and a signature block for both parties. Costs and margins stay out."""
    sow = version.sow
    opportunity = sow.opportunity
    account = opportunity.account
    estimate = version.estimate
    filled = ((label, getattr(version, name) or "") for name, label in SECTIONS)
    sections = [(label, text) for label, text in filled if text.strip()]
    estimate_lines = list(estimate.lines.all())
    totals = calculator.compute(
        estimate_lines,
        contingency_percent=estimate.contingency_percent,
        expenses=estimate.expenses,
        discount=estimate.discount,
    )
    return render_to_string(
        settings.SOW_PDF_TEMPLATE,
        {
            "version": version,
            "sow": sow,
            "reference": f"{sow.reference} {version.label}",
            "engagement": opportunity.name,
            "customer": account.contracting_name,
            "customer_address": account.address,
            "supplier": supplier_for(version),
            "opportunity": opportunity,
            "sections": sections,
            "draft": draft,
            "estimate_lines": estimate_lines,
            "contingency": totals.contingency,
            "expenses": totals.expenses,
            "discount": totals.discount,
        },
    )


def content_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def render_pdf(html: str) -> bytes:
    document = HTML(string=html, base_url="static:/", url_fetcher=StaticOnlyFetcher())
    return cast(bytes, document.write_pdf())  # with no target, WeasyPrint returns the PDF's bytes


def render_document(document_id: int) -> SowDocument:
    """Render and store one document; the same content gives the same file (skips re-rendering).

    Called by the Celery task; raises on engine errors after recording them on the row.
    """
    document = SowDocument.objects.select_related("sow_version__sow").get(pk=document_id)
    version = SowVersion.objects.select_related(
        "sow", "sow__opportunity", "sow__opportunity__account", "author", "estimate"
    ).get(pk=document.sow_version_id)
    try:
        html = document_html(version, draft=document.kind == SowDocument.Kind.DRAFT)
        digest = content_hash(html)
        if (
            document.status == SowDocument.Status.READY
            and document.content_hash == digest
            and document.file.name
            and document.file.storage.exists(document.file.name)
        ):
            return document
        SowDocument.objects.filter(pk=document.pk).update(
            status=SowDocument.Status.RENDERING, attempts=F("attempts") + 1
        )
        data = render_pdf(html)
    except Exception as exc:
        SowDocument.objects.filter(pk=document.pk).update(
            status=SowDocument.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    name = f"{version.sow.reference}-{version.label}-{document.kind}.pdf"
    document.refresh_from_db()
    if document.file:
        document.file.delete(save=False)
    document.file.save(name, ContentFile(data), save=False)
    document.status = SowDocument.Status.READY
    document.content_hash = digest
    document.error = ""
    document.rendered_at = timezone.now()
    document.save()
    return document
