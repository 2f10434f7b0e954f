"""Who may see and change staffing. Each rule is defined once here with its one refusal message and
asked by the staffing pages, the panels and the services alike (core/rules.py).

- the SOW's editors (its EM, their manager, administrators) add and change requirements until the
  SOW is handed off, and propose people and withdraw proposals;
- PS Operations (`staffing.manage_staffing`) do the same, also after hand-off, and are the only ones
  who confirm assignments and cancel confirmed ones.
"""

from __future__ import annotations

from core.rules import Rule, UserRule, rule, user_rule
from core.types import AnyUser
from sow import access as sow_access
from sow.models import Sow
from staffing.models import Assignment, AssignmentStatus

NOT_YOUR_ROLE = "Staffing is not part of your role."
SOW_EDITORS = "Only the SOW's EM, their manager, PS Operations or an administrator may"


@user_rule("Only PS Operations staff engagements.")
def can_manage(user: AnyUser) -> bool:
    """PS Operations (and administrators) staff engagements."""
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("staffing.manage_staffing")))


# PS Operations alone confirm assignments, cancel confirmed ones and staff a handed-off SOW.
can_confirm = UserRule(can_manage.check, "Only PS Operations confirm assignments.")
can_cancel_confirmed = UserRule(can_manage.check, "Only PS Operations cancel confirmed assignments.")
can_staff_after_hand_off = UserRule(can_manage.check, "After hand-off, PS Operations staff the engagement.")


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


@rule(f"{SOW_EDITORS} do this.")
def can_edit(user: AnyUser, sow: Sow) -> bool:
    """Add, change and remove requirements, and withdraw proposals: the SOW's editors and PS Operations."""
    return can_manage(user) or sow_access.can_edit(user, sow)


# The same people propose someone for a requirement.
can_propose = Rule(can_edit.check, f"{SOW_EDITORS} propose.")


def require_may_cancel(user: AnyUser, assignment: Assignment) -> None:
    """Refuse, with the deciding rule's message, unless `user` may cancel `assignment`: a confirmed
    assignment is PS Operations' alone to cancel; a proposal also its SOW's editors'."""
    if assignment.status == AssignmentStatus.CONFIRMED:
        can_cancel_confirmed.require(user)
    else:
        can_edit.require(user, assignment.requirement.sow)
