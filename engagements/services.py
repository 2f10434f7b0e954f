"""Every write to opportunities, risks and the outbox of EM-field changes for Salesforce. Views, admin
actions, tasks and commands call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from core import actions
from core.exceptions import Conflict
from core.types import AnyUser
from core.validators import clean_single_line
from engagements import access
from engagements.limits import check_em_text_length, em_field_limits
from engagements.models import (
    CONFIDENCE_NEEDS_RATIONALE,
    PIPELINE_COLUMN_KEYS,
    Confidence,
    ConfidenceEvent,
    Opportunity,
    PendingPush,
    PipelinePreference,
    Risk,
    SavedFilter,
)
from engagements.selectors import last_change
from notifications.models import Kind
from notifications.services import notify
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


STALE_OPPORTUNITY = (
    "Someone else changed this opportunity while you were editing it. Nothing was saved; "
    "the current values are shown beside what you typed."
)


def _claim_version(opportunity: Opportunity, expected_version: int) -> Opportunity:
    """The opportunity locked at the version the user saw (Conflict, with the current values, if not)."""
    return actions.claim(
        Opportunity.objects.select_related("engagement_manager"),
        pk=opportunity.pk,
        expected_version=expected_version,
        stale_message=STALE_OPPORTUNITY,
        current=_current_values,
    )


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
    access.can_edit_em_fields.require(actor, opportunity)

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
    external = em_field_limits()
    too_long = check_em_text_length("em_confidence_rationale", rationale, limits=external, label="rationale")
    if too_long is not None and "em_confidence_rationale" not in errors:
        errors["em_confidence_rationale"] = [too_long]
    try:
        link = validate_scoping_link(link)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    else:
        too_long = check_em_text_length(
            "scoping_issue_link", link, limits=external, label="scoping issue link"
        )
        if too_long is not None:
            errors["scoping_issue_link"] = [too_long]
    if errors:
        raise ValidationError(errors)

    fresh = _claim_version(opportunity, expected_version)
    before = actions.snapshot(fresh)
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
    action = "changed the EM call" if "em_confidence" in changed else "updated the EM fields"
    actions.save(fresh, actor=actor, action=action, before=before)
    if changed:
        _queue_push(fresh, changed)
    return fresh


@transaction.atomic
def opportunity_confirm_unchanged(
    *, actor: User, opportunity: Opportunity, expected_version: int
) -> Opportunity:
    """Record that the EM looked at the call this week and it still stands (clears "stale")."""
    access.can_edit_em_fields.require(actor, opportunity)
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
    actions.save(fresh, actor=actor, action=f"confirmed the {fresh.em_confidence} call unchanged")
    return fresh


@transaction.atomic
def opportunity_assign_em(
    *, actor: User, opportunity: Opportunity, engagement_manager: Person, expected_version: int
) -> Opportunity:
    """Assign (or reassign) the lead EM; EM Managers for their region, or administrators."""
    access.can_assign_em.require(actor, opportunity)
    if not engagement_manager.active or engagement_manager.role not in ("engagement_manager", "em_manager"):
        raise ValidationError(
            {"engagement_manager": ValidationError("Choose an active Engagement Manager.", code="invalid_em")}
        )
    fresh = _claim_version(opportunity, expected_version)
    if fresh.engagement_manager_id == engagement_manager.pk:
        return fresh
    before = actions.snapshot(fresh)
    fresh.engagement_manager = engagement_manager
    actions.save(fresh, actor=actor, action="assigned the EM", before=before)
    _queue_push(fresh, ["engagement_manager"])
    _tell_assigned(fresh, engagement_manager=engagement_manager, actor=actor)
    return fresh


def _tell_assigned(opportunity: Opportunity, *, engagement_manager: Person, actor: User) -> None:
    """The newly assigned EM hears of it (once per assignment: the version names it)."""
    who = actor.get_full_name() or actor.get_username()
    amount = (
        f" ({opportunity.currency} {opportunity.amount:,.2f}, closing {opportunity.close_date:%d %b %Y})"
        if opportunity.amount is not None and opportunity.close_date is not None
        else ""
    )
    notify(
        recipients=[engagement_manager],
        kind=Kind.EM_ASSIGNED,
        title=f"You are the EM of {opportunity.name}",
        body=f"{who} assigned you as the Engagement Manager of {opportunity.name}{amount}.",
        link=opportunity.get_absolute_url(),
        event_key=f"em_assigned:opportunity:{opportunity.pk}:{opportunity.version}",
        actor=actor,
    )


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
    access.can_change_risks.require(actor, opportunity)
    description, owner = _clean_risk(description=description, severity=severity, owner=owner)
    risk = Risk(
        opportunity=opportunity,
        description=description,
        severity=severity,
        mitigation=mitigation.strip(),
        owner=owner,
    )
    return actions.create(risk, actor=actor, action="added a risk")


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
    access.can_change_risks.require(actor, risk.opportunity)
    risk = actions.lock(Risk.objects.select_related("opportunity"), pk=risk.pk)
    before = actions.snapshot(risk)
    risk.description, risk.owner = _clean_risk(description=description, severity=severity, owner=owner)
    risk.severity = severity
    risk.mitigation = mitigation.strip()
    if status is not None:
        if status not in Risk.Status.values:
            raise ValidationError(
                {"status": ValidationError("Choose open or closed.", code="invalid_choice")}
            )
        risk.status = status
    return actions.save(risk, actor=actor, action="changed a risk", before=before)


@transaction.atomic
def risk_close(*, actor: User, risk: Risk) -> Risk:
    access.can_change_risks.require(actor, risk.opportunity)
    risk = actions.lock(Risk.objects.select_related("opportunity"), pk=risk.pk)
    before = actions.snapshot(risk)
    risk.status = Risk.Status.CLOSED
    return actions.save(risk, actor=actor, action="closed a risk", before=before)


@transaction.atomic
def pending_push_retry(*, actor: AnyUser, push_ids: list[int]) -> int:
    """Send failed (or waiting) pushes again on the next sync run, e.g. after fixing a person's
    Salesforce user id or the picklist. Administrators only; returns how many were requeued."""
    access.can_retry_pending_push.require(actor)
    pushes = list(
        PendingPush.objects.select_for_update().filter(pk__in=push_ids).select_related("opportunity")
    )
    for push in pushes:
        actions.record(actor=actor, action="asked to retry the Salesforce push", obj=push.opportunity)
    return PendingPush.objects.filter(pk__in=[p.pk for p in pushes]).update(
        status=PendingPush.Status.PENDING,
        attempts=0,
        next_attempt_at=None,
        last_error="",
        updated_at=timezone.now(),
    )


@transaction.atomic
def opportunity_record_booking(*, actor: User, opportunity_id: int, booked_on: dt.date) -> Opportunity:
    """Record the booking date (the day its SOW was signed) on the opportunity. Called by the SOW's
    signature, which has checked who may record it; the EM's open edits stay valid (no version bump)."""
    fresh = actions.lock(Opportunity.objects.all(), pk=opportunity_id)
    if fresh.booked_on == booked_on:
        return fresh
    before = actions.snapshot(fresh)
    fresh.booked_on = booked_on
    return actions.save(fresh, actor=actor, action="recorded the booking date", before=before)


