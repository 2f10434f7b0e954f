"""Celery settings that let jobs survive faults: late acknowledgement for the idempotent tasks, time
limits everywhere, and a Redis visibility timeout longer than any message may wait unacknowledged."""

from __future__ import annotations

import pytest
from django.conf import settings

from config.celery import app

IDEMPOTENT_TASKS = [
    "sow.tasks.render_sow_pdf",
    "forecasting.tasks.take_weekly_snapshot",
    "salesforce.tasks.salesforce_sync",
    "engagements.tasks.salesforce_sync",  # the sync's earlier name, kept for messages queued under it
]


@pytest.fixture(scope="module")
def tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def longest_countdown(task) -> float:
    """The longest delay before a retry of this task runs (its message waits that long unacked)."""
    if task.name == "salesforce.tasks.salesforce_sync":
        return float(
            settings.SALESFORCE_RETRY_MAX_SECONDS
        )  # the task's own back-off (errors.backoff_seconds)
    if getattr(task, "autoretry_for", ()):
        return float(task.retry_backoff_max)
    return 0


@pytest.mark.parametrize("name", IDEMPOTENT_TASKS)
def test_idempotent_tasks_acknowledge_late_and_are_handed_back_when_their_worker_dies(tasks, name):
    task = tasks[name]
    assert task.acks_late and task.reject_on_worker_lost


def test_every_project_task_has_time_limits(tasks):
    assert set(IDEMPOTENT_TASKS) <= set(tasks)
    for task in tasks.values():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, task.name


def test_the_sync_stops_before_its_lock_lapses(tasks):
    for name in ("salesforce.tasks.salesforce_sync", "engagements.tasks.salesforce_sync"):
        assert tasks[name].time_limit < settings.SALESFORCE_LOCK_TTL_SECONDS


def test_visibility_timeout_outlasts_any_late_acknowledged_message(tasks):
    """Redis gives an unacknowledged message to another worker after the visibility timeout: it must
    be longer than the longest retry countdown plus the longest run of any acks_late task."""
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    waits = {
        task.name: longest_countdown(task) + (task.time_limit or app.conf.task_time_limit)
        for task in tasks.values()
        if task.acks_late
    }
    assert waits and timeout > max(waits.values()), waits


def test_workers_take_one_message_at_a_time_and_shut_down_softly():
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.worker_soft_shutdown_timeout > 0
    assert app.conf.worker_enable_soft_shutdown_on_idle
    assert app.conf.worker_cancel_long_running_tasks_on_connection_loss
