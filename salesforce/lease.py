"""The sync lock as a short lease: taken for SALESFORCE_LOCK_LEASE_SECONDS and renewed as the
run works (on API answers, at most every quarter lease), so a run whose worker died frees the lock
within minutes. The next run closes such a run as interrupted; what it had sent stays "in doubt"
in the ledger and is read back before anything is sent again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from salesforce.client import SalesforceClient
from salesforce.errors import SalesforceError
from salesforce.models import SyncCursor, SyncRun
from salesforce.pull import CURSOR_NAME


class SyncLeaseLost(SalesforceError):
    """Another run took the lock over (this one went quiet longer than the lease)."""


def lease_seconds() -> int:
    return max(5, int(settings.SALESFORCE_LOCK_LEASE_SECONDS))


def renew(token: str) -> bool:
    """Move the lease on; False when this run no longer holds it."""
    until = timezone.now() + dt.timedelta(seconds=lease_seconds())
    return bool(SyncCursor.objects.filter(name=CURSOR_NAME, lock_token=token).update(locked_until=until))


class LeaseKeeper:
    """A response hook on the run's HTTP session that renews the lease while the run is working."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.every = dt.timedelta(seconds=lease_seconds() / 4)
        self.renewed_at = timezone.now()

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        now = timezone.now()
        if now - self.renewed_at < self.every:
            return
        self.renewed_at = now
        if not renew(self.token):
            raise SyncLeaseLost(
                "Another sync run took over the lock while this one was waiting; this run stopped."
            )


def keep(client: SalesforceClient, token: str) -> LeaseKeeper:
    keeper = LeaseKeeper(token)
    client.session.hooks["response"].append(keeper)
    return keeper


def close_interrupted(*, last_seen: dt.datetime | None) -> int:
    """Close the runs still marked running when a new run takes the lock: their worker stopped
    (the lease ran out unrenewed). Returns how many."""
    now = timezone.now()
    ended = min(last_seen, now) if last_seen is not None else now
    return SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).update(
        outcome=SyncRun.Outcome.INTERRUPTED,
        finished_at=ended,
        message=(
            f"Interrupted: its worker stopped before the run finished (its lock lapsed at "
            f"{ended:%Y-%m-%d %H:%M:%S} UTC). The next run carried on; values it may have sent were "
            "read back from Salesforce before anything was sent again."
        ),
    )
