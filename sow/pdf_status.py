"""A version's PDFs as the version page shows them while they render: each document's own status
(queued / rendering / ready / failed) read through the one job rule of core.jobs."""

from __future__ import annotations

from core.jobs import JobStatus
from sow.models import SowDocument, SowVersion

# queued → running → done | failed, as core.jobs names them.
_DOCUMENT_STATE = {
    SowDocument.Status.QUEUED: "queued",
    SowDocument.Status.RENDERING: "running",
    SowDocument.Status.READY: "done",
    SowDocument.Status.FAILED: "failed",
}


def document_statuses(version: SowVersion) -> list[tuple[SowDocument, JobStatus]]:
    """Each rendered (or rendering) PDF of the version with its state as the PDF panel shows it
    (the panel polls itself while any is not final)."""
    return [
        (
            document,
            JobStatus(
                state=_DOCUMENT_STATE[SowDocument.Status(document.status)],
                label=f"{document.get_kind_display()} PDF",
                message=document.error if document.status == SowDocument.Status.FAILED else "",
                queued_at=document.updated_at,
                started_at=document.updated_at,
                finished_at=document.rendered_at if document.status == SowDocument.Status.READY else None,
                key=f"pdf-{document.kind}",
            ),
        )
        for document in sorted(version.documents.all(), key=lambda d: d.kind)
    ]
