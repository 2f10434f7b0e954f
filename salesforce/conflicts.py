"""Resolving a sync conflict: the EM keeps the app's value (it is pushed on the next run) or takes
Salesforce's (the app's value changes and nothing is pushed for that field). Same permission as
editing the EM fields."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import actions
from core.exceptions import Conflict
from engagements.models import Confidence, ConfidenceEvent, Opportunity, PendingPush
from engagements.services import validate_scoping_link
from people.models import Person
from salesforce import access
from salesforce.models import SyncConflict

KEEP_MINE = "mine"
TAKE_SALESFORCE = "salesforce"
CHOICES = (KEEP_MINE, TAKE_SALESFORCE)


def _requeue(opportunity: Opportunity, field: str) -> None:
    push, created = PendingPush.objects.select_for_update().get_or_create(
        opportunity=opportunity, defaults={"fields": [field]}
    )
    if not created:
        push.fields = sorted(set(push.fields) | {field})
        push.status = PendingPush.Status.PENDING
        push.attempts = 0
        push.next_attempt_at = None
        push.last_error = ""
        push.save()


def _drop_from_outbox(opportunity: Opportunity, field: str) -> None:
    push = PendingPush.objects.select_for_update().filter(opportunity=opportunity).first()
    if push is None or field not in push.fields:
        return
    remaining = [f for f in push.fields if f != field]
    if remaining:
        push.fields = remaining
        push.save()
    else:
        push.delete()


def _take_salesforce_value(*, actor: User, conflict: SyncConflict, opportunity_id: int) -> None:
    # Lock the row and move its version on before the values are read, so an EM's concurrent save
    # can neither be overwritten here nor overwrite this.
    opportunity = actions.lock(
        Opportunity.objects.select_related("engagement_manager"), pk=opportunity_id, bump=True
    )
    snapshot = actions.snapshot(opportunity)
    key = conflict.field
    value = conflict.salesforce_value
    now = timezone.now()
    before = (opportunity.em_confidence, opportunity.em_confidence_rationale)
    if key == SyncConflict.Field.ENGAGEMENT_MANAGER:
        person = Person.objects.filter(salesforce_user_id=value).first() if value else None
        if value and person is None:
            raise ValidationError(
                "The Engagement Manager in Salesforce is not linked to anyone in PS Pipeline: add "
                f"their Salesforce user id ({value}) to their person record first.",
                code="unknown_salesforce_user",
            )
        opportunity.engagement_manager = person
    elif key == SyncConflict.Field.EM_CONFIDENCE:
        if value not in Confidence.values:
            raise ValidationError(f"{value!r} is not an EM confidence.", code="invalid_choice")
        opportunity.em_confidence = value
    elif key == SyncConflict.Field.SCOPING_ISSUE_LINK:
        opportunity.scoping_issue_link = validate_scoping_link(value)
    else:
        opportunity.em_confidence_rationale = value
    if (opportunity.em_confidence, opportunity.em_confidence_rationale) != before:
        ConfidenceEvent.objects.create(
            opportunity=opportunity,
            kind=ConfidenceEvent.Kind.CHANGED,
            actor=actor,
            at=now,
            from_confidence=before[0],
            to_confidence=opportunity.em_confidence,
            rationale=opportunity.em_confidence_rationale,
        )
    opportunity._change_reason = "Sync conflict: took the Salesforce value"  # type: ignore[attr-defined]  # read by django-simple-history
    actions.save(
        opportunity, actor=actor, action="took Salesforce's value in a sync conflict", before=snapshot
    )
    _drop_from_outbox(opportunity, key)


@transaction.atomic
def sync_conflict_resolve(*, actor: User, conflict: SyncConflict, choice: str) -> SyncConflict:
    """Keep the app's value ("mine": pushed on the next run) or take Salesforce's ("salesforce").

    Only the assigned EM, their manager or an administrator; a conflict is resolved once.
    """
    if choice not in CHOICES:
        raise ValidationError("Choose to keep your value or take Salesforce's.", code="invalid_choice")
    locked = SyncConflict.objects.select_for_update().filter(pk=conflict.pk).first()
    if locked is None:
        raise ValidationError("That conflict no longer exists.", code="missing")
    opportunity = Opportunity.objects.select_related("engagement_manager").get(pk=locked.opportunity_id)
    access.can_resolve_sync_conflict.require(actor, opportunity)
    if locked.status != SyncConflict.Status.OPEN:
        raise Conflict("This conflict was already resolved; the page shows the current values.")
    if choice == KEEP_MINE:
        _requeue(opportunity, locked.field)
        locked.resolution = SyncConflict.Resolution.KEEP_LOCAL
        actions.record(
            actor=actor,
            action=f"kept the PS Pipeline {locked.get_field_display()} in a sync conflict",
            obj=opportunity,
            note=f"Salesforce had: {locked.salesforce_value or '—'}",
        )
    else:
        _take_salesforce_value(actor=actor, conflict=locked, opportunity_id=opportunity.pk)
        locked.resolution = SyncConflict.Resolution.TAKE_SALESFORCE
    locked.status = SyncConflict.Status.RESOLVED
    locked.resolved_by = actor
    locked.resolved_at = timezone.now()
    locked.save()
    return locked
