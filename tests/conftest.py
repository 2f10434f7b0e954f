"""Shared fixtures: people in every role with logins, and logged-in clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from django.core.cache import cache
from django.test import Client

from core.roles import Role
from people.models import Person
from people.services import person_sync_login_groups
from tests.people.factories import PersonFactory, RegionFactory, UserFactory

PASSWORD = "pw-for-tests-123"

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache (a cached past week from another test never shows)."""
    cache.clear()
    yield


@pytest.fixture
def region_amer(db):
    return RegionFactory(code="AMER", name="Americas")


@pytest.fixture
def region_emea(db):
    return RegionFactory(code="EMEA", name="EMEA")


@pytest.fixture
def make_person(db) -> Callable[..., Person]:
    """Make a Person with a login in the given role (groups set as the admin would)."""

    def make(
        role: str = Role.ENGAGEMENT_MANAGER,
        *,
        username: str | None = None,
        region=None,
        manager=None,
        superuser: bool = False,
        **kwargs,
    ) -> Person:
        user = UserFactory(**({"username": username} if username else {}))
        if superuser:
            user.is_superuser = True
            user.is_staff = True
            user.save()
        person = PersonFactory(
            user=user,
            role=role,
            region=region,
            manager=manager,
            name=kwargs.pop("name", user.username.replace(".", " ").title()),
            **kwargs,
        )
        person_sync_login_groups(person=person)
        return person

    return make


@pytest.fixture
def em_manager(make_person: Callable[..., Person], region_amer) -> Person:
    return make_person(Role.EM_MANAGER, username="emm.amer", region=region_amer)


@pytest.fixture
def em(make_person: Callable[..., Person], region_amer, em_manager) -> Person:
    return make_person(Role.ENGAGEMENT_MANAGER, username="em.amer", region=region_amer, manager=em_manager)


@pytest.fixture
def other_em(make_person: Callable[..., Person], region_emea) -> Person:
    return make_person(Role.ENGAGEMENT_MANAGER, username="em.emea", region=region_emea)


@pytest.fixture
def leadership(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.LEADERSHIP, username="leadership")


@pytest.fixture
def ps_director(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PS_DIRECTOR, username="director")


@pytest.fixture
def admin_person(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PS_OPERATIONS, username="admin", superuser=True)


def query_budget(postgresql: int) -> int:
    """A list page's query budget: as given on PostgreSQL (the production database), where the
    person's permissions and the filter choices are read with arrays in one query each; SQLite has no
    arrays and reads them in up to four more."""
    from django.db import connection

    return postgresql if connection.vendor == "postgresql" else postgresql + 4


def client_for(person: Person) -> Client:
    client = Client()
    assert person.user is not None, "the person needs a login"
    client.force_login(person.user)
    return client


@pytest.fixture
def login() -> Callable[[Person], Client]:
    return client_for


@pytest.fixture
def celery_on_broker(transactional_db, settings):
    """A real Celery worker (in a thread) consuming from the configured Redis broker, with eager
    mode off for the test. Without a Redis broker configured, tasks run eagerly instead.

    Yields the worker, or None when running eagerly. Tests using it poll the database for results.
    """
    import os

    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        yield None
        return
    previous = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    # Item assignment is what attribute assignment does on Celery's settings; the stubs type
    # broker_url as a read-only property.
    app.conf["broker_url"] = broker
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.control.purge()
    try:
        # Name the default queue: a worker started with other queues earlier in this process narrowed
        # the app's queue selection, and this worker must consume what .delay() sends.
        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            shutdown_timeout=30,
            queues=[app.conf.task_default_queue],
        ) as worker:
            yield worker
    finally:
        app.conf.task_always_eager, app.conf["broker_url"] = previous


def wait_for(predicate: Callable[[], T | None], *, timeout: float = 60.0, interval: float = 0.2) -> T:
    """Poll until predicate() is truthy (returns its value) or fail after timeout seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Condition not met within {timeout} s")


# Modules whose tests take seconds each: migrations run back and forth, real workers killed and
# restarted, races between threads on PostgreSQL.
SLOW_MODULES = (
    "test_migrations.py",
    "test_audit_backfill.py",
    "test_worker_crash.py",
    "test_concurrency.py",
    "test_snapshot_concurrency.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests (`make test-fast` leaves them out): browser journeys, the modules above,
    and any test that starts a real Celery worker or a live server."""
    for item in items:
        path = str(item.fspath).replace("\\", "/")
        fixtures = getattr(item, "fixturenames", ())
        if (
            "/tests/e2e/" in path
            or path.endswith(SLOW_MODULES)
            or "celery_on_broker" in fixtures
            or "live_server" in fixtures
        ):
            item.add_marker(pytest.mark.slow)
