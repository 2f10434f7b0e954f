"""The one way the app sends email: after the transaction commits, and never silently lost.

A failure (SMTP down, a refused header, a bad address) is logged with what the email was about and
stored as an `EmailFailure`, which administrators see in the admin; the user's action stands.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from core.models import EmailFailure

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 300


def clean_subject(subject: str) -> str:
    """One line: CR, LF and other whitespace runs become single spaces (a subject is a header)."""
    return " ".join((subject or "").split())[:SUBJECT_MAX_LENGTH]


def send_notification(
    *,
    subject: str,
    body: str,
    recipients: Iterable[str],
    context: dict[str, Any] | None = None,
    html: str | None = None,
) -> None:
    """Send one email to `recipients` once the current transaction commits (at once outside one).

    `context` names the event and the records it is about; it goes into the log and the failure record.
    `html`, when given, is sent as the HTML alternative of the plain-text `body`.
    """
    to = sorted({address.strip() for address in recipients if address and address.strip()})
    if not to:
        return
    line = clean_subject(subject)
    details = dict(context or {})
    transaction.on_commit(lambda: deliver(subject=line, body=body, recipients=to, context=details, html=html))


def deliver(
    *, subject: str, body: str, recipients: list[str], context: dict[str, Any], html: str | None = None
) -> bool:
    """Send now; on failure log and record it instead of raising. True when the backend accepted it."""
    try:
        send_mail(
            subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False, html_message=html
        )
    except Exception as exc:  # any backend failure must reach an administrator, not the user
        error = f"{type(exc).__name__}: {exc}"
        logger.error(
            "email_failed",
            extra={"subject": subject, "recipients": recipients, "error": error, "context": context},
            exc_info=True,
        )
        _record(subject=subject, recipients=recipients, error=error, context=context)
        return False
    return True


def _record(*, subject: str, recipients: list[str], error: str, context: dict[str, Any]) -> None:

    try:
        EmailFailure.objects.create(
            subject=subject[:SUBJECT_MAX_LENGTH],
            recipients=recipients,
            error=error[:4000],
            context={key: str(value) for key, value in context.items()},
        )
    except Exception:  # the database is down too: the log line above is all there is
        logger.exception("email_failure_not_recorded", extra={"subject": subject, "recipients": recipients})
