"""Celery tasks for SOWs: thin wrappers that load by id and call the service."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from sow.models import ChangeRequestDocument, SowDocument

logger = logging.getLogger(__name__)


def _tell_failed(document_id: int) -> None:
    # Imported here: sow.services imports this module (to queue the render).
    from sow.services.notifications import tell_render_failed

    try:
        tell_render_failed(document_id)
    except Exception:  # telling must not hide the render's own outcome
        logger.exception("SOW PDF failure not told", extra={"document_id": document_id})


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=3,
)
def render_sow_pdf(self: Task[[int], str], document_id: int) -> str:
    """Render one SOW document. Idempotent: the same content gives the same file, skipped if ready."""
    # Imported here, not at the top: WeasyPrint takes about two seconds to load, and web processes
    # import this module (sow.services queues the task) but never render. No cycle: pdf imports
    # neither this module nor sow.services.
    from sow.pdf import render_document

    if not SowDocument.objects.filter(pk=document_id).exists():
        return "missing"
    try:
        document = render_document(document_id)
    except OSError:
        if self.request.retries >= (self.max_retries or 0):
            _tell_failed(document_id)  # the last attempt: nobody will retry it on their own
        raise  # transient (disk, fonts): autoretry with backoff
    except Exception:
        logger.exception(
            "SOW PDF render failed", extra={"document_id": document_id, "task_id": self.request.id}
        )
        _tell_failed(document_id)
        return "failed"
    return document.status


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=120,
    soft_time_limit=100,
    autoretry_for=(OSError,),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=3,
)
def render_change_request_pdf(self: Task[[int], str], document_id: int) -> str:
    """Render one change request's document (idempotent, like render_sow_pdf)."""
    from sow.change_request_pdf import render_document

    if not ChangeRequestDocument.objects.filter(pk=document_id).exists():
        return "missing"
    try:
        document = render_document(document_id)
    except OSError:
        raise
    except Exception:
        logger.exception(
            "Change request PDF render failed", extra={"document_id": document_id, "task_id": self.request.id}
        )
        return "failed"
    return document.status


@shared_task(acks_late=True)
def send_approval_notices() -> dict[str, int]:
    """Reminders and escalations of waiting approval steps (each sent once, however often it runs)."""
    from sow.services.ladder import send_due_notices

    return send_due_notices()
