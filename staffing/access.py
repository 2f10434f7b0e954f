"""Who may see and change staffing. Each rule is defined once here and asked by the staffing pages,
the panels and the services alike (core/rules.py).

- the SOW's editors (its EM, their manager, administrators) add and change requirements until the
  SOW is handed off, and propose people;
- PS Operations (`staffing.manage_staffing`) do the same and are the only ones who confirm
  assignments and cancel confirmed ones.
"""

from __future__ import annotations

from core.rules import rule, user_rule
from core.types import AnyUser
from sow import access as sow_access
from sow.models import Sow

NOT_YOUR_ROLE = "Staffing is not part of your role."


@user_rule("Only PS Operations staff engagements.")
def can_manage(user: AnyUser) -> bool:
    """PS Operations (and administrators) staff engagements."""
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("staffing.manage_staffing")))


@user_rule(NOT_YOUR_ROLE)
def can_use_staffing(user: AnyUser) -> bool:
    """The staffing list: roles that read staffing requirements, and PS Operations."""
    return bool(user.has_perm("staffing.view_staffingrequirement") or can_manage(user))


@user_rule(NOT_YOUR_ROLE)
def can_see_assignments(user: AnyUser) -> bool:
    """A person's assignments on their directory page."""
    return bool(user.has_perm("staffing.view_assignment") or user.has_perm("staffing.manage_staffing"))


@rule(NOT_YOUR_ROLE)
def can_view(user: AnyUser, sow: Sow) -> bool:
    """A SOW's staffing: anyone who may see the SOW and whose role reads staffing."""
    if not user.is_authenticated or not can_use_staffing(user):
        return False
    return sow_access.can_view(user, sow)


@rule("Only the SOW's EM, their manager, PS Operations or an administrator may do this.")
def can_edit(user: AnyUser, sow: Sow) -> bool:
    """Change requirements and propose people: the SOW's editors and PS Operations."""
    return can_manage(user) or sow_access.can_edit(user, sow)
