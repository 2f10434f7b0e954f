"""Structured logs: JSON lines carrying the request id and user id (django-structlog), with the
project's plain stdlib loggers formatted the same way."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from config.logging import logging_config


@pytest.fixture
def json_lines():
    """Everything logged during the test, as the production formatter writes it (one JSON per line)."""
    options = logging_config(fmt="json")["formatters"]["structured"]
    handler = logging.StreamHandler(stream := io.StringIO())
    handler.setFormatter(
        options["()"](processors=options["processors"], foreign_pre_chain=options["foreign_pre_chain"])
    )
    root, quiet = logging.getLogger(), logging.getLogger("django_structlog")
    previous = quiet.level
    quiet.setLevel(logging.INFO)  # test settings keep request lines out of failure reports
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        quiet.setLevel(previous)


@pytest.mark.django_db
def test_each_request_is_logged_as_json_with_its_request_id_and_user_id(em, login, json_lines):
    login(em).get("/health/")
    finished = [line for line in json_lines() if line["event"] == "request_finished"]
    assert len(finished) == 1
    line = finished[0]
    assert line["request"] == "GET /health/" and line["code"] == 200
    assert line["user_id"] == em.user.pk
    assert len(line["request_id"]) == 36 and line["level"] == "info" and line["timestamp"]


def test_plain_loggers_write_json_with_bound_context_extra_fields_and_tracebacks(json_lines):
    structlog.contextvars.bind_contextvars(task_id="abc-123")
    try:
        try:
            raise ValueError("engine broke")
        except ValueError:
            logging.getLogger("sow.tasks").exception("SOW PDF render failed", extra={"document_id": 7})
    finally:
        structlog.contextvars.clear_contextvars()
    (line,) = json_lines()
    assert line["event"] == "SOW PDF render failed" and line["level"] == "error"
    assert line["logger"] == "sow.tasks" and line["task_id"] == "abc-123" and line["document_id"] == 7
    assert "ValueError: engine broke" in line["exception"]


def test_a_tasks_lines_carry_its_name_and_arguments():
    from types import SimpleNamespace

    from django_structlog.celery import signals

    import config.celery  # noqa: F401  (connects the receiver)

    task = SimpleNamespace(name="sow.tasks.render_sow_pdf", request=SimpleNamespace(args=[42], kwargs={}))
    structlog.contextvars.clear_contextvars()  # an earlier test in this process may have bound a task id
    try:
        signals.bind_extra_task_metadata.send(sender=None, task=task, logger=None)
        context = structlog.contextvars.get_contextvars()
    finally:
        structlog.contextvars.clear_contextvars()
    assert context == {"task": "sow.tasks.render_sow_pdf", "task_args": [42], "task_kwargs": {}}
