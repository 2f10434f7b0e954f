"""HTTP load: gunicorn with 2 workers on 127.0.0.1, 8 concurrent users for a bounded time per page
(BENCH_LOAD_SECONDS, default 10; at most BENCH_LOAD_MAX_REQUESTS requests, default 5,000), against
the dashboard, My pipeline (50 rows), an opportunity page and a trivial view (the login page),
on a data set of BENCH_LOAD_OPPORTUNITIES (default 20,000) with 26 weekly snapshots. Throughput is
printed as a share of the trivial view's, measured in the same run."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

USERS = 8
WORKERS = 2
GOALS = {"dashboard": 0.15, "my pipeline": 0.30}
TIMEOUT_SECONDS = 600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hammer(
    port: int, path: str, cookie: str, seconds: float, max_requests: int
) -> tuple[float, list[float], int]:
    """USERS threads GET `path` until the time or the request budget runs out: requests per second,
    latencies (ms) and errors."""
    latencies: list[float] = []
    errors = 0
    budget = [max_requests]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def user() -> None:
        nonlocal errors
        # A generous timeout: each user waits for its last answer, so no request is still being
        # served when the next page's measurement starts.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            started = time.perf_counter()
            try:
                conn.request(
                    "GET",
                    path,
                    headers={"Cookie": cookie, "Host": "127.0.0.1"} if cookie else {"Host": "127.0.0.1"},
                )
                response = conn.getresponse()
                response.read()
                ok = response.status < 500 and response.status != 302
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
            with lock:
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=user) for _ in range(USERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped before it served")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def run() -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from bench import forecast, pipeline
    from engagements.models import Opportunity

    n = int(os.environ.get("BENCH_LOAD_OPPORTUNITIES", "20000"))
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", "10"))
    max_requests = int(os.environ.get("BENCH_LOAD_MAX_REQUESTS", "5000"))
    lead, _ = forecast._build(n, "l")
    em = pipeline.generate(500)  # My pipeline shows the first pipeline.ROWS (50) of the EM's 500
    opportunity = Opportunity.objects.filter(engagement_manager__user=em).order_by("pk").first()
    assert opportunity is not None
    from bench.setup import analyze

    analyze()
    cookies = {}
    for name, user in (("lead", lead), ("em", em)):
        client = Client()
        client.force_login(user)
        cookies[name] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    database = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
        )
        if database.get("PASSWORD"):
            url = url.replace("@", f":{database['PASSWORD']}@", 1)
    else:
        url = f"sqlite:///{database['NAME']}"
    connection.close()
    port = _free_port()
    # CACHE_URL (Redis) makes the workers share one cache, as in production: the live dashboard is
    # then computed once per data version for all of them.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PIPELINE_PAGE_SIZE": str(pipeline.ROWS),
    }
    print(f"  cache: {os.environ.get('CACHE_URL') or 'local memory per worker (set CACHE_URL to share one)'}")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(os.devnull, "wb")  # noqa: SIM115 (kept open for the server's lifetime)
    process = subprocess.Popen(
        [
            str(gunicorn),
            "config.wsgi",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        _wait_ready(port, process)
        pages = [
            ("trivial view", "/accounts/login/", ""),
            ("my pipeline", "/pipeline/?scope=mine", cookies["em"]),
            ("opportunity page", f"/opportunities/{opportunity.pk}/", cookies["em"]),
            ("dashboard", "/forecast/", cookies["lead"]),
        ]
        for _, path, cookie in pages:  # warm every worker's caches and imports
            _hammer(port, path, cookie, 2, 2 * WORKERS * USERS)
        results = {}
        for name, path, cookie in pages:
            rate, latencies, errors = _hammer(port, path, cookie, seconds, max_requests)
            results[name] = rate
            p50 = statistics.median(latencies) if latencies else float("nan")
            p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else float("nan")
            share = rate / results["trivial view"]
            goal = GOALS.get(name)
            verdict = "" if goal is None else f" (goal >= {goal:.0%}) {'met' if share >= goal else 'NOT met'}"
            print(
                f"  {name} {path} under {USERS} users, gunicorn {WORKERS} workers ({connection.vendor}, "
                f"{n:,} opportunities): {rate:.1f} req/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
                f"{errors} errors; "
                f"{share:.1%} of the trivial view's throughput{verdict}",
                flush=True,
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
