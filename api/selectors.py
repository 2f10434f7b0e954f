"""Reads of API tokens for the tokens page."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from api import access
from api.models import ApiToken
from core.types import AnyUser


def tokens_for(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first."""
    return ApiToken.objects.filter(user=user).select_related("user", "revoked_by")


def all_tokens(user: AnyUser) -> QuerySet[ApiToken]:
    """Every user's tokens, for administrators (empty for anyone else)."""
    if not access.can_see_all_tokens(user):
        return ApiToken.objects.none()
    return ApiToken.objects.select_related("user", "revoked_by")


def token_for_user(*, user: AnyUser, pk: int) -> ApiToken:
    token = ApiToken.objects.select_related("user").filter(pk=pk).first()
    if token is None or not access.can_revoke_token(user, token):
        raise Http404("No such token.")
    return token