# --- Working on many rows at once -------------------------------------------------------------------


@dataclass(frozen=True)
class BulkItem:
    """One row of a bulk action: the opportunity and the version the user saw on the page."""

    opportunity_id: int
    expected_version: int


@dataclass
class BulkRefusal:
    opportunity_id: int
    name: str
    reason: str


@dataclass
class BulkResult:
    """What a bulk action did: the opportunities changed, and each one refused with its reason."""

    done: list[Opportunity] = field(default_factory=list)
    refused: list[BulkRefusal] = field(default_factory=list)


BULK_LIMIT = 200


def _bulk(
    *, actor: User, items: Sequence[BulkItem], one: Callable[[Opportunity, int], Opportunity]
) -> BulkResult:
    """Run `one` (a single-row service) for each item, each in its own savepoint: a row refused for
    its rules, its access or a stale version is reported and changes nothing; the others go through."""
    if not items:
        raise ValidationError(
            {"opportunities": ValidationError("Select at least one opportunity.", code="required")}
        )
    if len(items) > BULK_LIMIT:
        raise ValidationError(
            {
                "opportunities": ValidationError(
                    f"Select at most {BULK_LIMIT} opportunities at a time.", code="max"
                )
            }
        )
    wanted = {item.opportunity_id for item in items}
    found = Opportunity.objects.select_related("engagement_manager").in_bulk(wanted)
    result = BulkResult()
    seen: set[int] = set()
    for item in items:
        if item.opportunity_id in seen:
            continue
        seen.add(item.opportunity_id)
        opportunity = found.get(item.opportunity_id)
        if opportunity is None or not access.can_view(actor, opportunity):
            result.refused.append(
                BulkRefusal(item.opportunity_id, "An opportunity", "It is no longer there.")
            )
            continue
        try:
            with transaction.atomic():
                result.done.append(one(opportunity, item.expected_version))
        except Conflict:
            result.refused.append(
                BulkRefusal(opportunity.pk, opportunity.name, _stale_reason(opportunity.pk, actor))
            )
        except PermissionDenied as exc:
            result.refused.append(BulkRefusal(opportunity.pk, opportunity.name, str(exc)))
        except ValidationError as exc:
            result.refused.append(BulkRefusal(opportunity.pk, opportunity.name, " ".join(exc.messages)))
    return result


