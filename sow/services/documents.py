"""Rendered PDFs of a version: queued for the worker (sow.tasks) when a version is submitted or
approved, and on demand (or to retry a failure) from the version page."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from core import actions
from core.types import AnyUser
from sow import access
from sow.models import SowDocument, SowStatus, SowVersion
from sow.services.versions import lock_version
from sow.tasks import render_sow_pdf

# Versions whose PDF carries the DRAFT watermark; the others get the final one.
DRAFT_STATES = (SowStatus.DRAFT, SowStatus.SUBMITTED, SowStatus.CHANGES_REQUESTED, SowStatus.WITHDRAWN)


def queue_render(*, actor: AnyUser | None, version: SowVersion, kind: str) -> SowDocument:
    """Mark the version's document of `kind` queued and render it once the transaction commits (so
    the worker sees the rows). The write that asks for it tells it in its own audit entry."""
    document = SowDocument.objects.select_for_update().filter(sow_version=version, kind=kind).first()
    if document is None:
        document = SowDocument(sow_version=version, kind=kind)
    document.status = SowDocument.Status.QUEUED
    document.error = ""
    # Only these columns: the worker may be storing an earlier render's file at this moment.
    fields = None if document.pk is None else ["status", "error", "updated_at"]
    actions.save(document, actor=actor, action="asked for the PDF", update_fields=fields, audit=False)
    document_id = document.pk
    transaction.on_commit(lambda: render_sow_pdf.delay(document_id))
    return document


@transaction.atomic
def sow_request_pdf(*, actor: User, version: SowVersion) -> SowDocument:
    """On demand (or to retry a failure): DRAFT-watermarked before approval, final after."""
    access.can_view.require(actor, version.sow)
    # Locked: two requests at once queue one document, of the kind the version's status now asks for.
    fresh = lock_version(version)
    kind = SowDocument.Kind.DRAFT if fresh.status in DRAFT_STATES else SowDocument.Kind.FINAL
    document = queue_render(actor=actor, version=fresh, kind=kind)
    actions.record(actor=actor, action=f"asked for the {kind} PDF", obj=fresh)
    return document
