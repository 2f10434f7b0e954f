"""SOW PDFs rendered for real by WeasyPrint and read back as text."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader

from sow import pdf, services
from sow.models import MANDATORY_SECTIONS, SECTIONS, SowDocument
from sow.pdf import BlockedResource, StaticOnlyFetcher, document_html, render_pdf
from sow.services.documents import queue_render
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def fill(version):
    for name in MANDATORY_SECTIONS:
        if not getattr(version, name):
            setattr(version, name, f"{name.replace('_', ' ').title()} for Harbor Bank.")
    version.save()
    return version


def test_pdf_contains_customer_total_sections_and_page_numbers(draft):
    fill(draft)
    text, pages = pdf_text(render_pdf(document_html(draft, draft=True)))
    assert "Harbor Bank" in text
    assert "USD 26,000.00" in text
    for name, label in SECTIONS:
        assert (label in text) == bool(getattr(draft, name).strip()), label
    assert "Page 1 of" in text and f"Page {pages} of {pages}" in text
    assert "SOW-" in text and "v1" in text
    assert "DRAFT" in text


def test_final_pdf_has_no_draft_watermark(draft):
    fill(draft)
    text, _ = pdf_text(render_pdf(document_html(draft, draft=False)))
    assert "DRAFT" not in text
    assert "Harbor Bank" in text


class CountingHandler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    CountingHandler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_hostile_section_renders_inert(draft, local_server):
    fill(draft)
    draft.deliverables = (
        '<img src="file:///etc/passwd">\n\n'
        f"![tracker]({local_server}/markdown-image.png)\n\n"
        f'<img src="{local_server}/raw-image.png">\n\n'
        f'<link rel="stylesheet" href="{local_server}/style.css">\n\n'
        f'<style>@import url("{local_server}/import.css"); body {{ background: url("{local_server}/bg.png") }}</style>\n\n'
        f'<p style="background:url({local_server}/inline.png)">styled</p>\n\n'
        f'<iframe src="{local_server}/frame"></iframe><object data="file:///etc/passwd"></object>\n\n'
        f'[a link]({local_server}/link) <script>fetch("{local_server}/script")</script>'
    )
    draft.save()
    text, _ = pdf_text(render_pdf(document_html(draft, draft=True)))
    assert CountingHandler.hits == []
    assert "root:" not in text
    assert "a link" in text and "styled" in text


def test_fetcher_serves_only_static_files(local_server):
    fetcher = StaticOnlyFetcher()
    for url in (
        f"{local_server}/x.png",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "data:text/plain,hi",
        "static:../../../etc/passwd",
    ):
        with pytest.raises(BlockedResource):
            fetcher.fetch(url)
    response = fetcher.fetch("static:css/app.css")
    assert b"pipeline-table" in response.read()
    assert CountingHandler.hits == []


def test_render_is_idempotent_and_failure_is_recorded_then_retried(em, draft, settings):
    fill(draft)
    document = queue_render(actor=em.user, version=draft, kind=SowDocument.Kind.DRAFT)
    first = pdf.render_document(document.pk)
    first_name, first_hash = first.file.name, first.content_hash
    again = pdf.render_document(document.pk)
    assert (again.file.name, again.content_hash, again.attempts) == (first_name, first_hash, 1)

    settings.SOW_PDF_TEMPLATE = "sow/no-such-template.html"
    document = services.sow_request_pdf(actor=em.user, version=draft)
    with pytest.raises(Exception, match="no-such-template"):
        pdf.render_document(document.pk)
    failed = SowDocument.objects.get(pk=document.pk)
    assert failed.status == "failed" and "TemplateDoesNotExist" in failed.error

    settings.SOW_PDF_TEMPLATE = "sow/pdf.html"
    services.sow_request_pdf(actor=em.user, version=draft)
    retried = pdf.render_document(document.pk)
    assert retried.status == "ready" and retried.error == ""
    text, _ = pdf_text(retried.file.read())
    assert "Harbor Bank" in text


@pytest.mark.django_db(transaction=True)
def test_render_task_on_real_worker(celery_on_broker, em, ready_issue, django_capture_on_commit_callbacks):
    """Submitting queues the DRAFT render; a Celery worker (real, on Redis when configured) renders it."""
    sow = services.sow_create(actor=em.user, issue=ready_issue)
    version = fill(sow.versions.get())
    services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    document = wait_for(
        lambda: SowDocument.objects.filter(sow_version=version, kind="draft", status="ready").first(),
        timeout=90,
    )
    text, _ = pdf_text(document.file.read())
    assert "DRAFT" in text and "Harbor Bank" in text
