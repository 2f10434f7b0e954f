"""Background work shown live: the page that started it polls (htmx) and moves from queued to
running to done without a reload — a SOW's PDF on the version page, a snapshot on the snapshots page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from core.jobs import job_finish, job_progress, job_queue, job_start
from sow.models import SowDocument
from tests.sow.conftest import draft  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "background"
SIZES = [(1440, 900), (390, 844)]


def _shot(page, name: str, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=False)


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_the_pdf_panel_follows_the_render(page, live_server, log_in, em, draft, width, height):  # noqa: F811
    from sow.models import SowVersion

    version = SowVersion.objects.get(pk=draft.pk)
    document = SowDocument.objects.create(sow_version=version, kind="draft", status="queued")
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "em.amer")
    page.goto(f"{live_server.url}{version.get_absolute_url()}")
    panel = page.get_by_test_id("pdf-panel")
    expect(panel.get_by_test_id("job-state")).to_have_text("Queued")
    SowDocument.objects.filter(pk=document.pk).update(status="rendering")
    expect(panel.get_by_test_id("job-state")).to_have_text("Running", timeout=10_000)
    panel.scroll_into_view_if_needed()
    _shot(page, "sow-pdf-running", width)
    document.refresh_from_db()
    document.file.save("draft.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    SowDocument.objects.filter(pk=document.pk).update(status="ready", file=document.file.name)
    expect(panel.get_by_test_id("job-state")).to_have_text("Done", timeout=10_000)
    expect(panel.get_by_test_id("download-draft")).to_be_visible()
    # Final: the panel stops asking.
    assert page.get_by_test_id("pdf-panel").get_attribute("hx-get") is None
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["desktop", "phone"])
def test_the_snapshots_page_follows_a_snapshot(page, live_server, log_in, admin_person, width, height):
    job = job_queue(
        actor=admin_person.user,
        kind="forecast_snapshot",
        label="Snapshot of the week of 30 Nov 2026",
        permission="forecasting.add_forecastsnapshot",
    )
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, "admin")
    page.goto(f"{live_server.url}/admin/forecasting/forecastsnapshot/")
    status = page.get_by_test_id("snapshot-jobs").get_by_test_id("job-status")
    expect(status).to_have_attribute("data-state", "queued")
    job_start(job.pk)
    job_progress(job.pk, done=40, total=120)
    expect(status).to_have_attribute("data-state", "running", timeout=10_000)
    expect(status).to_contain_text("40 of 120")
    _shot(page, "snapshot-running", width)
    job_finish(job.pk, ok=True, message="Snapshot of week 2026-11-30: 120 opportunities stored.")
    expect(status).to_have_attribute("data-state", "done", timeout=10_000)
    expect(status).to_contain_text("120 opportunities stored.")
    _shot(page, "snapshot-done", width)
