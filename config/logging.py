"""Structured logging: structlog on top of the standard library.

Every line — the project's own loggers, Django's, Celery's, django-structlog's request and task
events — goes to stdout through one handler, as a JSON object in production (one per line, for the
log collector) or a readable line in local development. The request id, user id and task id that
django-structlog binds (contextvars) are added to every line written while they are bound, including
lines from plain ``logging.getLogger(__name__)`` loggers; their ``extra=`` fields are kept too.
"""

from __future__ import annotations

import sys
from typing import Any

import structlog

# Applied to records from plain stdlib loggers before the renderer (structlog's own events already
# went through the processors given to structlog.configure).
_FOREIGN_PRE_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    """structlog hands its events to the stdlib logging tree (so LOGGING decides where they go)."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(*, fmt: str = "json", level: str = "INFO") -> dict[str, Any]:
    """The LOGGING dict: ``fmt`` is "json" (production) or "console" (a person reads it)."""
    if fmt == "json":
        processors: list[Any] = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # the traceback as one string field
            structlog.processors.JSONRenderer(default=str),
        ]
    else:
        processors = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty()),
        ]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": processors,
                "foreign_pre_chain": _FOREIGN_PRE_CHAIN,
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "structured",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }
