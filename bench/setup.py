"""Bench harness: a throwaway database per part (SQLite file, or DATABASE_URL's server) with
migrations run, and the helpers that print a figure against its floor."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def django_setup(part: str = "bench") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.gettempdir()) / f"ps-pipeline-bench-{part}.sqlite3"
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.conf import settings

    # No setup_test_environment(): its instrumented template rendering is not what a server pays.
    settings.ALLOWED_HOSTS = ["*"]
    from django.db import connection

    if connection.vendor == "postgresql":
        # Each part on its own freshly created database named after DATABASE_URL's (h4 -> h4_bench_forecast),
        # so a developer's data is never touched, no part sees another's rows and two people benching
        # on one server never share a database.
        connection.settings_dict["TEST"]["NAME"] = f"{connection.settings_dict['NAME']}_bench_{part}"
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def analyze() -> None:
    """Planner statistics after loading data (PostgreSQL), as a database in use would have."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


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


def median_ms(fn: Callable[[], object], *, runs: int = 9) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def report(
    figure: str, value: float, floor: float, goal: float | None, *, unit: str = "ms", higher: bool = False
) -> None:
    """One line: the figure, its floor, the ratio and whether the goal holds. `higher`: a share that
    should be at least `goal` (value / floor), else a ratio that should be at most `goal`."""
    ratio = value / floor if floor else float("inf")
    verdict = ""
    if goal is not None:
        met = ratio >= goal if higher else ratio <= goal
        verdict = f" (goal {'>=' if higher else '<='} {goal}) {'met' if met else 'NOT met'}"
    print(
        f"  {figure}: {value:,.1f} {unit}; floor {floor:,.1f} {unit}; ratio {ratio:.2f}{verdict}", flush=True
    )
