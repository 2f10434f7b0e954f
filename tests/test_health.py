"""The health endpoint (/health/) and the admin's System status page."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.files.storage import FileSystemStorage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.health import recent_report
from core.roles import Role
from forecasting.models import ForecastSnapshot
from forecasting.services import week_of
from salesforce.models import SyncRun

ROOT = Path(__file__).resolve().parent.parent
REDIS_BROKER = os.environ.get("CELERY_BROKER_URL", "")

TOKEN = "health-token-for-tests-0123456789"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def health_token(settings):
    """Each test starts without a report from an earlier one, with a token configured."""
    settings.HEALTH_TOKEN = TOKEN
    recent_report.clear()
    yield
    recent_report.clear()


def closed_port() -> int:
    """A local port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def fresh_snapshot():
    return ForecastSnapshot.objects.create(week=week_of(), taken_at=timezone.now())


def get_health(client: Client | None = None, *, token: str | None = TOKEN, **extra):
    """GET /health/, with the token (so the body has each check) unless ``token`` is None."""
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    response = (client or Client()).get("/health/", **headers, **extra)
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def test_health_is_ok_when_every_part_is_up(fresh_snapshot):
    response, body = get_health()
    assert response.status_code == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    for name in ("database", "cache", "storage", "forecast_snapshot", "salesforce_pushes", "pdf_renders"):
        assert checks[name]["status"] == "ok", (name, checks[name])
    assert checks["broker"]["status"] == "not applicable"  # tests queue tasks eagerly
    assert checks["salesforce_sync"]["status"] == "not applicable"  # no credentials set
    assert "no-cache" in response["Cache-Control"]


def test_health_refuses_writes():
    assert Client().post("/health/").status_code == 405


# --------------------------------------------------------------------------- who sees what


def test_anonymous_callers_get_only_the_overall_status(fresh_snapshot):
    response, body = get_health(token=None)
    assert response.status_code == 200
    assert body == {"status": "ok"}


def test_anonymous_callers_get_only_down_and_503_when_a_required_part_is_down(settings, fresh_snapshot):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://:hunter2-secret@127.0.0.1:{closed_port()}/0"
    response, body = get_health(token=None)
    assert response.status_code == 503
    assert body == {"status": "down"}


def test_staff_users_get_each_check(make_person, login, fresh_snapshot):
    staff = login(make_person(Role.PS_OPERATIONS, username="ops.admin", superuser=True))
    response, body = get_health(staff, token=None)
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok" and "checked_at" in body


def test_users_who_are_not_staff_get_only_the_status(em, login, fresh_snapshot):
    _, body = get_health(login(em), token=None)
    assert body == {"status": "ok"}


def test_the_token_shows_each_check_in_the_header_or_the_query(fresh_snapshot):
    _, from_header = get_health(token=TOKEN)
    _, from_query = get_health(token=None, data={"token": TOKEN})
    for body in (from_header, from_query):
        assert set(body["checks"]) >= {"database", "cache", "broker", "storage", "forecast_snapshot"}


@pytest.mark.parametrize("token", ["wrong", TOKEN[:-1], TOKEN + "x", "jeton-été-☃", ""])
def test_a_wrong_token_gets_only_the_status(token, fresh_snapshot):
    for response, body in (get_health(token=token), get_health(token=None, data={"token": token})):
        assert response.status_code == 200
        assert body == {"status": "ok"}


def test_without_a_configured_token_no_token_shows_the_checks(settings, fresh_snapshot):
    settings.HEALTH_TOKEN = ""
    assert get_health(token="")[1] == {"status": "ok"}
    assert get_health(token=None, data={"token": ""})[1] == {"status": "ok"}


# --------------------------------------------------------------------------- probes reuse a report


class CountingStorage(FileSystemStorage):
    """A real file system storage that counts the files it writes."""

    saved: list[str] = []

    def _save(self, name, content):
        name = super()._save(name, content)  # type: ignore[misc]  # django-stubs leave out FileSystemStorage._save
        CountingStorage.saved.append(name)
        return name


class CountingCache(LocMemCache):
    """A real local-memory cache that counts the keys written to it."""

    keys_set: list[str] = []

    def set(self, key, value, timeout=None, version=None):
        CountingCache.keys_set.append(key)
        return super().set(key, value, timeout=timeout, version=version)


