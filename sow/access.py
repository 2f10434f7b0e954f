"""Who may see, draft and decide on SOWs. Each rule is defined once here with its one refusal message
and asked alike by the SOW pages (what to show), the approval queue in the admin and the services
(what to allow) (core/rules.py). Editing follows the scoping issue's rules."""

from __future__ import annotations

from django.db.models import Q

from core.rules import rule, user_rule
from core.types import AnyUser
from scoping import access as scoping_access
from scoping.models import ScopingIssue
from sow.models import ChangeRequest, Sow, SowVersion


@user_rule("SOWs are not part of your role.")
def can_use_sows(user: AnyUser) -> bool:
    """The SOW list, and the SOW sections of the opportunity and scoping issue pages."""
    return bool(user.is_authenticated and user.has_perm("sow.view_sow"))


def visible_filter(user: AnyUser) -> Q:
    """The SOWs `user` may read (as a filter): all for approvers and view-all roles; otherwise those
    of the scoping issues they may read."""
    if not can_use_sows(user):
        return Q(pk__in=[])
    if (
        user.is_superuser
        or user.has_perm("sow.approve_sow")
        or user.has_perm("engagements.view_all_opportunities")
    ):
        return Q()
    return Q(scoping_issue__in=ScopingIssue.objects.filter(scoping_access.visible_filter(user)).values("pk"))


@rule("You may not see this SOW.")
def can_view(user: AnyUser, sow: Sow) -> bool:
    """Approvers see every SOW; everyone else those of the scoping issues they may read."""
    if not can_use_sows(user):
        return False
    if user.is_superuser or user.has_perm("sow.approve_sow"):
        return True
    return scoping_access.can_view(user, sow.scoping_issue)


@rule("Only the EM of this deal, their manager or an administrator may do this.")
def can_edit(user: AnyUser, sow: Sow) -> bool:
    """Draft, cost, submit, track and hand off: the scoping issue's editors (EM, their manager, admin)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(user.has_perm("sow.change_sow")) and scoping_access.can_edit(user, sow.scoping_issue)


@rule("Only the EM of this deal, their manager or an administrator may create a SOW.")
def can_create(user: AnyUser, issue: ScopingIssue) -> bool:
    """Draft a SOW from a scoping issue: whoever may edit the issue, with the right to add SOWs
    (administrators always)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(user.has_perm("sow.add_sow")) and scoping_access.can_edit(user, issue)


@user_rule("Only PS Directors decide on SOWs.")
def can_decide_sows(user: AnyUser) -> bool:
    """Approve or send back submitted SOWs; the approval queue."""
    return bool(user.is_authenticated and user.has_perm("sow.approve_sow"))


@rule("You authored this SOW; another PS Director must approve it.")
def can_decide(user: AnyUser, version: SowVersion) -> bool:
    """Decide on this version: a PS Director other than its author (nobody approves their own SOW)."""
    return can_decide_sows(user) and version.author_id != user.pk


def require_decider(user: AnyUser, version: SowVersion) -> None:
    """Refuse `user` deciding on `version`: first for not being an approver, then for being its author."""
    can_decide_sows.require(user)
    can_decide.require(user, version)


@rule("You drafted this change request; another PS Director must approve it.")
def can_decide_change_request(user: AnyUser, change_request: ChangeRequest) -> bool:
    """Decide on a change request: a PS Director other than its author (as for a SOW version). Drafting,
    costing, sending and signing it follow `can_edit` on its SOW; reading it, `can_view`."""
    return can_decide_sows(user) and change_request.author_id != user.pk


def require_change_request_decider(user: AnyUser, change_request: ChangeRequest) -> None:
    can_decide_sows.require(user)
    can_decide_change_request.require(user, change_request)
