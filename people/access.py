"""Who may use the directory and change people and logins. Each rule is defined once here and asked
by the directory pages, the admin and the services alike (core/rules.py).

A Person's role decides the permissions of their login (people.services.person_sync_login_groups), and
so does which login a Person is linked to; a login's groups, permissions and staff/superuser flags
decide them directly. Only an administrator changes any of these, and nobody changes their own.
"""

from __future__ import annotations

from typing import Any

from core.rules import rule, user_rule
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


@user_rule("The people directory is for PS Operations and managers.")
def can_use_directory(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.has_perm("people.view_directory"))


@user_rule("Only PS Operations edit people.")
def can_edit_people(actor: AnyUser) -> bool:
    return bool(actor.is_authenticated and (actor.is_superuser or actor.has_perm("people.change_person")))


@rule(OWN_PRIVILEGES)
def is_someone_else(actor: AnyUser, person: Person | None) -> bool:
    """The person is not the actor's own entry (nobody changes their own role or login link)."""
    return not (person is not None and person.user_id is not None and person.user_id == actor.pk)


@rule(ROLE_NEEDS_ADMIN)
def can_change_role(actor: AnyUser, person: Person | None) -> bool:
    """People without a login are directory entries only: PS Operations set their role freely."""
    if not actor.is_authenticated or not is_someone_else(actor, person):
        return False
    logs_in = person is not None and person.user_id is not None
    return actor.is_superuser or not logs_in


def role_change_problem(actor: AnyUser, person: Person | None) -> str | None:
    """The message that refuses `actor` changing `person`'s role, or None when they may."""
    if can_change_role(actor, person):
        return None
    return is_someone_else.message if not is_someone_else(actor, person) else can_change_role.message


@rule(LOGIN_NEEDS_ADMIN)
def can_link_login(actor: AnyUser, person: Person | None) -> bool:
    """Set or change which login a Person is: administrators only, never for themselves."""
    return bool(actor.is_authenticated and actor.is_superuser and is_someone_else(actor, person))


@rule(OWN_PRIVILEGES)
def can_change_privileges(actor: AnyUser, user: Any) -> bool:
    """A login's groups, permissions, staff/superuser/active flags: another administrator only."""
    return bool(actor.is_authenticated and actor.is_superuser and (user is None or user.pk != actor.pk))
