"""Who may see and change which opportunity. Used by services (enforcement) and views (controls)."""

from __future__ import annotations

from django.db.models import Q

from core.rules import Rule, rule, user_rule
from core.types import AnyUser
from engagements.models import Opportunity
from people.models import Person
from people.selectors import person_for_user


def can_view_all(user: AnyUser) -> bool:
    return bool(user.is_superuser or user.has_perm("engagements.view_all_opportunities"))


def visible_filter(user: AnyUser) -> Q:
    """Opportunities a user may read: all for view-all roles; otherwise their region, the ones
    they lead, and (for EM Managers) the ones their reports lead."""
    if not user.is_authenticated or not user.has_perm("engagements.view_opportunity"):
        return Q(pk__in=[])
    if can_view_all(user):
        return Q()
    person = person_for_user(user)
    if person is None:
        return Q(pk__in=[])
    q = Q(engagement_manager=person)
    if person.region_id:
        q |= Q(region_id=person.region_id)
    if user.has_perm("engagements.manage_em_team"):
        q |= Q(engagement_manager__manager=person)
    return q


def can_view(user: AnyUser, opportunity: Opportunity) -> bool:
    if not user.is_authenticated or not user.has_perm("engagements.view_opportunity"):
        return False
    if can_view_all(user):
        return True
    person = person_for_user(user)
    if person is None:
        return False
    return (
        opportunity.engagement_manager_id == person.pk
        or (person.region_id is not None and opportunity.region_id == person.region_id)
        or _manages_em_of(user, person, opportunity)
    )


def _manages_em_of(user: AnyUser, person: Person, opportunity: Opportunity) -> bool:
    if not user.has_perm("engagements.manage_em_team") or opportunity.engagement_manager_id is None:
        return False
    em = opportunity.engagement_manager
    return em is not None and em.manager_id == person.pk


EM_SIDE = "Only the assigned EM, their manager or an administrator may"


@rule(f"{EM_SIDE} change EM fields.")
def can_edit_em_fields(user: AnyUser, opportunity: Opportunity) -> bool:
    """Only the assigned EM, that EM's manager, or an administrator."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    person = person_for_user(user)
    if person is None:
        return False
    if user.has_perm("engagements.change_em_fields") and opportunity.engagement_manager_id == person.pk:
        return True
    return _manages_em_of(user, person, opportunity)


# The same people keep the opportunity's risks.
can_change_risks = Rule(can_edit_em_fields.check, f"{EM_SIDE} add or change risks.")


@rule("Only an EM Manager for this region or an administrator may assign the EM.")
def can_assign_em(user: AnyUser, opportunity: Opportunity) -> bool:
    """Administrators, or an EM Manager for opportunities in their region or led by their reports."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm("engagements.manage_em_team"):
        return False
    person = person_for_user(user)
    if person is None:
        return False
    in_region = person.region_id is not None and opportunity.region_id == person.region_id
    return in_region or _manages_em_of(user, person, opportunity)


@user_rule("Only an administrator may retry Salesforce pushes.")
def can_retry_pending_push(user: AnyUser) -> bool:
    """Send failed outbox rows to Salesforce again: administrators, or whoever may start a sync
    (the salesforce app's run_salesforce_sync permission)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or user.has_perm("salesforce.run_salesforce_sync"))


@user_rule("The EM workload page is for EM Managers.")
def can_see_workload(user: AnyUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("engagements.manage_em_team")))


@user_rule("Only Engagement Managers, EM Managers and administrators work on many opportunities at once.")
def can_work_in_bulk(user: AnyUser) -> bool:
    """May use the list's bulk actions at all (each row is still checked by its own rule)."""
    return bool(
        user.is_authenticated
        and (
            user.is_superuser
            or user.has_perm("engagements.change_em_fields")
            or user.has_perm("engagements.manage_em_team")
        )
    )


@user_rule("Only an EM Manager or an administrator may assign EMs.")
def can_assign_any(user: AnyUser) -> bool:
    """May assign EMs to some opportunities (the bulk assign control shows)."""
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("engagements.manage_em_team")))
