"""How an API request says who it is: a personal token (Authorization: Bearer psp_…) or the app's
own session cookie (with its CSRF token for writes, as the pages send it).

A token is refused when unknown, expired or revoked (401); a read-only token is refused for writes
(403); each token may make API_RATE_LIMIT_PER_MINUTE requests a minute (429 with Retry-After).
Every use of a token is logged with its id.
"""

from __future__ import annotations

import math
import time
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from api.models import ApiToken
from api.problems import Problem
from api.services import token_for_secret, token_touch

logger = structlog.get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _rate_limit(token: ApiToken) -> None:
    """A fixed one-minute window per token, counted in the cache (shared by every process when
    CACHE_URL points at Redis)."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    key = f"api-rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * 60 - now))
        logger.warning("api_rate_limited", token_id=token.pk, user_id=token.user_id)
        raise Problem(
            429,
            f"This token may make {limit} requests a minute; try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


class TokenAuth(HttpBearer):
    """A personal API token sent as a bearer token."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_for_secret(token.strip())
        if found is None:
            raise Problem(
                401,
                "The API token is unknown, expired or revoked.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        _rate_limit(found)
        if request.method not in SAFE_METHODS and not found.can_write:
            logger.info("api_token_refused", token_id=found.pk, user_id=found.user_id, reason="read_only")
            raise Problem(403, "This token is read-only; create a read-write token to make changes.")
        token_touch(found)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]  # read by the API's views and logs
        logger.info(
            "api_token_used",
            token_id=found.pk,
            user_id=found.user_id,
            method=request.method,
            path=request.path,
        )
        return found


class CookieAuth(SessionAuth):
    """The session of a user signed in to the app (CSRF checked for writes by django-ninja)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a session cookie there is nobody to protect from CSRF: the caller is not signed
        # in (401), not a forged request (403).
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def unauthenticated_problem() -> Problem:
    return Problem(
        401,
        "Sign in, or send a personal API token as 'Authorization: Bearer <token>'.",
        headers={"WWW-Authenticate": 'Bearer realm="PS Pipeline"'},
    )
