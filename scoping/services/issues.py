"""Scoping issues: opening one, editing the discovery record, moving it on the board, and the TA
review state its estimates give it."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import actions
from core.validators import clean_single_line
from engagements.models import Opportunity
from engagements.services import opportunity_update_em_fields, validate_scoping_link
from people.models import Person
from scoping import access
from scoping.models import (
    Estimate,
    OfferingCategory,
    ScopingIssue,
    ScopingStatus,
    TaReview,
    TaReviewState,
)
from scoping.services.notifications import tell_review_needed

STALE_ISSUE = "Someone else changed this scoping issue while you were editing it. Nothing was saved."


def ta_review_threshold() -> Decimal:
    """Estimates above this total need a Technical Architect's approval before a SOW."""
    return Decimal(str(settings.TA_REVIEW_THRESHOLD))


def _clean_service_types(values: Iterable[str]) -> list[str]:
    values = list(values)
    unknown = [v for v in values if v not in OfferingCategory.values]
    if unknown:
        raise ValidationError(
            {"service_types": ValidationError("Unknown service type.", code="invalid_choice")}
        )
    return sorted(set(values))


def _clean_title(title: str) -> str:
    """A title on one line: it becomes the SOW's title and the subject of its approval emails."""
    title = clean_single_line(title, field="title")
    if not title:
        raise ValidationError({"title": ValidationError("Give the scoping issue a title.", code="required")})
    return title


@transaction.atomic
def scoping_issue_create(
    *,
    actor: User,
    opportunity: Opportunity,
    title: str,
    assignee: Person | None = None,
    current_state: str = "",
    constraints: str = "",
    desired_outcomes: str = "",
    requirements: str = "",
    service_types: Iterable[str] = (),
    external_link: str = "",
) -> ScopingIssue:
    """Open a scoping issue on an opportunity. The first one becomes the opportunity's Scoping
    Issue Link (unless the EM already set one), through the EM-field service and its push."""
    access.can_create_for.require(actor, opportunity)
    title = _clean_title(title)
    issue = ScopingIssue(
        opportunity=opportunity,
        title=title[:200],
        assignee=assignee or opportunity.engagement_manager,
        current_state=current_state.strip(),
        constraints=constraints.strip(),
        desired_outcomes=desired_outcomes.strip(),
        requirements=requirements.strip(),
        service_types=_clean_service_types(service_types),
        external_link=validate_scoping_link(external_link, field="external_link"),
    )
    actions.create(issue, actor=actor, action="opened the scoping issue")
    first = not ScopingIssue.objects.filter(opportunity=opportunity).exclude(pk=issue.pk).exists()
    fresh_opportunity = Opportunity.objects.get(pk=opportunity.pk)
    if first and not fresh_opportunity.scoping_issue_link:
        opportunity_update_em_fields(
            actor=actor,
            opportunity=fresh_opportunity,
            expected_version=fresh_opportunity.version,
            scoping_issue_link=settings.SITE_URL.rstrip("/") + issue.get_absolute_url(),
        )
    return issue


@transaction.atomic
def scoping_issue_update(
    *,
    actor: User,
    issue: ScopingIssue,
    expected_version: int,
    title: str,
    assignee: Person | None,
    current_state: str,
    constraints: str,
    desired_outcomes: str,
    requirements: str,
    service_types: Iterable[str],
    external_link: str,
) -> ScopingIssue:
    """Edit the discovery record; a save based on a stale version is refused."""
    access.can_edit.require(actor, issue)
    title = _clean_title(title)
    types = _clean_service_types(service_types)
    link = validate_scoping_link(external_link, field="external_link")
    fresh = actions.claim(
        ScopingIssue.objects.select_related("opportunity"),
        pk=issue.pk,
        expected_version=expected_version,
        stale_message=STALE_ISSUE,
    )
    before = actions.snapshot(fresh)
    fresh.title = title[:200]
    fresh.assignee = assignee
    fresh.current_state = current_state.strip()
    fresh.constraints = constraints.strip()
    fresh.desired_outcomes = desired_outcomes.strip()
    fresh.requirements = requirements.strip()
    fresh.service_types = types
    fresh.external_link = link
    actions.save(fresh, actor=actor, action="edited the discovery record", before=before)
    return fresh


def agreed_estimate(issue: ScopingIssue) -> Estimate | None:
    return issue.estimates.filter(status=Estimate.Status.AGREED).order_by("-number").first()


def ta_review_satisfied(issue: ScopingIssue) -> bool:
    """True when the agreed estimate is at or under the threshold, or a TA approved it."""
    estimate = agreed_estimate(issue)
    if estimate is None:
        return False
    if estimate.total <= ta_review_threshold():
        return True
    return TaReview.objects.filter(
        scoping_issue=issue, estimate=estimate, decision=TaReview.Decision.APPROVED
    ).exists()


