"""A past week's figures never change, so they are kept in the configured cache (Redis in
production) and computed once per version of what they are made of: the week's snapshot (and the
one it is compared with) as last taken or replaced, the exchange rates and the quarter's plans.
Replacing the snapshot or saving a rate or a plan makes a new key; the old entry is never read again
and expires on its own. The live view is never cached."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

from forecasting.models import ForecastSnapshot

T = TypeVar("T")

# Bumped whenever the cached objects change shape, so a deploy never reads an older layout.
LAYOUT = 2
TIMEOUT_SECONDS = 7 * 24 * 3600


def snapshot_version(snapshot: ForecastSnapshot) -> tuple[Any, ...]:
    """What identifies the rows a snapshot holds: it changes whenever the week is taken again."""
    return (snapshot.pk, snapshot.week.isoformat(), snapshot.taken_at.isoformat(), snapshot.rows_count)


def cache_key(kind: str, *parts: Any) -> str:
    digest = hashlib.sha256(repr((LAYOUT, kind, parts)).encode()).hexdigest()
    return f"forecast:{kind}:{digest}"


def cached(key: str, compute: Callable[[], T]) -> T:
    """The value stored under `key`, or `compute()`'s, stored for next time."""
    value: T | None = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT_SECONDS)
    return value
