"""Background jobs people watch (core/jobs.py): the one status rule, the polling endpoint and who
may open it, and the pages that start a job (Sync now, a snapshot, a SOW's PDF)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.jobs import job_finish, job_progress, job_queue, job_start, status_of
from core.models import BackgroundJob
from core.roles import Role

pytestmark = pytest.mark.django_db


def _job(actor=None, **kwargs) -> BackgroundJob:
    return job_queue(
        actor=actor,
        kind=kwargs.pop("kind", "forecast_snapshot"),
        label="Snapshot of the week",
        permission=kwargs.pop("permission", "forecasting.add_forecastsnapshot"),
    )


def _state(job: BackgroundJob) -> str:
    job.refresh_from_db()
    return job.state


def test_a_job_moves_queued_running_done():
    job = _job()
    assert job.state == "queued" and job.queued_at is not None
    assert job_start(job.pk) is True
    assert _state(job) == "running" and job.started_at is not None
    job_progress(job.pk, done=3, total=10)
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (3, 10)
    assert job_finish(job.pk, ok=True, message="12 opportunities stored.") is True
    job.refresh_from_db()
    assert (job.state, job.message) == ("done", "12 opportunities stored.")
    assert job.finished_at is not None


def test_a_finished_job_is_final():
    job = _job()
    job_start(job.pk)
    job_finish(job.pk, ok=True)
    # A redelivered message neither starts it again nor turns it into a failure.
    assert job_start(job.pk) is False
    assert job_finish(job.pk, ok=False, message="late") is False
    assert _state(job) == "done"


def test_a_failed_job_is_final_too():
    job = _job()
    job_start(job.pk)
    job_finish(job.pk, ok=False, message="boom")
    assert job_start(job.pk) is False
    assert job_finish(job.pk, ok=True) is False
    assert _state(job) == "failed"


def test_a_job_that_never_started_can_fail_but_not_be_done():
    queued = _job()
    assert job_finish(queued.pk, ok=True) is False  # done needs running first
    assert _state(queued) == "queued"
    assert job_finish(queued.pk, ok=False, message="no worker") is True
    assert _state(queued) == "failed"


def test_a_running_job_may_be_started_again_by_a_redelivered_message():
    job = _job()
    assert job_start(job.pk) and job_start(job.pk)
    assert _state(job) == "running"


def test_progress_is_only_recorded_while_running():
    job = _job()
    job_progress(job.pk, done=5, total=10)
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (0, None)


def test_status_polls_until_final():
    job = _job()
    assert status_of(job, poll_url="/jobs/1/").polling
    job_start(job.pk)
    job_finish(job.pk, ok=True)
    job.refresh_from_db()
    assert not status_of(job, poll_url="/jobs/1/").polling


# The polling endpoint: the person who started the job, holders of its permission, administrators.


def test_the_requester_polls_their_job(login, ps_director):
    job = _job(ps_director.user, permission="")
    response = login(ps_director).get(reverse("job_status", args=[job.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="queued"' in html and 'hx-trigger="every 2s"' in html
    assert "Snapshot of the week" in html


def test_a_finished_job_stops_polling(login, ps_director):
    job = _job(ps_director.user)
    job_start(job.pk)
    job_finish(job.pk, ok=False, message="The week is in the future.")
    html = login(ps_director).get(reverse("job_status", args=[job.pk])).content.decode()
    assert 'data-state="failed"' in html and "hx-get" not in html
    assert "The week is in the future." in html


def test_a_running_job_shows_its_progress(login, admin_person):
    job = _job(admin_person.user)
    job_start(job.pk)
    job_progress(job.pk, done=2, total=8)
    html = login(admin_person).get(reverse("job_status", args=[job.pk])).content.decode()
    assert 'data-state="running"' in html and '<progress class="job-progress" max="8" value="2"' in html
    assert "2 of 8" in html


def test_holders_of_the_jobs_permission_may_watch_it(login, make_person, admin_person):
    job = _job(admin_person.user, permission="salesforce.run_salesforce_sync")
    other_admin = make_person(Role.PS_OPERATIONS, username="second.admin", superuser=True)
    assert login(other_admin).get(reverse("job_status", args=[job.pk])).status_code == 200


def test_others_may_not_watch_a_job(login, em, ps_director, admin_person):
    job = _job(admin_person.user, permission="salesforce.run_salesforce_sync")
    assert login(em).get(reverse("job_status", args=[job.pk])).status_code == 403
    assert login(ps_director).get(reverse("job_status", args=[job.pk])).status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    job = _job()
    response = client.get(reverse("job_status", args=[job.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_polling_is_get_only(login, admin_person):
    job = _job(admin_person.user)
    assert login(admin_person).post(reverse("job_status", args=[job.pk])).status_code == 405


def test_an_unknown_job_is_not_found(login, admin_person):
    assert login(admin_person).get(reverse("job_status", args=[999999])).status_code == 404


def test_polling_reads_in_constant_queries(login, admin_person, django_assert_max_num_queries):
    job = _job(admin_person.user)
    client = login(admin_person)
    with django_assert_max_num_queries(6):
        client.get(reverse("job_status", args=[job.pk]))
