"""Every write to opportunities, risks and the outbox of EM-field changes for Salesforce. Views, admin
actions, tasks and commands call these."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import Conflict
from core.types import AnyUser
from core.validators import clean_single_line
from engagements import access
from engagements.models import (
    CONFIDENCE_NEEDS_RATIONALE,
    Confidence,
    ConfidenceEvent,
    Opportunity,
    PendingPush,
    Risk,
)
from people.models import Person

RATIONALE_MAX_LENGTH = 4000
_http_url = URLValidator(schemes=["http", "https"])


def validate_scoping_link(value: str, *, field: str = "scoping_issue_link") -> str:
    """An http(s) link or empty; anything else (javascript:, file:, ftp:, text) is refused."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        _http_url(value)
    except ValidationError:
        raise ValidationError(
            {field: ValidationError("Enter a full http:// or https:// link.", code="invalid_url")}
        ) from None
    return value


def _current_values(opportunity: Opportunity) -> dict[str, Any]:
    em = opportunity.engagement_manager
    return {
        "engagement_manager": em.name if em else "",
        "em_confidence": opportunity.em_confidence,
        "em_confidence_rationale": opportunity.em_confidence_rationale,
        "scoping_issue_link": opportunity.scoping_issue_link,
        "version": opportunity.version,
        "updated_at": opportunity.updated_at,
    }


def _claim_version(opportunity: Opportunity, expected_version: int) -> Opportunity:
    """Move the row from expected_version to the next one, or raise Conflict with the current values.

    The conditional UPDATE takes the row's write lock, so two saves from the same version can
    never both pass; the reloaded row is returned for the caller to change and save.
    """
    claimed = Opportunity.objects.filter(pk=opportunity.pk, version=expected_version).update(
        version=F("version") + 1
    )
    fresh = Opportunity.objects.select_related("engagement_manager").get(pk=opportunity.pk)
    if not claimed:
        raise Conflict(
            "Someone else changed this opportunity while you were editing it. Nothing was saved; "
            "the current values are shown below.",
            current=_current_values(fresh),
        )
    return fresh


def _queue_push(opportunity: Opportunity, fields: list[str]) -> None:
    push, created = PendingPush.objects.select_for_update().get_or_create(
        opportunity=opportunity, defaults={"fields": sorted(set(fields))}
    )
    if not created:
        push.fields = sorted(set(push.fields) | set(fields))
        push.status = PendingPush.Status.PENDING
        push.attempts = 0
        push.next_attempt_at = None
        push.last_error = ""
        push.save()


@transaction.atomic
def opportunity_update_em_fields(
    *,
    actor: User,
    opportunity: Opportunity,
    expected_version: int,
    em_confidence: str | None = None,
    em_confidence_rationale: str | None = None,
    scoping_issue_link: str | None = None,
) -> Opportunity:
    """Change the EM's call, rationale and/or scoping link (None leaves a field as it is).

    Rationale is required for Red, Amber and Green; the link must be http(s). Records the
    timeline and history, marks the opportunity reviewed and queues the change for Salesforce.
    """
    if not access.can_edit_em_fields(actor, opportunity):
        raise PermissionDenied(
            "Only the assigned EM, their manager or an administrator may change EM fields."
        )

    confidence = opportunity.em_confidence if em_confidence is None else em_confidence
    rationale = (
        opportunity.em_confidence_rationale if em_confidence_rationale is None else em_confidence_rationale
    ).strip()
    link = opportunity.scoping_issue_link if scoping_issue_link is None else scoping_issue_link

    errors: dict[str, list[ValidationError]] = {}
    if confidence not in Confidence.values:
        errors["em_confidence"] = [
            ValidationError("Choose Grey, Red, Amber or Green.", code="invalid_choice")
        ]
    elif (
        (em_confidence is not None or em_confidence_rationale is not None)
        and confidence in CONFIDENCE_NEEDS_RATIONALE
        and not rationale
    ):
        # Checked when the call or its rationale is being set, so a link-only change (e.g. from a
        # new scoping issue) is not blocked by a call that came from Salesforce without one.
        errors["em_confidence_rationale"] = [
            ValidationError(f"A rationale is required for {confidence}.", code="rationale_required")
        ]
    if len(rationale) > RATIONALE_MAX_LENGTH:
        errors["em_confidence_rationale"] = [
            ValidationError(f"Keep the rationale under {RATIONALE_MAX_LENGTH} characters.", code="max_length")
        ]
    try:
        link = validate_scoping_link(link)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)

    fresh = _claim_version(opportunity, expected_version)
    changed = [
        name
        for name, value in (
            ("em_confidence", confidence),
            ("em_confidence_rationale", rationale),
            ("scoping_issue_link", link),
        )
        if getattr(fresh, name) != value
    ]
    now = timezone.now()
    if "em_confidence" in changed or "em_confidence_rationale" in changed:
        ConfidenceEvent.objects.create(
            opportunity=fresh,
            kind=ConfidenceEvent.Kind.CHANGED,
            actor=actor,
            at=now,
            from_confidence=fresh.em_confidence,
            to_confidence=confidence,
            rationale=rationale,
        )
    fresh.em_confidence = confidence
    fresh.em_confidence_rationale = rationale
    fresh.scoping_issue_link = link
    fresh.em_reviewed_at = now
    fresh._history_user = actor  # type: ignore[attr-defined]
    fresh.save()
    if changed:
        _queue_push(fresh, changed)
    return fresh


