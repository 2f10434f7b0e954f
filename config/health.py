"""Health checks: is every part the app needs reachable, and are the scheduled jobs keeping up?

Read by the public health endpoint (/health/, for load balancers and the compose health checks) and
by the admin's System status page. A *required* part that is down (database, cache, broker, storage)
makes the whole service down (HTTP 503); a stale Salesforce sync or forecast snapshot, or failures
waiting for a person, make it *degraded* (still 200). Results name what failed and the exception's
class only: never a URL, a host, a credential or a traceback (those go to the log).

The endpoint tells anyone only the overall status and shows each check to staff users and callers
with the HEALTH_TOKEN. Its probes reuse one report for HEALTH_CACHE_SECONDS, so callers polling it
do not make the storage and cache checks write a file and a key every time.

This module reads every app, so it lives in ``config`` (the top), not in ``core``.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django.utils.timesince import timesince
from kombu import Connection

from engagements.models import PendingPush
from forecasting.models import ForecastSnapshot
from notifications.models import EmailDelivery
from salesforce.config import load_config
from salesforce.describe import current_problems
from salesforce.models import OrgCheck
from salesforce.selectors import last_successful_run
from sow.models import SowDocument

logger = logging.getLogger(__name__)

OK = "ok"
DEGRADED = "degraded"
DOWN = "down"
NOT_APPLICABLE = "not applicable"

_SEVERITY = {NOT_APPLICABLE: 0, OK: 0, DEGRADED: 1, DOWN: 2}


@dataclass(frozen=True)
class Result:
    """What one check found."""

    status: str
    detail: str
    at: dt.datetime | None = None  # when the thing checked last happened (sync, snapshot)


@dataclass(frozen=True)
class Check:
    """One line of the report: a check's result with its name, label and whether it is required."""

    name: str
    label: str
    status: str
    detail: str
    required: bool = False
    at: dt.datetime | None = None  # when the thing checked last happened (sync, snapshot)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "detail": self.detail}
        if self.at is not None:
            data["at"] = self.at.isoformat()
        return data


@dataclass(frozen=True)
class HealthReport:
    checks: list[Check]
    checked_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def status(self) -> str:
        """down when a required part is down; degraded when anything else needs attention."""
        if any(check.required and check.status == DOWN for check in self.checks):
            return DOWN
        if any(_SEVERITY[check.status] > 0 for check in self.checks):
            return DEGRADED
        return OK

    @property
    def http_status(self) -> int:
        return 503 if self.status == DOWN else 200

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checked_at": self.checked_at.isoformat(),
            "checks": {check.name: check.as_dict() for check in self.checks},
        }


def _age(moment: dt.datetime) -> str:
    return f"{timesince(moment)} ago"


def check_database() -> Result:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Result(OK, f"{connection.vendor} answered a query")


def check_cache() -> Result:
    key = f"health-check:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        return Result(DOWN, "a value written was not read back")
    return Result(OK, "a value was written and read back")


def check_broker() -> Result:
    """Redis is pinged; with no broker (eager mode) tasks run in the web process and this is moot."""
    url: str = settings.CELERY_BROKER_URL or ""
    if settings.CELERY_TASK_ALWAYS_EAGER or not url or url.startswith("memory://"):
        return Result(NOT_APPLICABLE, "tasks run in the calling process (no broker)")
    scheme = url.split("://", 1)[0]
    if scheme in ("redis", "rediss"):
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    else:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    return Result(OK, f"{scheme} answered")