@pytest.fixture
def counted(settings, tmp_path):
    """Files and cache keys written from here on, through counting storage and cache backends (ask
    for it after the fixtures that write data: every write moves the live forecast's data version,
    itself a cache key)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.CountingStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.CountingCache", "LOCATION": "health-counted"}}
    CountingStorage.saved.clear()
    CountingCache.keys_set.clear()
    return lambda: (len(CountingStorage.saved), len(CountingCache.keys_set))


def test_probes_within_the_window_run_the_checks_once(settings, fresh_snapshot, counted):
    settings.HEALTH_CACHE_SECONDS = 5
    for _ in range(3):
        response, body = get_health(token=None)
        assert response.status_code == 200 and body == {"status": "ok"}
    assert counted() == (1, 1)  # one file and one cache key for the three probes
    # A caller with the token in the same window gets the details of that same run.
    _, details = get_health()
    assert details["checks"]["storage"]["status"] == "ok"
    assert counted() == (1, 1)


def test_with_no_window_every_probe_runs_the_checks(settings, fresh_snapshot, counted):
    settings.HEALTH_CACHE_SECONDS = 0
    for _ in range(3):
        get_health(token=None)
    assert counted() == (3, 3)


def test_after_the_window_the_checks_run_again(settings, fresh_snapshot, counted):
    settings.HEALTH_CACHE_SECONDS = 0.2
    get_health(token=None)
    get_health(token=None)
    assert counted() == (1, 1)
    time.sleep(0.25)
    get_health(token=None)
    assert counted() == (2, 2)


@pytest.mark.skipif(
    not REDIS_BROKER.startswith("redis://"), reason="needs a Redis broker (CELERY_BROKER_URL)"
)
def test_health_pings_the_redis_broker(settings, fresh_snapshot):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = REDIS_BROKER
    response, body = get_health()
    assert response.status_code == 200
    assert body["checks"]["broker"] == {"status": "ok", "detail": "redis answered"}


def test_health_is_down_when_the_broker_is_unreachable_and_leaks_nothing(settings, fresh_snapshot):
    port = closed_port()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://:hunter2-secret@127.0.0.1:{port}/0"
    response, body = get_health()
    assert response.status_code == 503
    assert body["status"] == "down"
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"
    text = response.content.decode()
    assert "hunter2" not in text and str(port) not in text and "Traceback" not in text


def test_health_is_down_when_files_cannot_be_stored(settings, tmp_path, fresh_snapshot):
    not_a_directory = tmp_path / "media"
    not_a_directory.write_text("a file where the media directory should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_directory)},
        },
    }
    response, body = get_health()
    assert response.status_code == 503
    assert body["checks"]["storage"]["status"] == "down"
    assert str(tmp_path) not in response.content.decode()


def test_a_snapshot_older_than_eight_days_is_degraded_but_still_served():
    ForecastSnapshot.objects.create(
        week=week_of() - dt.timedelta(days=14), taken_at=timezone.now() - dt.timedelta(days=9)
    )
    response, body = get_health()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["forecast_snapshot"]["status"] == "degraded"


def test_no_snapshot_yet_is_degraded():
    _, body = get_health()
    assert body["checks"]["forecast_snapshot"] == {"status": "degraded", "detail": "no snapshot taken yet"}


@pytest.fixture
def salesforce_on(settings):
    settings.SALESFORCE_CONSUMER_KEY = "key"
    settings.SALESFORCE_CONSUMER_SECRET = "secret"
    settings.SALESFORCE_LOGIN_URL = "https://example.my.salesforce.com"


def _run(finished_ago: dt.timedelta, outcome=SyncRun.Outcome.SUCCESS) -> SyncRun:
    finished = timezone.now() - finished_ago
    return SyncRun.objects.create(
        started_at=finished - dt.timedelta(minutes=1), finished_at=finished, outcome=outcome
    )


def test_a_recent_successful_sync_is_ok(salesforce_on, fresh_snapshot):
    _run(dt.timedelta(minutes=10))
    _run(dt.timedelta(minutes=1), outcome=SyncRun.Outcome.FAILED)  # a later failure alone is not stale yet
    response, body = get_health()
    assert body["checks"]["salesforce_sync"]["status"] == "ok"
    assert body["status"] == "ok"


def test_a_sync_without_success_for_over_an_hour_is_degraded(salesforce_on, fresh_snapshot):
    _run(dt.timedelta(hours=2))
    _run(dt.timedelta(minutes=5), outcome=SyncRun.Outcome.FAILED)
    response, body = get_health()
    assert response.status_code == 200
    assert body["checks"]["salesforce_sync"]["status"] == "degraded"
    assert "secret" not in response.content.decode()


def test_health_reports_the_database_down_from_a_process_with_a_wrong_database_url():
    """A separate process whose DATABASE_URL points at a port nothing listens on."""
    port = closed_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"postgres://pipeline:s3cret-pw@127.0.0.1:{port}/pipeline",
        HEALTH_TOKEN="from-the-environment",
    )
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health/', HTTP_AUTHORIZATION='Bearer from-the-environment');"
        "print('HEALTH', r.status_code, r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("HEALTH "))
    _, status, payload = line.split(" ", 2)
    body = json.loads(payload)
    assert status == "503"
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "down"
    assert body["checks"]["database"]["detail"] == "unavailable (OperationalError)"
    assert body["checks"]["forecast_snapshot"]["detail"] == "not checked: the database is down"
    assert body["checks"]["cache"]["status"] == "ok" and body["checks"]["storage"]["status"] == "ok"
    assert "s3cret" not in payload and str(port) not in payload


# --------------------------------------------------------------------------- admin System status


def test_system_status_page_is_for_staff_only(make_person, login, fresh_snapshot):
    url = reverse("admin_status")
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    em = login(make_person(Role.ENGAGEMENT_MANAGER, username="em.status"))
    refused = em.get(url)
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("admin:login"))

    staff = login(make_person(Role.PS_OPERATIONS, username="ops.admin", superuser=True))
    page = staff.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Database", "Cache", "Task broker", "File storage", "Salesforce sync", "Forecast snapshot"):
        assert label in text
    assert 'data-testid="overall-status">ok<' in text
    assert reverse("admin_status") in staff.get(reverse("admin:index")).content.decode()


def test_system_status_page_shows_what_is_down(make_person, login, settings, fresh_snapshot):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    staff = login(make_person(Role.PS_OPERATIONS, username="ops.admin", superuser=True))
    page = staff.get(reverse("admin_status"))
    assert page.status_code == 200  # the page itself works; it reports the outage
    assert 'data-testid="overall-status">down<' in page.content.decode()
