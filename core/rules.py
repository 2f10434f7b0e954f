"""Named access rules: each rule is defined once, in its app's `access.py`, with its one refusal
message, and asked alike by views (what to show), admin pages and services (what to allow).

    @rule("Only the assigned EM, their manager or an administrator may change EM fields.")
    def can_edit_em_fields(user, opportunity) -> bool: ...

    access.can_edit_em_fields(user, opportunity)          # True / False, for templates and views
    access.can_edit_em_fields.require(user, opportunity)  # PermissionDenied with the rule's message
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.exceptions import PermissionDenied

from core.types import AnyUser

T = TypeVar("T")


class Rule(Generic[T]):
    """A yes/no check of a user (and optionally an object) with the message a refusal shows."""

    def __init__(self, check: Callable[[AnyUser, T], bool], message: str) -> None:
        functools.update_wrapper(self, check)
        self.check = check
        self.message = message

    def __call__(self, user: AnyUser, obj: T) -> bool:
        return bool(self.check(user, obj))

    def require(self, user: AnyUser, obj: T) -> None:
        """Refuse with this rule's message unless it allows `user` on `obj`."""
        if not self(user, obj):
            raise PermissionDenied(self.message)

    def __repr__(self) -> str:
        return f"<Rule {self.check.__module__}.{self.check.__qualname__}>"


class UserRule:
    """A rule about the user alone (may they use the directory, run the sync…)."""

    def __init__(self, check: Callable[[AnyUser], bool], message: str) -> None:
        functools.update_wrapper(self, check)
        self.check = check
        self.message = message

    def __call__(self, user: AnyUser) -> bool:
        return bool(self.check(user))

    def require(self, user: AnyUser) -> None:
        if not self(user):
            raise PermissionDenied(self.message)

    def __repr__(self) -> str:
        return f"<UserRule {self.check.__module__}.{self.check.__qualname__}>"


def rule(message: str) -> Callable[[Callable[[AnyUser, T], bool]], Rule[T]]:
    """Make a `(user, obj) -> bool` function a Rule refusing with `message`."""

    def wrap(check: Callable[[AnyUser, T], bool]) -> Rule[T]:
        return Rule(check, message)

    return wrap


def user_rule(message: str) -> Callable[[Callable[[AnyUser], bool]], UserRule]:
    """Make a `(user) -> bool` function a UserRule refusing with `message`."""

    def wrap(check: Callable[[AnyUser], bool]) -> UserRule:
        return UserRule(check, message)

    return wrap
