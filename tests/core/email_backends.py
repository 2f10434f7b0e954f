"""Email backends for tests: one whose mail server refuses everything."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class RefusingBackend(BaseEmailBackend):
    """Every send fails as an SMTP server that answers 554 would make it fail."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPDataError(554, b"Transaction failed: relay refused")
