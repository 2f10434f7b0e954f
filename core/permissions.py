"""A user's permissions read once per request, in one query."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat

from core.types import AnyUser


def wants_permissions(user: AnyUser) -> bool:
    """Whether ModelBackend would still read this user's permissions from the database: not for
    anonymous or inactive users (it answers nothing), nor once its per-request cache is filled."""
    return bool(user.is_authenticated and user.is_active and not hasattr(user, "_perm_cache"))


def permission_names(user: AnyUser) -> QuerySet[Permission, str]:
    """ModelBackend's answer as one query of "app_label.codename" strings: every permission for
    superusers, otherwise the user's own and their groups'."""
    perms = (
        Permission.objects.all()
        if user.is_superuser
        else Permission.objects.filter(Q(user=user) | Q(group__user=user))
    )
    name = Concat("content_type__app_label", Value("."), "codename", output_field=CharField())
    return perms.order_by().annotate(perm_name=name).values_list("perm_name", flat=True).distinct()


def set_permissions(user: AnyUser, names: list[str]) -> None:
    """Fill the cache Django's ModelBackend keeps on the user for the request (`_perm_cache`);
    has_perm still goes through every configured backend."""
    user._perm_cache = set(names)  # type: ignore[union-attr]  # ModelBackend's per-request cache


def load_permissions(user: AnyUser) -> None:
    """The user's own and group permissions in one query instead of ModelBackend's two."""
    if wants_permissions(user):
        set_permissions(user, list(permission_names(user)))
