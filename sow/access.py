"""Who may see and change SOWs (object level). Editing follows the scoping issue's rules."""

from __future__ import annotations

from django.db.models import Q

from core.types import AnyUser
from scoping import access as scoping_access
from sow.models import Sow, SowVersion


def visible_filter(user: AnyUser) -> Q:
    if not user.is_authenticated or not user.has_perm("sow.view_sow"):
        return Q(pk__in=[])
    if (
        user.is_superuser
        or user.has_perm("sow.approve_sow")
        or user.has_perm("engagements.view_all_opportunities")
    ):
        return Q()
    return Q(scoping_issue__in=_visible_issue_ids(user))


def _visible_issue_ids(user: AnyUser):  # type: ignore[no-untyped-def]
    from scoping.models import ScopingIssue

    return ScopingIssue.objects.filter(scoping_access.visible_filter(user)).values("pk")


def can_view(user: AnyUser, sow: Sow) -> bool:
    if not user.is_authenticated or not user.has_perm("sow.view_sow"):
        return False
    if user.is_superuser or user.has_perm("sow.approve_sow"):
        return True
    return scoping_access.can_view(user, sow.scoping_issue)


def can_edit(user: AnyUser, sow: Sow) -> bool:
    """Draft, submit, track and hand off: the scoping issue's editors (EM, their manager, admin)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(user.has_perm("sow.change_sow")) and scoping_access.can_edit(user, sow.scoping_issue)


def can_approve(user: AnyUser, version: SowVersion) -> bool:
    return bool(user.is_authenticated and user.has_perm("sow.approve_sow") and version.author_id != user.pk)
