from __future__ import annotations

import json

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from core.permissions import load_permissions, permission_names, set_permissions, wants_permissions
from core.roles import Role
from core.types import AnyUser
from people.models import Person, PersonSkill, Skill


def person_for_user(user: AnyUser) -> Person | None:
    """The Person behind a login, or None (cached on the user object for the request)."""
    if not user.is_authenticated:
        return None
    cached: Person | None
    try:
        cached = user._person_cache  # type: ignore[attr-defined]  # the cache set below
    except AttributeError:
        cached = Person.objects.select_related("region").filter(user=user).first()
        user._person_cache = cached  # type: ignore[attr-defined]  # a per-request cache on the user
    return cached


def load_person_and_permissions(user: AnyUser) -> None:
    """Fill the request's caches of the login's Person (see person_for_user) and permissions (see
    core.permissions) in one query: the permission names ride on the Person row as an array."""
    if not user.is_authenticated or hasattr(user, "_person_cache"):
        load_permissions(user)
        return
    # The permission names ride along as a PostgreSQL array; elsewhere they are their own query.
    with_permissions = wants_permissions(user) and connection.vendor == "postgresql"
    qs = Person.objects.select_related("region").filter(user=user)
    if with_permissions:
        qs = qs.annotate(permission_names=ArraySubquery(permission_names(user)))
    person = qs.first()
    user._person_cache = person  # type: ignore[attr-defined]  # the cache person_for_user reads
    if with_permissions and person is not None:
        set_permissions(user, person.permission_names)  # type: ignore[attr-defined]  # the annotation above
    else:
        load_permissions(user)


def engagement_managers(*, region_id: int | None = None) -> QuerySet[Person]:
    qs = Person.objects.filter(
        active=True, role__in=[Role.ENGAGEMENT_MANAGER, Role.EM_MANAGER]
    ).select_related("region")
    if region_id is not None:
        qs = qs.filter(region_id=region_id)
    return qs.order_by("name")


def directory() -> QuerySet[Person]:
    """People for the directory: region, manager and skills (by name) fetched in a fixed number of queries."""
    return Person.objects.select_related("region", "manager", "user").prefetch_related(
        Prefetch("skill_levels", queryset=PersonSkill.objects.select_related("skill").order_by("skill__name"))
    )


def person_for_directory(*, pk: int) -> Person:
    person = (
        directory()
        .prefetch_related(
            Prefetch("reports", queryset=Person.objects.select_related("region").order_by("name"))
        )
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise Http404("No such person.")
    return person


def with_language(qs: QuerySet[Person], language: str) -> QuerySet[Person]:
    """People whose language list holds `language` (any case), on SQLite and PostgreSQL alike.

    Matches the quoted JSON element, so "French" does not match "Frenchish"; the JSON-escaped form
    covers non-ASCII names as stored by SQLite.
    """
    language = " ".join(language.split())
    if not language:
        return qs
    plain = f'"{language}"'
    escaped = json.dumps(language)
    q = Q(languages__icontains=plain)
    if escaped != plain:
        q |= Q(languages__icontains=escaped)
    return qs.filter(q)


def with_skill(qs: QuerySet[Person], skill: Skill, min_level: int = 1) -> QuerySet[Person]:
    return qs.filter(skill_levels__skill=skill, skill_levels__level__gte=min_level)


def skills() -> list[Skill]:
    return list(Skill.objects.order_by("name"))