def check_storage() -> Result:
    name = default_storage.save(f"health-check/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return Result(OK, "a file was written and deleted")


def check_salesforce_sync() -> Result:
    """The last successful sync run, when the sync is on; older than HEALTH_SYNC_MAX_AGE_MINUTES
    (or none yet) is degraded."""

    config = load_config()
    if not config.enabled:
        if settings.SALESFORCE_CONSUMER_KEY:
            return Result(DEGRADED, "credentials are set but incomplete or invalid")
        return Result(NOT_APPLICABLE, "off until credentials are set")
    run = last_successful_run()
    if run is None:
        return Result(DEGRADED, "no successful run yet")
    at = run.finished_at or run.started_at
    max_age = dt.timedelta(minutes=settings.HEALTH_SYNC_MAX_AGE_MINUTES)
    if timezone.now() - at > max_age:
        return Result(DEGRADED, f"last successful run {_age(at)}", at=at)
    return Result(OK, f"last successful run {_age(at)}", at=at)


def check_salesforce_org() -> Result:
    """What the sync found out about the org: field map problems from the describe, and a full
    pull or reconciliation that found far fewer opportunities than the app holds open."""
    config = load_config()
    if not config.enabled:
        return Result(NOT_APPLICABLE, "off until credentials are set")
    checks = {check.kind: check for check in OrgCheck.objects.all()}
    describe = checks.get(OrgCheck.Kind.DESCRIBE)
    scope = checks.get(OrgCheck.Kind.SCOPE)
    found: list[str] = []
    map_problems = current_problems(describe, config)
    if map_problems:
        found.append(f"{len(map_problems)} field map problem(s): the push is stopped")
    if scope is not None and scope.problems:
        held = scope.details.get("held_open")
        seen = scope.details.get("in_scope", scope.details.get("pulled"))
        found.append(f"the last {scope.details.get('by', 'check')} found {seen} of {held} open opportunities")
    if found:
        latest = describe or scope
        return Result(DEGRADED, "; ".join(found), at=latest.checked_at if latest else None)
    if describe is None:
        return Result(OK, "field map not checked yet")
    return Result(OK, "field map fits the org", at=describe.checked_at)


def check_forecast_snapshot() -> Result:
    """The newest weekly snapshot; older than HEALTH_SNAPSHOT_MAX_AGE_DAYS (or none) is degraded."""

    latest = ForecastSnapshot.objects.order_by("-week").first()
    if latest is None:
        return Result(DEGRADED, "no snapshot taken yet")
    at = latest.taken_at
    detail = f"week of {latest.week:%Y-%m-%d}, taken {_age(at)}"
    if timezone.now() - at > dt.timedelta(days=settings.HEALTH_SNAPSHOT_MAX_AGE_DAYS):
        return Result(DEGRADED, detail, at=at)
    return Result(OK, detail, at=at)


def check_failed_pushes() -> Result:

    failed = PendingPush.objects.filter(status=PendingPush.Status.FAILED).count()
    status = DEGRADED if failed else OK
    return Result(status, f"{failed} failed")


def check_failed_renders() -> Result:

    failed = SowDocument.objects.filter(status=SowDocument.Status.FAILED).count()
    status = DEGRADED if failed else OK
    return Result(status, f"{failed} failed")


def check_failed_emails() -> Result:
    """Notification emails that failed (each kept with its error; sent again from the admin)."""
    failed = EmailDelivery.objects.filter(status=EmailDelivery.Status.FAILED).count()
    return Result(DEGRADED if failed else OK, f"{failed} failed")


# name, label, required, check — in the order they are shown.
CHECKS: list[tuple[str, str, bool, Callable[[], Result]]] = [
    ("database", "Database", True, check_database),
    ("cache", "Cache", True, check_cache),
    ("broker", "Task broker", True, check_broker),
    ("storage", "File storage", True, check_storage),
    ("salesforce_sync", "Salesforce sync", False, check_salesforce_sync),
    ("salesforce_org", "Salesforce org checks", False, check_salesforce_org),
    ("forecast_snapshot", "Forecast snapshot", False, check_forecast_snapshot),
    ("salesforce_pushes", "Failed Salesforce pushes", False, check_failed_pushes),
    ("pdf_renders", "Failed SOW PDF renders", False, check_failed_renders),
    ("notification_emails", "Failed notification emails", False, check_failed_emails),
]

# Checks that read the database are not run when it is down (they would only repeat the error).
_NEEDS_DATABASE = {
    "salesforce_sync",
    "salesforce_org",
    "forecast_snapshot",
    "salesforce_pushes",
    "pdf_renders",
    "notification_emails",
}


def _run(name: str, check: Callable[[], Result], *, required: bool) -> Result:
    try:
        return check()
    except Exception as exc:
        # The full error goes to the log for the operator; the report names only its class.
        logger.warning("Health check %s failed", name, exc_info=True)
        return Result(DOWN if required else DEGRADED, f"unavailable ({type(exc).__name__})")


def health_report() -> HealthReport:
    """Run every check (each one isolated: one failing never hides the others)."""
    checks: list[Check] = []
    database_down = False
    for name, label, required, check in CHECKS:
        if database_down and name in _NEEDS_DATABASE:
            result = Result(DEGRADED, "not checked: the database is down")
        else:
            result = _run(name, check, required=required)
        database_down = database_down or (name == "database" and result.status == DOWN)
        checks.append(Check(name, label, result.status, result.detail, required=required, at=result.at))
    return HealthReport(checks=checks)


class RecentReport:
    """The last report, reused for HEALTH_CACHE_SECONDS in this process (0 = run the checks every
    time). Kept in memory rather than in the cache, so that it works when the cache is what is down;
    a lock makes callers arriving together wait for one run instead of each starting their own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._report: HealthReport | None = None
        self._taken = 0.0

    def get(self) -> HealthReport:
        max_age = float(settings.HEALTH_CACHE_SECONDS)
        with self._lock:
            if self._report is None or time.monotonic() - self._taken >= max_age:
                self._report = health_report()
                self._taken = time.monotonic()
            return self._report

    def clear(self) -> None:
        with self._lock:
            self._report = None


recent_report = RecentReport()


def may_see_details(*, user: Any, token: str | None) -> bool:
    """Each check's result is for staff users and for callers presenting HEALTH_TOKEN."""
    if getattr(user, "is_staff", False) and user.is_active:
        return True
    expected: str = settings.HEALTH_TOKEN or ""
    if not expected or not token:
        return False
    return secrets.compare_digest(token.encode(), expected.encode())
