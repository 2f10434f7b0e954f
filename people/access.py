"""Who may change people and logins. Asked by the directory pages, the admin and the services alike.

A Person's role decides the permissions of their login (people.services.person_sync_login_groups), and
so does which login a Person is linked to; a login's groups, permissions and staff/superuser flags
decide them directly. Only an administrator changes any of these, and nobody changes their own.
"""

from __future__ import annotations

from typing import Any

from core.types import AnyUser
from people.models import Person

ROLE_NEEDS_ADMIN = (
    "This person logs in: changing their role changes their permissions, so an administrator must do it."
)
LOGIN_NEEDS_ADMIN = (
    "Linking a person to a login gives that login the person's role, so an administrator must do it."
)
OWN_PRIVILEGES = "Nobody changes their own role or permissions; ask another administrator."

# The User fields that grant permissions.
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "is_active", "groups", "user_permissions")


def can_edit_people(actor: AnyUser) -> bool:
    return bool(actor.is_authenticated and (actor.is_superuser or actor.has_perm("people.change_person")))


def can_add_people(actor: AnyUser) -> bool:
    return bool(actor.is_authenticated and (actor.is_superuser or actor.has_perm("people.add_person")))


def _is_own(actor: AnyUser, person: Person | None) -> bool:
    return person is not None and person.user_id is not None and person.user_id == actor.pk


def role_change_problem(actor: AnyUser, person: Person | None, *, linked_login: bool) -> str | None:
    """Why `actor` may not change the role of `person` (None when they may).

    `linked_login`: whether the person has (or will have) a login. People without one are directory
    entries only (delivery staff, partners); PS Operations set their role freely.
    """
    if not actor.is_authenticated:
        return ROLE_NEEDS_ADMIN
    if _is_own(actor, person):
        return OWN_PRIVILEGES
    if linked_login and not actor.is_superuser:
        return ROLE_NEEDS_ADMIN
    return None


def can_change_role(actor: AnyUser, person: Person | None) -> bool:
    linked = person is not None and person.user_id is not None
    return role_change_problem(actor, person, linked_login=linked) is None


def can_link_login(actor: AnyUser, person: Person | None) -> bool:
    """Set or change which login a Person is: administrators only, never for themselves."""
    return bool(actor.is_authenticated and actor.is_superuser and not _is_own(actor, person))


def can_change_privileges(actor: AnyUser, user: Any) -> bool:
    """A login's groups, permissions, staff/superuser/active flags: another administrator only."""
    return bool(actor.is_authenticated and actor.is_superuser and (user is None or user.pk != actor.pk))
