from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from core.roles import Role
from people.models import Person


def person_for_user(user: AbstractBaseUser | AnonymousUser) -> Person | None:
    """The Person behind a login, or None (cached on the user object for the request)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_person_cache"):
        user._person_cache = Person.objects.select_related("region").filter(user=user).first()  # type: ignore[union-attr]
    return user._person_cache  # type: ignore[union-attr]


def engagement_managers(*, region_id: int | None = None) -> QuerySet[Person]:
    qs = Person.objects.filter(
        active=True, role__in=[Role.ENGAGEMENT_MANAGER, Role.EM_MANAGER]
    ).select_related("region")
    if region_id is not None:
        qs = qs.filter(region_id=region_id)
    return qs.order_by("name")
