"""Who may run the sync and who may resolve a sync conflict. Used by services (enforcement) and
views and the admin (what to show)."""

from __future__ import annotations

from core.rules import rule, user_rule
from core.types import AnyUser
from engagements import access as engagements_access
from engagements.models import Opportunity


@user_rule("Only an administrator may start a Salesforce sync.")
def can_run_salesforce_sync(user: AnyUser) -> bool:
    """Sync now and the sync health page: administrators, or anyone given run_salesforce_sync."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or user.has_perm("salesforce.run_salesforce_sync"))


@rule("This conflict belongs to an opportunity you cannot see.")
def can_view_sync_conflicts(user: AnyUser, opportunity: Opportunity) -> bool:
    """A conflict is read by whoever may read its opportunity."""
    return engagements_access.can_view(user, opportunity)


@rule("Only the assigned EM, their manager or an administrator may resolve a sync conflict.")
def can_resolve_sync_conflict(user: AnyUser, opportunity: Opportunity) -> bool:
    """Resolving a conflict sets an EM field: the same people who may edit the EM fields (the
    assigned EM, that EM's manager, an administrator)."""
    return engagements_access.can_edit_em_fields(user, opportunity)
