"""Sync now returns at once with a job the sync health page shows until the worker's run ends."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.jobs import job_queue
from core.models import BackgroundJob
from salesforce.models import SyncRun
from salesforce.tasks import salesforce_sync
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_sync_now_queues_a_job_the_health_page_polls(
    fake_sf, admin_person, django_capture_on_commit_callbacks
):
    client = client_for(admin_person)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("salesforce:sync_now"))
    assert len(callbacks) == 1 and not SyncRun.objects.exists()  # nothing ran inside the request
    job = BackgroundJob.objects.get()
    assert (job.kind, job.state, job.requested_by) == ("salesforce_sync", "queued", admin_person.user)
    html = client.get(reverse("admin:salesforce_syncrun_health")).content.decode()
    assert 'data-testid="sync-jobs"' in html and 'data-state="queued"' in html
    assert f'hx-get="{reverse("job_status", args=[job.pk])}"' in html


def test_the_job_ends_done_with_what_the_run_did(fake_sf, admin_person, django_capture_on_commit_callbacks):
    fake_sf.load_generated(3)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_person).post(reverse("salesforce:sync_now"))
    job, run = BackgroundJob.objects.get(), SyncRun.objects.get()
    assert job.state == "done" and job.started_at and job.finished_at
    assert run.created == 3
    assert job.message.startswith(f"{run.get_outcome_display()}: 3 read (3 new, 0 updated)")


def test_a_run_that_finds_the_sync_off_fails_its_job(settings, admin_person):
    settings.SALESFORCE_CONSUMER_KEY = ""
    settings.SALESFORCE_AUTH_FLOW = ""
    job = job_queue(actor=admin_person.user, kind="salesforce_sync", label="Salesforce sync")
    salesforce_sync.apply(kwargs={"trigger": "manual", "actor_id": admin_person.user.pk, "job_id": job.pk})
    job.refresh_from_db()
    assert job.state == "failed" and job.message.startswith("The Salesforce sync is off")


def test_a_redelivered_sync_now_does_not_run_again(fake_sf, admin_person):
    job = job_queue(actor=admin_person.user, kind="salesforce_sync", label="Salesforce sync")
    BackgroundJob.objects.filter(pk=job.pk).update(state="done")
    result = salesforce_sync.apply(kwargs={"trigger": "manual", "job_id": job.pk}).get()
    assert result == "already finished" and not SyncRun.objects.exists()
