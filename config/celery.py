"""Celery application: configuration comes from Django settings (CELERY_ namespace).

Logging in the worker is Django's LOGGING (structured, config/logging.py), not Celery's own; every
line a task writes carries its task id, name and arguments (ids), and the request id and user id of
the web request that queued it (django-structlog).
"""

from __future__ import annotations

import logging.config
import os
from typing import Any

import structlog
from celery import Celery, signals
from django.dispatch import receiver
from django_structlog.celery import signals as structlog_signals
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("ps_pipeline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(DjangoStructLogInitStep)


@signals.setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    """A receiver here stops Celery from installing its own handlers: the worker logs like the web."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@receiver(structlog_signals.bind_extra_task_metadata)
def _bind_task_metadata(sender: Any, task: Any = None, **kwargs: Any) -> None:
    """Task name and arguments on every line of the task, its failure included (tasks take ids)."""
    if task is None:
        return
    structlog.contextvars.bind_contextvars(
        task=task.name, task_args=list(task.request.args or ()), task_kwargs=dict(task.request.kwargs or {})
    )
