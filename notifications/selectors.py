"""Reads for notifications: the bell's count, the inbox, the preferences page, and who to tell."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from core.types import AnyUser
from notifications.models import Kind, Notification, NotificationPreference


def unread_count(user: AnyUser) -> int:
    """How many notifications shown in the app `user` has not read (one query)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=user.pk, in_app=True, read_at__isnull=True).count()


def inbox(user: User) -> QuerySet[Notification]:
    """The user's notifications shown in the app: unread first, then newest first."""
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Notification.objects.filter(user_id=user.pk, in_app=True)
        .select_related("actor")
        .order_by(unread_first, "-created_at", "-pk")
    )


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    in_app: bool
    email: bool


def preferences_for(user: User) -> list[PreferenceRow]:
    """Every kind with the user's choice (both on where they never chose)."""
    chosen = {p.kind: p for p in NotificationPreference.objects.filter(user_id=user.pk)}
    rows = []
    for kind in Kind:
        pref = chosen.get(kind.value)
        rows.append(
            PreferenceRow(
                kind=kind.value,
                label=str(kind.label),
                in_app=pref.in_app if pref else True,
                email=pref.email if pref else True,
            )
        )
    return rows


def users_with_permission(perm: str, *, include_superusers: bool = True) -> QuerySet[User]:
    """Active logins holding `perm` ("app_label.codename") through a group or directly (and
    superusers, unless left out)."""
    app_label, codename = perm.split(".", 1)
    through_group = Q(
        groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label
    )
    direct = Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    holders = through_group | direct
    if include_superusers:
        holders |= Q(is_superuser=True)
    users = get_user_model().objects
    return users.filter(is_active=True, pk__in=users.filter(holders).values("pk")).order_by("pk")


def administrators() -> QuerySet[User]:
    """Active superusers: they are told of failures only an administrator can fix."""
    return get_user_model().objects.filter(is_active=True, is_superuser=True)
