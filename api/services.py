"""Creating, using and revoking personal API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api import access
from api.models import ApiToken
from core import actions
from core.validators import clean_single_line

TOKEN_PREFIX = "psp_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to its owner once, never stored


@transaction.atomic
def token_create(*, actor: User, name: str, scope: str, expires_in_days: int) -> NewToken:
    """A new token for `actor` with `scope` (read or write), valid for `expires_in_days` days
    (at most API_TOKEN_MAX_DAYS). Only its hash is kept; the secret is returned once."""
    access.can_create_token.require(actor)
    errors: dict[str, list[ValidationError]] = {}
    name = clean_single_line(name or "", field="name")
    if not name:
        errors["name"] = [ValidationError("Say what the token is for.", code="required")]
    elif len(name) > 100:
        errors["name"] = [ValidationError("Keep the name under 100 characters.", code="max_length")]
    if scope not in ApiToken.Scope.values:
        errors["scope"] = [ValidationError("Choose read or write.", code="invalid_choice")]
    longest = settings.API_TOKEN_MAX_DAYS
    if not 1 <= expires_in_days <= longest:
        errors["expires_in_days"] = [
            ValidationError(f"A token lasts from 1 to {longest} days.", code="out_of_range")
        ]
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=actor,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_secret(secret),
        scope=scope,
        expires_at=timezone.now() + dt.timedelta(days=expires_in_days),
    )
    actions.create(token, actor=actor, action="created an API token")
    return NewToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token (its owner or an administrator); a revoked token never works again."""
    access.can_revoke_token.require(actor, token)
    fresh = actions.lock(ApiToken.objects.all(), pk=token.pk)
    if fresh.revoked_at is not None:
        return fresh
    before = actions.snapshot(fresh)
    fresh.revoked_at = timezone.now()
    fresh.revoked_by = actor
    return actions.save(fresh, actor=actor, action="revoked an API token", before=before)


def token_for_secret(secret: str) -> ApiToken | None:
    """The active token with this secret, with its user, or None (unknown, expired or revoked)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_secret(secret)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    return token


def token_touch(token: ApiToken) -> None:
    """Note that the token was used now (one UPDATE, no history row: it is not a change of the token)."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
