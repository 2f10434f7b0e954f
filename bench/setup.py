"""Bench harness: a throwaway database (SQLite file, or DATABASE_URL's server) with migrations run."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.gettempdir()) / "ps-pipeline-bench.sqlite3"
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    from django.db import connection

    if connection.vendor == "postgresql":
        # Bench on its own database so a developer's data is never touched.

        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def measure(fn: Callable[[], int], *, runs: int = 15) -> tuple[float, int]:
    """Median milliseconds over `runs` calls and the query count fn reports (it returns it)."""
    fn()  # warm up
    times = []
    queries = 0
    for _ in range(runs):
        start = time.perf_counter()
        queries = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), queries
