"""The version page's PDF panel shows each document's state and polls itself until every one is
ready or failed (the one job rule of core.jobs); the polling endpoint answers whoever may read the SOW."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sow.models import SowDocument
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _panel(client, version) -> str:
    response = client.get(reverse("sow:pdf_status", args=[version.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


def test_a_queued_pdf_polls_the_panel(em, draft):
    SowDocument.objects.create(sow_version=draft, kind="draft", status="queued")
    html = client_for(em).get(draft.get_absolute_url()).content.decode()
    assert f'hx-get="{reverse("sow:pdf_status", args=[draft.pk])}"' in html
    assert 'data-state="queued"' in html and "waiting for a worker" in html


def test_a_rendering_pdf_shows_as_running(em, draft):
    SowDocument.objects.create(sow_version=draft, kind="draft", status="rendering")
    html = _panel(client_for(em), draft)
    assert 'data-state="running"' in html and "<progress" in html and 'hx-trigger="every 2s"' in html


def test_a_ready_pdf_stops_polling_and_offers_the_download(em, draft):
    SowDocument.objects.create(sow_version=draft, kind="draft", status="ready")
    html = _panel(client_for(em), draft)
    assert 'data-state="done"' in html and "hx-get" not in html
    assert reverse("sow:download_pdf", args=[draft.pk, "draft"]) in html


def test_a_failed_pdf_says_why_and_stops_polling(em, draft):
    SowDocument.objects.create(sow_version=draft, kind="draft", status="failed", error="The font is missing.")
    html = _panel(client_for(em), draft)
    assert 'data-state="failed"' in html and "The font is missing." in html and "hx-get" not in html


def test_the_panel_is_refused_to_whoever_may_not_read_the_sow(other_em, draft):
    response = client_for(other_em).get(reverse("sow:pdf_status", args=[draft.pk]))
    assert response.status_code in (403, 404)


def test_asking_for_a_pdf_returns_before_it_is_rendered(em, draft, django_capture_on_commit_callbacks):
    # The render is queued for the worker after the commit: the request itself renders nothing.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(em).post(reverse("sow:request_pdf", args=[draft.pk]))
    assert response.status_code == 302 and len(callbacks) == 1
    document = SowDocument.objects.get(sow_version=draft)
    assert (document.status, document.file.name) == ("queued", "")
