"""Who may see and change scoping issues and estimates (object level, used by services and views)."""

from __future__ import annotations

from django.db.models import Q

from core.types import AnyUser
from engagements import access as opportunity_access
from people.selectors import person_for_user
from scoping.models import ScopingIssue


def visible_filter(user: AnyUser) -> Q:
    if not user.is_authenticated or not user.has_perm("scoping.view_scopingissue"):
        return Q(pk__in=[])
    person = person_for_user(user)
    q = Q(opportunity__in=_visible_opportunity_ids(user))
    if person is not None:
        q |= Q(assignee=person)
    return q


def _visible_opportunity_ids(user: AnyUser):  # type: ignore[no-untyped-def]
    from engagements.models import Opportunity

    return Opportunity.objects.filter(opportunity_access.visible_filter(user)).values("pk")


def can_view(user: AnyUser, issue: ScopingIssue) -> bool:
    if not user.is_authenticated or not user.has_perm("scoping.view_scopingissue"):
        return False
    person = person_for_user(user)
    if person is not None and issue.assignee_id == person.pk:
        return True
    return opportunity_access.can_view(user, issue.opportunity)


def can_edit(user: AnyUser, issue: ScopingIssue) -> bool:
    """The assignee, the opportunity's EM or their manager, or an administrator."""
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


def can_create_for(user: AnyUser, opportunity) -> bool:  # type: ignore[no-untyped-def]
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(user.has_perm("scoping.add_scopingissue")) and opportunity_access.can_edit_em_fields(
        user, opportunity
    )


def can_review(user: AnyUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("scoping.review_scopingissue")))
