"""Who may see and change scoping issues and estimates, and who reviews them. Each rule is defined
once here with its one refusal message and asked alike by the pages (what to show), the services
(what to allow) and the SOW app (core/rules.py)."""

from __future__ import annotations

from django.db.models import Q

from core.rules import rule, user_rule
from core.types import AnyUser
from engagements import access as opportunity_access
from engagements.models import Opportunity
from people.selectors import person_for_user
from scoping.models import Estimate, ScopingIssue

EDIT_MESSAGE = "Only the assignee, the opportunity's EM, their manager or an administrator may do this."


@user_rule("Scoping issues are not part of your role.")
def can_use_scoping(user: AnyUser) -> bool:
    """The scoping pages, the board and the opportunity page's scoping section."""
    return bool(user.is_authenticated and user.has_perm("scoping.view_scopingissue"))


def visible_filter(user: AnyUser) -> Q:
    """The scoping issues `user` may read (as a filter): those of opportunities they may see,
    and those assigned to them."""
    if not can_use_scoping(user):
        return Q(pk__in=[])
    person = person_for_user(user)
    q = Q(opportunity__in=Opportunity.objects.filter(opportunity_access.visible_filter(user)).values("pk"))
    if person is not None:
        q |= Q(assignee=person)
    return q


@rule("This scoping issue belongs to an opportunity you cannot see.")
def can_view(user: AnyUser, issue: ScopingIssue) -> bool:
    """The assignee, and whoever may see the issue's opportunity."""
    if not can_use_scoping(user):
        return False
    person = person_for_user(user)
    if person is not None and issue.assignee_id == person.pk:
        return True
    return opportunity_access.can_view(user, issue.opportunity)


@rule(EDIT_MESSAGE)
def can_edit(user: AnyUser, issue: ScopingIssue) -> bool:
    """The assignee, the opportunity's EM or their manager, or an administrator: the discovery
    record, the board, asking a TA for help and the issue's estimates."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm("scoping.change_scopingissue"):
        return False
    person = person_for_user(user)
    if person is not None and issue.assignee_id == person.pk:
        return True
    return opportunity_access.can_edit_em_fields(user, issue.opportunity)


@rule(EDIT_MESSAGE)
def can_edit_estimate(user: AnyUser, estimate: Estimate) -> bool:
    """Whoever may edit the estimate's scoping issue: its lines while it is a draft, sharing,
    agreeing and revising it."""
    return can_edit(user, estimate.scoping_issue)


@rule("Only the opportunity's EM, their manager or an administrator may open scoping issues.")
def can_create_for(user: AnyUser, opportunity: Opportunity) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(user.has_perm("scoping.add_scopingissue")) and opportunity_access.can_edit_em_fields(
        user, opportunity
    )


@user_rule("Only Technical Architects review scoping issues.")
def can_review(user: AnyUser) -> bool:
    """Approve or send back an estimate, record assistance given."""
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("scoping.review_scopingissue")))


@user_rule("The TA queue is for Technical Architects.")
def can_use_ta_queue(user: AnyUser) -> bool:
    """The queue of issues waiting on a Technical Architect: for those who review them."""
    return can_review(user)
