"""Who may create, see and revoke API tokens."""

from __future__ import annotations

from api.models import ApiToken
from core.rules import rule, user_rule
from core.types import AnyUser


@user_rule("Only signed-in users with a role may create API tokens.")
def can_create_token(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


@rule("Only the token's owner or an administrator may revoke it.")
def can_revoke_token(user: AnyUser, token: ApiToken) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or token.user_id == user.pk))


@user_rule("Only administrators see every user's API tokens.")
def can_see_all_tokens(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_superuser)
