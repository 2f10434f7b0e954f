"""The live dashboard's figures shared between the leaders opening it at the same time: computed once
per data version and kept in the configured cache (Redis in production) for a short time.

The data version changes on every write to the tables the dashboard reads (opportunities and their
accounts, people and regions, exchange rates, plans and snapshots, SOWs, forecast calls), whoever
makes it: a service through core.actions, the Salesforce sync's bulk writes, the snapshot's INSERT …
SELECT, the admin. Every INSERT, UPDATE or DELETE on those tables through the database connection
moves it on, once when the statement runs and once more when its transaction commits (so a page
computed between the two, from the rows as they were, is never read again).
FORECAST_LIVE_CACHE_SECONDS bounds how long an entry lives (the as-of moment moves on: a call's
review becomes stale, a deal past due) and is 0, off, unless the cache is shared by every process
(CACHE_URL set).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from forecasting import week_cache

T = TypeVar("T")

KEY = "forecast:data-version"
# The apps whose tables the dashboard's figures are made of (the SOWs for its mismatch counts and
# approvals, the calls for its calls section).
_WRITE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(?:engagements|forecasting|people|sow|calls)_', re.I
)


def version() -> str:
    """The current data version (a new one after the cache was emptied)."""
    current: str | None = cache.get(KEY)
    if current is None:
        cache.add(KEY, uuid.uuid4().hex, None)
        current = cache.get(KEY) or ""
    return current


def bump() -> None:
    """Move the data version on: every live entry computed before is never read again."""
    cache.set(KEY, uuid.uuid4().hex, None)


def timeout() -> int:
    return int(getattr(settings, "FORECAST_LIVE_CACHE_SECONDS", 0))


def key_for(kind: str, parts: tuple[Any, ...]) -> str | None:
    """The cache key of `kind` for the current data version, or None when live caching is off."""
    if timeout() <= 0:
        return None
    return week_cache.cache_key(f"live-{kind}", version(), *parts)


def cached(kind: str, parts: tuple[Any, ...], compute: Callable[[], T], *, key: str | None = None) -> T:
    """`compute()`'s value for the current data version, from the cache when another request has
    computed it (when live caching is on). `key`: the one key_for gave, when the caller needs it too."""
    key = key or key_for(kind, parts)
    if key is None:
        return compute()
    value: T | None = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout())
    return value


def _bump_after_commit() -> None:
    bump()


def _watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and _WRITE.match(sql):
        bump()
        connection: BaseDatabaseWrapper = context["connection"]
        # Once more when the transaction commits (registered once per transaction; a rollback drops it).
        if connection.in_atomic_block and not any(
            entry[1] is _bump_after_commit for entry in connection.run_on_commit
        ):
            transaction.on_commit(_bump_after_commit, using=connection.alias)
    return result


def watch_connection(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created: watch the new connection's writes."""
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)