@transaction.atomic
def opportunity_confirm_unchanged(
    *, actor: User, opportunity: Opportunity, expected_version: int
) -> Opportunity:
    """Record that the EM looked at the call this week and it still stands (clears "stale")."""
    if not access.can_edit_em_fields(actor, opportunity):
        raise PermissionDenied(
            "Only the assigned EM, their manager or an administrator may confirm the call."
        )
    fresh = _claim_version(opportunity, expected_version)
    if fresh.em_confidence in CONFIDENCE_NEEDS_RATIONALE and not fresh.em_confidence_rationale:
        raise ValidationError(
            {
                "em_confidence_rationale": ValidationError(
                    f"Add a rationale before confirming a {fresh.em_confidence} call.",
                    code="rationale_required",
                )
            }
        )
    now = timezone.now()
    ConfidenceEvent.objects.create(
        opportunity=fresh,
        kind=ConfidenceEvent.Kind.CONFIRMED,
        actor=actor,
        at=now,
        from_confidence=fresh.em_confidence,
        to_confidence=fresh.em_confidence,
        rationale=fresh.em_confidence_rationale,
    )
    fresh.em_reviewed_at = now
    fresh._history_user = actor  # type: ignore[attr-defined]
    fresh.save()
    return fresh


@transaction.atomic
def opportunity_assign_em(
    *, actor: User, opportunity: Opportunity, engagement_manager: Person, expected_version: int
) -> Opportunity:
    """Assign (or reassign) the lead EM; EM Managers for their region, or administrators."""
    if not access.can_assign_em(actor, opportunity):
        raise PermissionDenied("Only an EM Manager for this region or an administrator may assign the EM.")
    if not engagement_manager.active or engagement_manager.role not in ("engagement_manager", "em_manager"):
        raise ValidationError(
            {"engagement_manager": ValidationError("Choose an active Engagement Manager.", code="invalid_em")}
        )
    fresh = _claim_version(opportunity, expected_version)
    if fresh.engagement_manager_id == engagement_manager.pk:
        fresh.save()
        return fresh
    fresh.engagement_manager = engagement_manager
    fresh._history_user = actor  # type: ignore[attr-defined]
    fresh.save()
    _queue_push(fresh, ["engagement_manager"])
    return fresh


def _check_risk_permission(actor: User, opportunity: Opportunity) -> None:
    if not access.can_edit_em_fields(actor, opportunity):
        raise PermissionDenied("Only the assigned EM, their manager or an administrator may change risks.")


def _clean_risk(*, description: str, severity: str, owner: str) -> tuple[str, str]:
    """The trimmed description and owner; the owner is a name on one line."""
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = ValidationError("Describe the risk.", code="required")
    if severity not in Risk.Severity.values:
        errors["severity"] = ValidationError("Choose low, medium or high.", code="invalid_choice")
    try:
        owner = clean_single_line(owner, field="owner")
    except ValidationError as exc:
        errors.update({key: value[0] for key, value in exc.error_dict.items()})
    if errors:
        raise ValidationError(errors)
    return description, owner


@transaction.atomic
def risk_create(
    *,
    actor: User,
    opportunity: Opportunity,
    description: str,
    severity: str,
    mitigation: str = "",
    owner: str = "",
) -> Risk:
    _check_risk_permission(actor, opportunity)
    description, owner = _clean_risk(description=description, severity=severity, owner=owner)
    risk = Risk(
        opportunity=opportunity,
        description=description,
        severity=severity,
        mitigation=mitigation.strip(),
        owner=owner,
    )
    risk._history_user = actor  # type: ignore[attr-defined]
    risk.save()
    return risk


@transaction.atomic
def risk_update(
    *,
    actor: User,
    risk: Risk,
    description: str,
    severity: str,
    mitigation: str = "",
    owner: str = "",
    status: str | None = None,
) -> Risk:
    _check_risk_permission(actor, risk.opportunity)
    risk.description, risk.owner = _clean_risk(description=description, severity=severity, owner=owner)
    risk.severity = severity
    risk.mitigation = mitigation.strip()
    if status is not None:
        if status not in Risk.Status.values:
            raise ValidationError(
                {"status": ValidationError("Choose open or closed.", code="invalid_choice")}
            )
        risk.status = status
    risk._history_user = actor  # type: ignore[attr-defined]
    risk.save()
    return risk


@transaction.atomic
def risk_close(*, actor: User, risk: Risk) -> Risk:
    _check_risk_permission(actor, risk.opportunity)
    risk.status = Risk.Status.CLOSED
    risk._history_user = actor  # type: ignore[attr-defined]
    risk.save()
    return risk


def pending_push_retry(*, actor: AnyUser, push_ids: list[int]) -> int:
    """Send failed (or waiting) pushes again on the next sync run, e.g. after fixing a person's
    Salesforce user id or the picklist. Administrators only; returns how many were requeued."""
    if not access.can_retry_pending_push(actor):
        raise PermissionDenied("Only an administrator may retry Salesforce pushes.")
    return PendingPush.objects.filter(pk__in=push_ids).update(
        status=PendingPush.Status.PENDING,
        attempts=0,
        next_attempt_at=None,
        last_error="",
        updated_at=timezone.now(),
    )
