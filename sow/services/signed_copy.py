"""The customer's signed copy of a SOW: a real PDF, judged by its content."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from sow import uploads

PDF_MAGIC = b"%PDF-"


def _signed_copy_error(message: str, code: str) -> ValidationError:
    return ValidationError({"signed_copy": ValidationError(message, code=code)})


def check_signed_copy(upload: UploadedFile[bytes]) -> None:
    """A real PDF, judged by its content: `%PDF-` at byte 0, the whole file readable by pypdf with at
    least one page, and at most SIGNED_COPY_MAX_MB."""
    if upload.size is None or upload.size > uploads.signed_copy_max_bytes():
        raise _signed_copy_error(uploads.too_large_message(), "too_large")
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head != PDF_MAGIC:
        raise _signed_copy_error("The signed copy must be a PDF file (this one is not).", "not_pdf")
    from pypdf import PdfReader

    try:
        reader = PdfReader(upload)
        pages = len(reader.pages)
    except Exception:  # pypdf raises many kinds of error on damaged files; any of them means unreadable
        pages = 0
    finally:
        upload.seek(0)
    if pages < 1:
        raise _signed_copy_error(
            "That PDF could not be read (it is damaged or incomplete); upload the complete signed copy.",
            "unreadable_pdf",
        )
