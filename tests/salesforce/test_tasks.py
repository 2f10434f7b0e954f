"""The scheduled sync: the beat schedule, the Celery task, and a real worker on Redis when
CELERY_BROKER_URL points at one (eagerly otherwise)."""

import json
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery import app
from engagements.models import Opportunity
from salesforce.models import SyncRun
from salesforce.schedule import SCHEDULE_NAME, ensure_sync_schedule
from salesforce.tasks import LEGACY_SYNC_TASK, SALESFORCE_SYNC_TASK, salesforce_sync

pytestmark = pytest.mark.django_db

REDIS_BROKER = django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def test_schedule_runs_the_sync_task_every_15_minutes():
    task = PeriodicTask.objects.select_related("interval").get(name=SCHEDULE_NAME)
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (15, IntervalSchedule.MINUTES)
    assert task.task == SALESFORCE_SYNC_TASK == "salesforce.tasks.salesforce_sync"
    assert SALESFORCE_SYNC_TASK in app.tasks
    assert json.loads(task.kwargs) == {"trigger": "schedule"}


def test_an_edited_schedule_is_kept():
    task = PeriodicTask.objects.get(name=SCHEDULE_NAME)
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    task.interval = hourly
    task.save()
    assert ensure_sync_schedule() is False
    assert PeriodicTask.objects.get(name=SCHEDULE_NAME).interval == hourly


def test_task_runs_one_sync(fake_sf):
    fake_sf.load_generated(2)
    assert salesforce_sync.delay().get() == "success"
    run = SyncRun.objects.get()
    assert (run.trigger, run.created) == ("schedule", 2)


def test_task_does_nothing_while_the_sync_is_off(settings):
    settings.SALESFORCE_CONSUMER_KEY = ""
    settings.SALESFORCE_AUTH_FLOW = ""
    assert salesforce_sync.delay().get() == "off"
    assert not SyncRun.objects.exists()


@pytest.fixture
def celery_worker_queue():
    """A real worker thread on its own queue when the broker is Redis (the test sends there, so
    nothing else on the broker is disturbed); None when tasks run eagerly."""
    if not REDIS_BROKER:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    queue = f"test-salesforce-{uuid.uuid4().hex[:8]}"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with start_worker(
            app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=10
        ):
            yield queue
    finally:
        app.conf.task_always_eager = eager


def _wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_task_runs_on_a_real_worker(fake_sf, celery_worker_queue):
    fake_sf.load_generated(4)
    scheduled = PeriodicTask.objects.get(name=SCHEDULE_NAME)
    if celery_worker_queue is None:
        app.tasks[scheduled.task].apply(kwargs=json.loads(scheduled.kwargs))
    else:
        # What beat does at each tick: send the task by the name stored in the schedule.
        app.send_task(scheduled.task, kwargs=json.loads(scheduled.kwargs), queue=celery_worker_queue)
        assert _wait_for(lambda: SyncRun.objects.exclude(outcome="running").exists())
    run = SyncRun.objects.get()
    assert (run.outcome, run.trigger, run.created) == ("success", "schedule", 4)
    assert Opportunity.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_message_queued_under_the_earlier_task_name_still_runs_the_sync(
    fake_sf, admin_person, celery_worker_queue
):
    fake_sf.load_generated(3)
    kwargs = {"trigger": "manual", "actor_id": admin_person.user.pk}
    if celery_worker_queue is None:
        app.tasks[LEGACY_SYNC_TASK].apply(kwargs=kwargs)
    else:
        app.send_task(LEGACY_SYNC_TASK, kwargs=kwargs, queue=celery_worker_queue)
        assert _wait_for(lambda: SyncRun.objects.exclude(outcome="running").exists())
    run = SyncRun.objects.get()
    assert (run.outcome, run.trigger, run.started_by, run.created) == (
        "success",
        "manual",
        admin_person.user,
        3,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not REDIS_BROKER, reason="task retries need a real worker (CELERY_BROKER_URL=redis://…)")
def test_the_worker_retries_a_run_when_salesforce_is_down(fake_sf, celery_worker_queue):
    fake_sf.load_generated(2)
    fake_sf.fail_next(4, status=503, kinds={"query"})  # the first run's try and its three retries
    app.send_task(SALESFORCE_SYNC_TASK, kwargs={"trigger": "schedule"}, queue=celery_worker_queue)
    assert _wait_for(lambda: SyncRun.objects.filter(outcome="success").exists())
    outcomes = list(SyncRun.objects.order_by("started_at").values_list("outcome", flat=True))
    assert outcomes == ["failed", "success"]
    assert Opportunity.objects.count() == 2
