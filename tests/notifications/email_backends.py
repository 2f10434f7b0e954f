"""An email backend for tests whose mail server refuses the first send and accepts the next."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Sequence

from django.core.mail.backends.locmem import EmailBackend
from django.core.mail.message import EmailMessage


class RefusingOnceBackend(EmailBackend):
    refused = 0
    _lock = threading.Lock()

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        with self._lock:
            if RefusingOnceBackend.refused == 0:
                RefusingOnceBackend.refused += 1
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
