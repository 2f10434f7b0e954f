"""What can go wrong talking to Salesforce, sorted by what the sync does about it."""

from __future__ import annotations

import random

from salesforce.config import SalesforceConfig


class SalesforceError(Exception):
    """Base class; `str()` is a message an administrator can act on."""


class SalesforceNotConfigured(SalesforceError):
    """The sync is off: credentials or settings are missing."""


class SalesforceAuthError(SalesforceError):
    """The token request was refused (wrong credentials, unapproved app, bad key): not retried."""


class SalesforceSessionRevoked(SalesforceAuthError):
    """A fresh session was refused again (401 right after re-authenticating): revoked, not expired."""


class SalesforceUnavailable(SalesforceError):
    """Timeouts, connection errors and 5xx that outlasted the retries: try again later."""


class SalesforceBadResponse(SalesforceUnavailable):
    """Salesforce (or a proxy in front of it) answered with a body that is not JSON. Not retried
    within the call: a write may have been applied, so the caller re-reads before sending again."""


class SalesforceRateLimited(SalesforceUnavailable):
    """REQUEST_LIMIT_EXCEEDED: the org's API limit is used up; wait longer before trying again."""


class SalesforceApiBudgetReached(SalesforceRateLimited):
    """The org's daily API usage reached SALESFORCE_API_USAGE_STOP_SHARE: the sync stops before
    exhausting the limit other integrations need, and waits like after a rate limit."""


class SalesforceRequestError(SalesforceError):
    """Salesforce refused the request itself (4xx other than the above): retrying will not help."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class SalesforceWriteUncertain(SalesforceUnavailable):
    """A write got no clear answer (timeout, connection lost, 5xx): Salesforce may have applied it.
    Never resent blind: the push re-reads the records first (and its sent values say it was us)."""


# Per-record error codes worth another attempt; every other code is permanent.
RETRYABLE_RECORD_ERRORS = frozenset({"UNABLE_TO_LOCK_ROW", "ALL_OR_NONE_OPERATION_ROLLED_BACK"})


def backoff_seconds(config: SalesforceConfig, attempt: int, *, rate_limited: bool = False) -> float:
    """Exponential back-off with "equal jitter": between half and all of base * 2**attempt, capped.

    Rate limits start from SALESFORCE_RATE_LIMIT_BACKOFF_SECONDS instead of the base.
    """
    base = config.rate_limit_backoff if rate_limited else config.retry_base
    ceiling = max(config.retry_max, config.rate_limit_backoff) if rate_limited else config.retry_max
    factor: int = 2 ** max(0, attempt)  # int ** int is typed Any (a negative power is a float)
    delay = min(ceiling, base * factor)
    return delay / 2 + random.uniform(0, delay / 2)
