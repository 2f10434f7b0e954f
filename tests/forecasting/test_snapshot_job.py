"""Taking this week's snapshot by hand is queued for the worker; the snapshots page shows its job."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import BackgroundJob
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow
from forecasting.services import snapshot_take_request
from tests.conftest import client_for, wait_for
from tests.engagements.factories import OpportunityFactory

TAKE = "admin:forecasting_forecastsnapshot_take"
LIST = "admin:forecasting_forecastsnapshot_changelist"


@pytest.mark.django_db
def test_the_button_returns_before_the_snapshot_is_taken(admin_person, django_capture_on_commit_callbacks):
    OpportunityFactory()
    client = client_for(admin_person)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse(TAKE))
    assert response.status_code == 302 and len(callbacks) == 1
    assert not ForecastSnapshot.objects.exists()
    job = BackgroundJob.objects.get()
    assert (job.kind, job.state) == ("forecast_snapshot", "queued")
    html = client.get(reverse(LIST)).content.decode()
    assert 'data-testid="snapshot-jobs"' in html and 'data-state="queued"' in html


@pytest.mark.django_db
def test_the_job_says_how_many_opportunities_were_stored(admin_person, django_capture_on_commit_callbacks):
    OpportunityFactory.create_batch(3)
    client = client_for(admin_person)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(TAKE))
    job, snapshot = BackgroundJob.objects.get(), ForecastSnapshot.objects.get()
    rows = ForecastSnapshotRow.objects.filter(snapshot=snapshot).count()
    assert rows == 3
    assert (job.state, job.message) == ("done", f"{snapshot}: 3 opportunities stored.")
    html = client.get(reverse(LIST)).content.decode()
    assert 'data-state="done"' in html and "3 opportunities stored." in html


@pytest.mark.django_db
def test_one_opportunity_is_said_in_the_singular(admin_person, django_capture_on_commit_callbacks):
    OpportunityFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_person).post(reverse(TAKE))
    assert BackgroundJob.objects.get().message.endswith(": 1 opportunity stored.")


def test_a_real_worker_moves_the_job_to_done(celery_on_broker, admin_person):
    """On the Redis broker a Celery worker takes the job: queued → running → done."""
    if celery_on_broker is None:
        pytest.skip("needs a Redis broker (CELERY_BROKER_URL=redis://…)")
    OpportunityFactory.create_batch(2)
    job = snapshot_take_request(actor=admin_person.user)
    done = wait_for(lambda: BackgroundJob.objects.filter(pk=job.pk, state="done").first(), timeout=60)
    assert done.started_at is not None and done.finished_at is not None
    assert done.started_at <= done.finished_at
    assert done.message.endswith(": 2 opportunities stored.")
    assert ForecastSnapshot.objects.get().rows_count == 2