def _stale_reason(opportunity_id: int, actor: User) -> str:
    change = last_change(opportunity_id=opportunity_id, viewer=actor)
    if change is None:
        return "It changed since you loaded the page; nothing was saved. Reload and try again."
    return (
        f"{change.who} changed it at {change.local_at} since you loaded the page; nothing was saved. "
        "Reload and try again."
    )


def opportunities_confirm_unchanged(*, actor: User, items: Sequence[BulkItem]) -> BulkResult:
    """Confirm many calls unchanged, each with the rules and version check of
    opportunity_confirm_unchanged; the refused ones are reported, not saved."""
    return _bulk(
        actor=actor,
        items=items,
        one=lambda opportunity, version: opportunity_confirm_unchanged(
            actor=actor, opportunity=opportunity, expected_version=version
        ),
    )


def opportunities_assign_em(
    *, actor: User, items: Sequence[BulkItem], engagement_manager: Person
) -> BulkResult:
    """Assign one EM to many opportunities, each with the rules and version check of
    opportunity_assign_em; the refused ones are reported, not saved."""
    return _bulk(
        actor=actor,
        items=items,
        one=lambda opportunity, version: opportunity_assign_em(
            actor=actor,
            opportunity=opportunity,
            engagement_manager=engagement_manager,
            expected_version=version,
        ),
    )


# --- The user's own pipeline settings ---------------------------------------------------------------

# What a saved filter keeps of the list's query string: the filter, the view and the sort.
SAVED_FILTER_KEYS = frozenset(
    {"scope", "quarter", "status", "confidence", "stage", "region", "q", "stale", "sort", "hygiene"}
)
SAVED_FILTER_LIMIT = 30


def _clean_filter_query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k in SAVED_FILTER_KEYS]
    return urlencode(pairs)[:1000]


@transaction.atomic
def saved_filter_save(*, actor: User, name: str, query: str) -> SavedFilter:
    """Keep the list's filter under a name for this user (saving under a name they already use
    replaces that filter)."""
    if not actor.is_authenticated:
        raise PermissionDenied("Log in to save a filter.")
    errors = {}
    try:
        name = clean_single_line(name, field="name").strip()
    except ValidationError as exc:
        errors.update(exc.error_dict)
    else:
        if not name:
            errors["name"] = [ValidationError("Name the filter.", code="required")]
        elif len(name) > 80:
            errors["name"] = [ValidationError("Keep the name under 80 characters.", code="max_length")]
    if errors:
        raise ValidationError(errors)
    query = _clean_filter_query(query)
    existing = SavedFilter.objects.select_for_update().filter(user=actor, name=name).first()
    if existing is not None:
        before = actions.snapshot(existing)
        existing.query = query
        return actions.save(existing, actor=actor, action="changed a saved filter", before=before)
    if SavedFilter.objects.filter(user=actor).count() >= SAVED_FILTER_LIMIT:
        raise ValidationError(
            {
                "name": ValidationError(
                    f"You can keep up to {SAVED_FILTER_LIMIT} filters; delete one first.", code="max"
                )
            }
        )
    return actions.create(
        SavedFilter(user=actor, name=name, query=query), actor=actor, action="saved a filter"
    )


@transaction.atomic
def saved_filter_delete(*, actor: User, saved_filter: SavedFilter) -> None:
    """Delete one of the user's own saved filters."""
    if saved_filter.user_id != actor.pk:
        raise PermissionDenied("That saved filter is someone else's.")
    actions.delete(saved_filter, actor=actor, action="deleted a saved filter")


@transaction.atomic
def pipeline_columns_set(*, actor: User, columns: Sequence[str]) -> PipelinePreference:
    """Remember which optional columns this user sees on the pipeline (unknown keys are dropped)."""
    if not actor.is_authenticated:
        raise PermissionDenied("Log in to choose columns.")
    chosen = [key for key in PIPELINE_COLUMN_KEYS if key in set(columns)]
    preference, created = PipelinePreference.objects.select_for_update().get_or_create(
        user=actor, defaults={"columns": chosen}
    )
    if not created and preference.columns != chosen:
        preference.columns = chosen
        preference.save(update_fields=["columns", "updated_at"])
    return preference
