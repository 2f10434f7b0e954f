"""Uploads over the signed-copy limit are refused before their body is read.

Installed first in FILE_UPLOAD_HANDLERS, so it runs whenever a multipart body is parsed — by the CSRF
check as much as by a view. A request announcing more than the limit has its form fields read up to
the first file and no further; the view then reports the refusal next to the file field.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

# Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


def signed_copy_max_bytes() -> int:
    return int(settings.SIGNED_COPY_MAX_MB) * 1024 * 1024


def too_large_message() -> str:
    return f"The signed copy must be at most {settings.SIGNED_COPY_MAX_MB} MB."


class UploadLimitHandler(FileUploadHandler):
    """Stops the parse at the first file of an oversize request, and any file that grows past the limit."""

    refused = False

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = signed_copy_max_bytes()

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        self.refused = content_length > self.limit + FORM_OVERHEAD_BYTES

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.refused:
            # connection_reset: the rest of the body is left unread rather than drained.
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.refused = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_refused(request: HttpRequest) -> bool:
    """Whether this request's upload was stopped for being over the limit."""
    return any(getattr(handler, "refused", False) for handler in request.upload_handlers)
