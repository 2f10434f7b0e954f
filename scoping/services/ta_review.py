"""Technical Architect review: an EM asks for help; a TA approves an estimate, sends it back or
records the help given. Each decision is a TaReview row and one audit entry on the issue."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import actions
from scoping import access
from scoping.models import Estimate, ScopingIssue, TaAssistance, TaReview
from scoping.services import notifications
from scoping.services.issues import agreed_estimate, lock_issue, refresh_ta_state


@transaction.atomic
def ta_request_assistance(*, actor: User, issue: ScopingIssue, note: str) -> TaReview:
    """An EM asks a Technical Architect for help, at any time, with a note."""
    access.can_edit.require(actor, issue)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError("Say what you need help with.", code="required")})
    fresh = lock_issue(issue.pk)
    before = actions.snapshot(fresh)
    fresh.ta_assistance, fresh.ta_assistance_note = TaAssistance.REQUESTED, note
    actions.save(
        fresh,
        actor=actor,
        action="asked a Technical Architect for help",
        before=before,
        note=note,
        update_fields=["ta_assistance", "ta_assistance_note"],
    )
    review = TaReview.objects.create(
        scoping_issue=fresh,
        decision=TaReview.Decision.ASSISTANCE_REQUESTED,
        actor=actor,
        at=timezone.now(),
        comment=note,
    )
    notifications.tell_assistance_requested(review=review, issue=fresh, actor=actor)
    return review


def _review_target(issue: ScopingIssue) -> Estimate:
    estimate = agreed_estimate(issue) or issue.estimates.order_by("-number").first()
    if estimate is None:
        raise ValidationError("There is no estimate to review yet.", code="no_estimate")
    return estimate


def _decide(
    *, actor: User, issue: ScopingIssue, decision: TaReview.Decision, comment: str, action: str
) -> TaReview:
    fresh = lock_issue(issue.pk)
    estimate = _review_target(fresh)
    review = TaReview.objects.create(
        scoping_issue=fresh,
        estimate=estimate,
        decision=decision,
        actor=actor,
        at=timezone.now(),
        comment=comment,
    )
    changes = [{"field": "estimate reviewed", "before": "", "after": estimate.label}]
    changes += refresh_ta_state(issue, actor=actor)
    actions.record(actor=actor, action=action, obj=fresh, changes=changes, note=comment)
    notifications.tell_decision(review=review, issue=fresh, estimate=estimate, actor=actor)
    return review


@transaction.atomic
def ta_approve(*, actor: User, issue: ScopingIssue, comment: str = "") -> TaReview:
    """A TA approves the issue's current estimate (the agreed one, else the latest version)."""
    access.can_review.require(actor)
    return _decide(
        actor=actor,
        issue=issue,
        decision=TaReview.Decision.APPROVED,
        comment=(comment or "").strip(),
        action="approved the estimate",
    )


@transaction.atomic
def ta_send_back(*, actor: User, issue: ScopingIssue, comment: str) -> TaReview:
    """A TA sends the estimate back to the EM; a comment is required."""
    access.can_review.require(actor)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ValidationError("Say what must change.", code="required")})
    return _decide(
        actor=actor,
        issue=issue,
        decision=TaReview.Decision.SENT_BACK,
        comment=comment,
        action="sent back for changes",
    )


@transaction.atomic
def ta_mark_assisted(*, actor: User, issue: ScopingIssue, comment: str) -> TaReview:
    """A TA records the help they gave; a comment is required."""
    access.can_review.require(actor)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ValidationError("Record the help you gave.", code="required")})
    fresh = lock_issue(issue.pk)
    before = actions.snapshot(fresh)
    fresh.ta_assistance = TaAssistance.ASSISTED
    actions.save(
        fresh,
        actor=actor,
        action="recorded the help given",
        before=before,
        note=comment,
        update_fields=["ta_assistance"],
    )
    review = TaReview.objects.create(
        scoping_issue=fresh,
        decision=TaReview.Decision.ASSISTED,
        actor=actor,
        at=timezone.now(),
        comment=comment,
    )
    notifications.tell_assistance_given(review=review, issue=fresh, actor=actor)
    return review
