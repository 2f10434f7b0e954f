"""Who hears of Technical Architect reviews, told through the one notification service: the TAs of
an estimate that needs a review and of a request for help; the deal's EM, the issue's assignee and
the estimate's author of a TA's decision (with the comment); the EM who asked of the help given."""

from __future__ import annotations

from django.contrib.auth.models import User

from notifications.models import Kind
from notifications.selectors import users_with_permission
from notifications.services import Recipient, notify
from scoping.models import Estimate, ScopingIssue, TaReview


def technical_architects() -> list[User]:
    """The logins that review estimates (administrators left out: they review on request only)."""
    return list(users_with_permission("scoping.review_scopingissue", include_superusers=False))


def _em_side(issue: ScopingIssue, estimate: Estimate | None) -> list[Recipient]:
    return [
        issue.opportunity.engagement_manager,
        issue.assignee,
        estimate.created_by if estimate is not None else None,
    ]


def tell_review_needed(*, issue: ScopingIssue, estimate: Estimate, actor: User) -> None:
    """An estimate went above the threshold with no TA decision yet: the TAs hear of it, once per
    estimate version."""
    notify(
        recipients=technical_architects(),
        kind=Kind.TA_REVIEW_NEEDED,
        title=f"TA review needed: {issue.title} {estimate.label}",
        body=(
            f"{issue.opportunity.name}: {estimate.label} totals {estimate.currency} {estimate.total:,.2f}, "
            "above the TA review threshold. A Technical Architect must approve it before a SOW is created."
        ),
        link=estimate.get_absolute_url(),
        event_key=f"ta_review_needed:estimate:{estimate.pk}",
        actor=actor,
    )


def tell_decision(*, review: TaReview, issue: ScopingIssue, estimate: Estimate, actor: User) -> None:
    """A TA approved the estimate or sent it back (with the comment)."""
    approved = review.decision == TaReview.Decision.APPROVED
    kind = Kind.TA_APPROVED if approved else Kind.TA_SENT_BACK
    verb = "approved" if approved else "sent back"
    who = actor.get_full_name() or actor.get_username()
    body = f"{who} {verb} {estimate.label} of {issue.title} ({issue.opportunity.name})."
    if review.comment:
        body += f"\n\nComment: {review.comment}"
    notify(
        recipients=_em_side(issue, estimate),
        kind=kind,
        title=f"TA {verb} {issue.title} {estimate.label}",
        body=body,
        link=estimate.get_absolute_url(),
        event_key=f"{kind.value}:ta_review:{review.pk}",
        actor=actor,
    )


def tell_assistance_requested(*, review: TaReview, issue: ScopingIssue, actor: User) -> None:
    who = actor.get_full_name() or actor.get_username()
    notify(
        recipients=technical_architects(),
        kind=Kind.TA_ASSISTANCE_REQUESTED,
        title=f"TA help asked for: {issue.title}",
        body=f"{who} asks a Technical Architect for help on {issue.title} ({issue.opportunity.name}):\n\n"
        f"{review.comment}",
        link=issue.get_absolute_url(),
        event_key=f"ta_assistance_requested:ta_review:{review.pk}",
        actor=actor,
    )


def tell_assistance_given(*, review: TaReview, issue: ScopingIssue, actor: User) -> None:
    """The EM who asked (the latest request) and the deal's EM hear of the help given."""
    request = (
        TaReview.objects.filter(scoping_issue=issue, decision=TaReview.Decision.ASSISTANCE_REQUESTED)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    who = actor.get_full_name() or actor.get_username()
    notify(
        recipients=[request.actor if request else None, *_em_side(issue, None)],
        kind=Kind.TA_ASSISTANCE_ANSWERED,
        title=f"TA help given: {issue.title}",
        body=f"{who} recorded the help given on {issue.title} ({issue.opportunity.name}):"
        f"\n\n{review.comment}",
        link=issue.get_absolute_url(),
        event_key=f"ta_assistance_answered:ta_review:{review.pk}",
        actor=actor,
    )
