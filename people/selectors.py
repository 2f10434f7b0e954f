from __future__ import annotations

from django.db.models import QuerySet

from core.roles import Role
from core.types import AnyUser
from people.models import Person


def person_for_user(user: AnyUser) -> Person | None:
    """The Person behind a login, or None (cached on the user object for the request)."""
    if not user.is_authenticated:
        return None
    cached: Person | None
    try:
        cached = user._person_cache  # type: ignore[union-attr,attr-defined]
    except AttributeError:
        cached = Person.objects.select_related("region").filter(user=user).first()
        user._person_cache = cached  # type: ignore[union-attr,attr-defined]
    return cached


def engagement_managers(*, region_id: int | None = None) -> QuerySet[Person]:
    qs = Person.objects.filter(
        active=True, role__in=[Role.ENGAGEMENT_MANAGER, Role.EM_MANAGER]
    ).select_related("region")
    if region_id is not None:
        qs = qs.filter(region_id=region_id)
    return qs.order_by("name")