def scoping_issue_ready_for_sow(issue: ScopingIssue) -> Estimate:
    """The agreed estimate a SOW may be created from; refuses while there is none or a TA review
    is pending. The SOW service calls this before it creates anything."""
    estimate = agreed_estimate(issue)
    if estimate is None:
        raise ValidationError(
            "Mark an estimate version agreed before creating a SOW.", code="no_agreed_estimate"
        )
    if not ta_review_satisfied(issue):
        raise ValidationError(
            f"{estimate.label} totals {estimate.currency} {estimate.total:,.2f}, above the TA review "
            "threshold; "
            "a Technical Architect must approve it first.",
            code="ta_review_pending",
        )
    return estimate


_NEEDS_AGREED = {ScopingStatus.READY_FOR_APPROVAL, ScopingStatus.APPROVED}


@transaction.atomic
def scoping_issue_move(*, actor: User, issue: ScopingIssue, status: str) -> ScopingIssue:
    """Move an issue on the board. "Ready for approval" and "Approved" need an agreed estimate and,
    above the threshold, a TA's approval of it; on hold and closed are reachable from anywhere.
    The move makes an open discovery edit stale."""
    access.can_edit.require(actor, issue)
    if status not in ScopingStatus.values:
        raise ValidationError({"status": ValidationError("Unknown status.", code="invalid_choice")})
    fresh = actions.lock(ScopingIssue.objects.select_related("opportunity"), pk=issue.pk)
    if status in _NEEDS_AGREED:
        scoping_issue_ready_for_sow(fresh)
    before = actions.snapshot(fresh)
    if fresh.status != status:
        fresh.status_changed_at = timezone.now()
    fresh.status = status
    fresh.version += 1
    actions.save(fresh, actor=actor, action="moved on the board", before=before)
    return fresh


@transaction.atomic
def scoping_issue_mark_approved(*, actor: User, issue_id: int) -> ScopingIssue:
    """Move the issue to Approved because its SOW was approved (called by the SOW's approval, which
    has checked the approver). A closed issue stays closed; an approved one is left as it is."""
    fresh = actions.lock(ScopingIssue.objects.select_related("opportunity"), pk=issue_id)
    if fresh.status in (ScopingStatus.APPROVED, ScopingStatus.CLOSED):
        return fresh
    before = actions.snapshot(fresh)
    fresh.status = ScopingStatus.APPROVED
    fresh.status_changed_at = timezone.now()
    fresh.version += 1  # an open discovery edit made before the approval is stale, as after a move
    return actions.save(fresh, actor=actor, action="moved on the board: its SOW was approved", before=before)


def lock_issue(issue_pk: int) -> ScopingIssue:
    """The issue, fresh and locked. Every write to an issue's estimates or reviews takes this lock
    first (before any estimate's), so two of them never wait on each other."""
    return actions.lock(ScopingIssue.objects.select_related("opportunity"), pk=issue_pk)


def refresh_ta_state(issue: ScopingIssue, *, actor: User) -> list[dict[str, str]]:
    """Derive the TA review state from the relevant estimate (the agreed one, else the latest) and
    save it when it changed; returns that change in words for the audit entry of the write that
    caused it (none when it stayed)."""
    fresh = lock_issue(issue.pk)
    estimate = agreed_estimate(fresh) or fresh.estimates.order_by("-number").first()
    state = TaReviewState.NOT_NEEDED
    if estimate is not None and estimate.total > ta_review_threshold():
        last = (
            TaReview.objects.filter(
                scoping_issue=fresh,
                estimate=estimate,
                decision__in=[TaReview.Decision.APPROVED, TaReview.Decision.SENT_BACK],
            )
            .order_by("-at", "-id")
            .first()
        )
        if last is None:
            state = TaReviewState.NEEDS_REVIEW
        elif last.decision == TaReview.Decision.APPROVED:
            state = TaReviewState.APPROVED
        else:
            state = TaReviewState.SENT_BACK
    issue.ta_review_state = state
    if fresh.ta_review_state == state:
        return []
    before = fresh.get_ta_review_state_display()
    fresh.ta_review_state = state
    actions.save(fresh, actor=actor, action="", update_fields=["ta_review_state"], audit=False)
    if state == TaReviewState.NEEDS_REVIEW and estimate is not None:
        tell_review_needed(issue=fresh, estimate=estimate, actor=actor)
    return [{"field": "TA review", "before": before, "after": fresh.get_ta_review_state_display()}]
