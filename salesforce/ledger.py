"""The values this app sent to Salesforce, per opportunity and EM field, and what came of each.

A value is written here *before* its call goes out, as "in doubt"; Salesforce's answer settles it
as applied or refused. A call that timed out, lost its connection, or whose worker died stays in
doubt: Salesforce may apply it late, even after a newer value. Finding an in-doubt value in
Salesforce that the app has since replaced is therefore the app's own echo, not a user's edit —
the newer local value stays and is pushed again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from engagements.models import Opportunity, PendingPush
from salesforce.ids import id_key
from salesforce.models import SentValue

InDoubt = dict[tuple[int, str], set[str]]


def record_sent(values: Iterable[tuple[int, str, str]], *, at: dt.datetime | None = None) -> list[int]:
    """Note (opportunity id, field, raw value) triples as sent now and in doubt; their ids."""
    at = at or timezone.now()
    rows = SentValue.objects.bulk_create(
        [
            SentValue(opportunity_id=opp_id, field=key, value=value, sent_at=at)
            for opp_id, key, value in values
        ]
    )
    return [row.pk for row in rows]


def settle(ids: Iterable[int], outcome: str) -> None:
    """Salesforce answered for these sent values: applied, or refused."""
    ids = list(ids)
    if ids:
        SentValue.objects.filter(pk__in=ids, outcome=SentValue.Outcome.IN_DOUBT).update(outcome=outcome)


def in_doubt(opportunity_ids: Iterable[int]) -> InDoubt:
    """(opportunity id, field) -> the values sent without a clear answer, for these opportunities."""
    found: InDoubt = defaultdict(set)
    rows = SentValue.objects.filter(
        opportunity_id__in=list(opportunity_ids), outcome=SentValue.Outcome.IN_DOUBT
    ).values_list("opportunity_id", "field", "value")
    for opp_id, key, value in rows:
        found[(opp_id, key)].add(value)
    return found


def is_echo(found: InDoubt, opportunity_id: int, key: str, remote: str, local: str) -> bool:
    """Salesforce holds a value this app sent without hearing back, and the app has moved on."""
    return remote != local and remote in found.get((opportunity_id, key), set())


def saved_by(own_user_id: str, modified_by_id: str) -> bool:
    """The record was last saved by the app's integration user. A value the app sent without an
    answer is its own late write only then: if a person saved the record after, the same value
    may be theirs (or they edited another field after the late write landed) — the EM decides."""
    return bool(own_user_id) and id_key(own_user_id) == id_key(modified_by_id)


def mark_seen(opportunity_id: int, key: str, value: str) -> None:
    """The oldest in-doubt send of `value` is now seen applied (it cannot land a second time)."""
    row = (
        SentValue.objects.filter(
            opportunity_id=opportunity_id, field=key, value=value, outcome=SentValue.Outcome.IN_DOUBT
        )
        .order_by("sent_at", "id")
        .first()
    )
    if row is not None:
        SentValue.objects.filter(pk=row.pk).update(outcome=SentValue.Outcome.APPLIED)


def requeue(opportunity: Opportunity, key: str, pushes: dict[int, PendingPush]) -> PendingPush:
    """Queue `key` to be pushed again (the app's newer value after an echo), inside the caller's
    transaction; `pushes` holds the outbox rows already loaded, by opportunity id."""
    push = pushes.get(opportunity.pk)
    if push is None:
        push = PendingPush.objects.create(opportunity=opportunity, fields=[key])
        pushes[opportunity.pk] = push
        return push
    push.fields = sorted(set(push.fields) | {key})
    push.status = PendingPush.Status.PENDING
    push.attempts = 0
    push.next_attempt_at = None
    push.last_error = ""
    push.save(update_fields=["fields", "status", "attempts", "next_attempt_at", "last_error", "updated_at"])
    return push


def prune(*, now: dt.datetime | None = None) -> int:
    """Forget sent values older than SALESFORCE_SENT_VALUES_KEEP_DAYS (no late write lands that late)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.SALESFORCE_SENT_VALUES_KEEP_DAYS)
    deleted, _ = SentValue.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
