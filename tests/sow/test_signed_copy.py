"""The signed copy must really be a PDF, and an upload over the limit is refused before it is read."""

import io
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.handlers.wsgi import WSGIRequest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from sow import services, uploads
from sow.models import SowVersion
from sow.pdf import render_pdf
from tests.conftest import client_for
from tests.sow.factories import blank_pdf, take_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def sent(media, em, director, draft):
    return take_to(draft, "sent", em=em, director=director)


def stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()]


def sign(em, version, content, name="signed.pdf"):
    return services.sow_mark_signed(
        actor=em.user,
        version=version,
        expected_version=version.version,
        signed_on=timezone.localdate(),
        signed_copy=SimpleUploadedFile(name, content, content_type="application/pdf"),
    )


def refused_code(em, version, content):
    with pytest.raises(ValidationError) as exc:
        sign(em, version, content)
    return exc.value.error_dict["signed_copy"][0].code


def field_error(response, name: str) -> str:
    """The error text shown under a form field (crispy's invalid-feedback block), "" if none."""
    found = re.search(
        rf'<div id="id_{name}_error" class="invalid-feedback">(.*?)</div>', response.content.decode(), re.S
    )
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def assert_unchanged(version, media):
    fresh = SowVersion.objects.get(pk=version.pk)
    assert (fresh.status, fresh.version, fresh.signed_copy.name) == ("sent", version.version, "")
    assert stored_files(media) == []


def test_html_page_with_pdf_marker_inside_is_refused(em, sent, media):
    html = b"<!doctype html><html><body>%PDF-1.7 looks like one</body></html>"
    assert refused_code(em, sent, html) == "not_pdf"
    assert_unchanged(sent, media)


def test_bytes_before_the_pdf_header_are_refused(em, sent, media):
    # pypdf alone would read this file: the header check is what refuses it.
    assert refused_code(em, sent, b"<html>\n" + render_pdf("<p>Signed</p>")) == "not_pdf"
    assert_unchanged(sent, media)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(render_pdf("<p>Signed</p>")[:1500], id="truncated"),
        pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 20, id="garbage-after-header"),
        pytest.param(b"%PDF-1.4\n", id="header-only"),
    ],
)
def test_unreadable_pdf_is_refused(em, sent, media, content):
    assert refused_code(em, sent, content) == "unreadable_pdf"
    assert_unchanged(sent, media)


@pytest.mark.parametrize(
    "make", [blank_pdf, lambda: render_pdf("<h1>Signed</h1>")], ids=["pypdf", "weasyprint"]
)
def test_real_small_pdf_is_accepted_and_stored_unchanged(em, sent, media, make):
    content = make()
    signed = sign(em, sent, content)
    assert signed.status == "signed"
    with default_storage.open(signed.signed_copy.name, "rb") as handle:
        stored = handle.read()
    assert stored == content and len(PdfReader(io.BytesIO(stored)).pages) == 1


def test_oversize_is_refused_with_nothing_changed(em, sent, media, settings):
    settings.SIGNED_COPY_MAX_MB = 1
    content = blank_pdf() + b"%" + b"0" * (1024 * 1024)  # a valid PDF with a comment, just over 1 MB
    assert refused_code(em, sent, content) == "too_large"
    assert_unchanged(sent, media)


def test_form_shows_the_pdf_error_next_to_the_field(em, sent, media):
    response = client_for(em).post(
        reverse("sow:transition", args=[sent.pk, "signed"]),
        {
            "version": sent.version,
            "signed_on": timezone.localdate().isoformat(),
            "signed_copy": SimpleUploadedFile("contract.pdf", b"<html>%PDF-1.4</html>"),
        },
    )
    assert response.status_code == 200
    assert "The signed copy must be a PDF file" in field_error(response, "signed_copy")
    assert_unchanged(sent, media)


def test_view_refuses_an_oversize_request_with_a_message_next_to_the_field(em, sent, media, settings):
    settings.SIGNED_COPY_MAX_MB = 1
    response = client_for(em).post(
        reverse("sow:transition", args=[sent.pk, "signed"]),
        {
            "version": sent.version,
            "signed_on": timezone.localdate().isoformat(),
            "signed_copy": SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)),
        },
    )
    assert response.status_code == 200
    assert field_error(response, "signed_copy") == "The signed copy must be at most 1 MB."
    assert_unchanged(sent, media)


class CountingInput(io.BytesIO):
    """A request body that remembers how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.consumed += len(line)
        return line


def multipart_request(fields: dict[str, Any]) -> tuple[WSGIRequest, CountingInput, int]:
    body = encode_multipart(BOUNDARY, fields)
    stream = CountingInput(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "CONTENT_TYPE": MULTIPART_CONTENT,
        "CONTENT_LENGTH": str(len(body)),
    }
    return WSGIRequest(environ), stream, len(body)


def test_upload_over_the_limit_is_stopped_before_its_body_is_read(settings):
    settings.SIGNED_COPY_MAX_MB = 1
    request, stream, length = multipart_request(
        {
            "csrfmiddlewaretoken": "token",
            "version": "3",
            "signed_copy": SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)),
        }
    )
    assert request.POST["csrfmiddlewaretoken"] == "token" and request.POST["version"] == "3"
    assert "signed_copy" not in request.FILES
    assert uploads.upload_refused(request)
    assert stream.consumed < 256 * 1024 < length  # the fields before the file, not the 3 MB after


def test_upload_within_the_limit_is_read_normally(settings):
    settings.SIGNED_COPY_MAX_MB = 1
    content = blank_pdf()
    request, stream, length = multipart_request(
        {"version": "3", "signed_copy": SimpleUploadedFile("small.pdf", content)}
    )
    upload = request.FILES["signed_copy"]
    assert isinstance(upload, UploadedFile)
    assert upload.read() == content
    assert not uploads.upload_refused(request)
    assert stream.consumed == length
