"""Push: the outbox of EM-field changes (PendingPush rows written by the EM-field services) goes
to Salesforce in sObject Collections PATCH calls of at most 200 records with allOrNone=false.

Before each batch, and before every retry of it, the records are read back (salesforce/prepush.py):
a field someone changed in Salesforce since the app last looked becomes a conflict and is not
sent; a field Salesforce already holds as sent (a timed-out call that was applied) is not resent.
Each value is noted in the ledger (salesforce/ledger.py) before its call goes out.

Each record carries the opportunity's current values of the fields its row lists. A success
clears the row (unless the EM changed the opportunity again meanwhile: then the newer values
go next time); UNABLE_TO_LOCK_ROW, and a call without a clear answer (timeout, 5xx), are retried
with back-off after a fresh read — never resent blind; any other record error marks the row
failed with Salesforce's message. A call Salesforce refuses as a whole (an unknown or hidden field,
a malformed id) is split until only the record it concerns fails. A field with an open conflict is
held until the EM resolves it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from engagements.models import Opportunity, PendingPush
from salesforce import ledger, prepush
from salesforce.client import SalesforceClient
from salesforce.config import EM_FIELD_KEYS, SalesforceConfig
from salesforce.errors import (
    RETRYABLE_RECORD_ERRORS,
    SalesforceError,
    SalesforceRateLimited,
    SalesforceRequestError,
    SalesforceUnavailable,
    backoff_seconds,
)
from salesforce.mapping import SOBJECT, salesforce_value
from salesforce.models import SentValue, SyncConflict, SyncCursor
from salesforce.pull import CURSOR_NAME

logger = logging.getLogger(__name__)

# One pass sends what is due; up to this many more passes retry what failed and is due again soon.
MAX_RETRY_PASSES = 3
_LOAD_BLOCK = 2000


@dataclass
class PushResult:
    pushed: int = 0
    failed: int = 0
    retried: int = 0
    calls: int = 0
    held_ids: set[int] = field(default_factory=set)
    skipped: int = 0
    stopped_by: SalesforceError | None = None
    conflicts: int = 0  # found by the read before a batch
    already_there: int = 0  # records Salesforce already held as sent (not resent)
    isolated_calls: int = 0  # extra calls made to split a batch Salesforce refused as a whole

    @property
    def held(self) -> int:
        return len(self.held_ids)


@dataclass
class _Outgoing:
    push_id: int
    updated_at: dt.datetime
    opportunity: Opportunity
    fields: list[str]
    sent: dict[str, str]  # app field -> the raw value Salesforce will hold
    record: dict[str, Any]
    sent_ids: list[int] = field(default_factory=list)  # ledger rows of the values in `record`


# A removed opportunity is never pushed again; its outbox row says why.
REMOVED_PROBLEMS = {
    "out_of_scope": (
        "The opportunity no longer matches the sync's condition in Salesforce; nothing is sent to it."
    ),
    "purged": "The opportunity was purged from Salesforce; there is nothing to update.",
}


def _due(now: dt.datetime) -> Q:
    return Q(status=PendingPush.Status.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def _blocks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _update_if_unchanged(push: PendingPush, **values: Any) -> None:
    """Write bookkeeping only if the EM has not touched the row since it was read."""
    PendingPush.objects.filter(pk=push.pk, updated_at=push.updated_at).update(**values)


def _prepare(
    config: SalesforceConfig, ids: list[int], result: PushResult, *, dry_run: bool
) -> list[_Outgoing]:
    outgoing: list[_Outgoing] = []
    for block in _blocks(ids, _LOAD_BLOCK):
        pushes = list(
            PendingPush.objects.filter(pk__in=block)
            .select_related("opportunity", "opportunity__engagement_manager")
            .order_by("pk")
        )
        held = set(
            SyncConflict.objects.filter(
                opportunity_id__in=[p.opportunity_id for p in pushes], status=SyncConflict.Status.OPEN
            ).values_list("opportunity_id", "field")
        )
        for push in pushes:
            item = _outgoing_for(config, push, held, result, dry_run=dry_run)
            if item is not None:
                outgoing.append(item)
    return outgoing


def _outgoing_for(
    config: SalesforceConfig,
    push: PendingPush,
    held: set[tuple[int, str]],
    result: PushResult,
    *,
    dry_run: bool,
) -> _Outgoing | None:
    opportunity = push.opportunity
    if not opportunity.salesforce_id:
        # Created in PS Pipeline: there is no Salesforce record to update.
        result.skipped += 1
        if not dry_run:
            PendingPush.objects.filter(pk=push.pk, updated_at=push.updated_at).delete()
        return None
    problem = ""
    fields = [f for f in push.fields if f in EM_FIELD_KEYS and (opportunity.pk, f) not in held]
    if opportunity.removed_in_salesforce_at is not None:
        problem = REMOVED_PROBLEMS.get(
            opportunity.removed_in_salesforce_reason,
            "The opportunity was deleted in Salesforce; there is nothing to update.",
        )
    elif prepush.malformed(opportunity.salesforce_id):
        problem = (
            f"{opportunity.salesforce_id!r} is not a Salesforce record id (15 or 18 letters and digits)."
        )
    elif not fields:
        result.held_ids.add(push.pk)
        return None
    elif "engagement_manager" in fields:
        em = opportunity.engagement_manager
        if em is not None and not em.salesforce_user_id:
            problem = (
                f"{em.name} has no Salesforce user id: add it to their person record, then retry the push."
            )
    if problem:
        result.failed += 1
        if not dry_run:
            _update_if_unchanged(
                push,
                status=PendingPush.Status.FAILED,
                attempts=push.attempts + 1,
                next_attempt_at=None,
                last_error=problem,
            )
        return None
    sent: dict[str, str] = {}
    record: dict[str, Any] = {"attributes": {"type": SOBJECT}, "id": opportunity.salesforce_id}
    for key in fields:
        value = salesforce_value(opportunity, key)
        record[config.field_map[key]] = value
        sent[key] = value or ""
    return _Outgoing(push.pk, push.updated_at, opportunity, fields, sent, record)


def _narrowed(config: SalesforceConfig, item: _Outgoing, send: list[str], already: list[str]) -> _Outgoing:
    """The item with only `send` in its record; `already` (held by Salesforce as sent) is cleared
    with it on success, without being written again."""
    record: dict[str, Any] = {"attributes": {"type": SOBJECT}, "id": item.opportunity.salesforce_id}
    for key in send:
        record[config.field_map[key]] = item.sent[key] or None
    fields = [f for f in item.fields if f in send or f in already]
    sent = {key: item.sent[key] for key in fields}
    return _Outgoing(item.push_id, item.updated_at, item.opportunity, fields, sent, record)


def _verify(client: SalesforceClient, chunk: list[_Outgoing], result: PushResult) -> list[_Outgoing]:
    """Read the chunk's records back; record conflicts, clear what Salesforce already holds, fail
    what cannot be read; the records (narrowed to their fields) still to send."""
    config = client.config
    current = prepush.read_current(
        client, [(item.opportunity.salesforce_id or "", set(item.fields)) for item in chunk]
    )
    verdicts, conflicts = prepush.judge(
        config,
        [(item.opportunity, item.sent, item.updated_at) for item in chunk],
        current,
        own_user_id=client.user_id,
    )
    result.conflicts += conflicts
    to_send: list[_Outgoing] = []
    settled: list[_Outgoing] = []
    problems: list[tuple[_Outgoing, str]] = []
    for item, verdict in zip(chunk, verdicts, strict=True):
        if verdict.problem:
            problems.append((item, verdict.problem))
            continue
        if verdict.conflicts:
            result.held_ids.add(item.push_id)
        if verdict.send:
            to_send.append(_narrowed(config, item, verdict.send, verdict.already))
        elif verdict.already:
            settled.append(_narrowed(config, item, [], verdict.already))
    if settled:
        result.already_there += len(settled)
        _apply_results(config, settled, [{"success": True, "errors": []} for _ in settled], result)
    if problems:
        _fail_each(problems, result)
    return to_send


def _deferred(message: str, *, rate_limited: bool = False) -> dict[str, Any]:
    return {"success": False, "errors": [], "deferred": message, "rate_limited": rate_limited}


def _send_isolating(
    client: SalesforceClient, chunk: list[_Outgoing], result: PushResult, *, top: bool = True
) -> list[dict[str, Any]]:
    """Send the chunk; one answer per record. A call refused as a whole is split in halves (down
    to single-record PATCHes) so only the record it concerns fails; a call without a clear answer
    defers its records, to be read back before they are sent again."""
    try:
        if not top:
            result.isolated_calls += 1
        return _send(client, chunk, result)
    except SalesforceRateLimited as exc:
        return [_deferred(f"Salesforce API limit reached: {exc}", rate_limited=True) for _ in chunk]
    except SalesforceUnavailable as exc:
        message = f"No clear answer from Salesforce ({exc}); read back before sending again."
        return [_deferred(message) for _ in chunk]
    except SalesforceRequestError as exc:
        if len(chunk) == 1:
            code = exc.code or "REQUEST_REFUSED"
            text = str(exc).removeprefix(f"{exc.code}: ") if exc.code else str(exc)
            return [{"success": False, "errors": [{"statusCode": code, "message": text}]}]
        middle = len(chunk) // 2
        return _send_isolating(client, chunk[:middle], result, top=False) + _send_isolating(
            client, chunk[middle:], result, top=False
        )


def _send_batch(client: SalesforceClient, chunk: list[_Outgoing], result: PushResult) -> list[dict[str, Any]]:
    """Note the values in the ledger (committed before the call goes out), send, settle them."""
    triples = [
        (item.opportunity.pk, key, item.sent[key])
        for item in chunk
        for key in item.fields
        if client.config.field_map[key] in item.record
    ]
    ids = iter(ledger.record_sent(triples))
    for item in chunk:
        item.sent_ids = [next(ids) for key in item.fields if client.config.field_map[key] in item.record]
    answers = _send_isolating(client, chunk, result)
    applied: list[int] = []
    refused: list[int] = []
    for item, answer in zip(chunk, answers, strict=False):
        if answer.get("success"):
            applied += item.sent_ids
        elif answer.get("deferred") is None or answer.get("rate_limited"):
            refused += item.sent_ids  # a clear no: it cannot land later
    ledger.settle(applied, SentValue.Outcome.APPLIED)
    ledger.settle(refused, SentValue.Outcome.REFUSED)
    return answers


def _send(client: SalesforceClient, chunk: list[_Outgoing], result: PushResult) -> list[dict[str, Any]]:
    result.calls += 1
    if len(chunk) == 1:
        return [client.update_record(chunk[0].record)]
    return client.update_records([item.record for item in chunk])


def _defer(
    config: SalesforceConfig,
    chunk: list[_Outgoing],
    message: str,
    *,
    count: bool,
    until: dt.datetime | None = None,
) -> None:
    """Put rows back for later after a failed call: with exponential back-off and a counted
    attempt, or (rate limit: the org refused everything) uncounted until `until`."""
    now = timezone.now()
    rows = PendingPush.objects.filter(pk__in=[item.push_id for item in chunk])
    stamps = {item.push_id: item.updated_at for item in chunk}
    for row in rows:
        if row.updated_at != stamps[row.pk]:
            continue
        attempts = row.attempts + 1 if count else row.attempts
        next_at = until or now + dt.timedelta(seconds=backoff_seconds(config, max(0, attempts - 1)))
        _update_if_unchanged(row, attempts=attempts, next_attempt_at=next_at, last_error=message[:2000])


def _error_message(errors: list[dict[str, Any]]) -> tuple[list[str], str]:
    codes = [str(e.get("statusCode") or "UNKNOWN_ERROR") for e in errors] or ["UNKNOWN_ERROR"]
    parts = []
    for error in errors or [{}]:
        text = f"{error.get('statusCode') or 'UNKNOWN_ERROR'}: {error.get('message') or 'no message'}"
        if error.get("fields"):
            text += f" ({', '.join(map(str, error['fields']))})"
        parts.append(text)
    return codes, "; ".join(parts)


@transaction.atomic
def _apply_results(
    config: SalesforceConfig, chunk: list[_Outgoing], answers: list[dict[str, Any]], result: PushResult
) -> None:
    now = timezone.now()
    rows = {
        row.pk: row
        for row in PendingPush.objects.select_for_update().filter(pk__in=[item.push_id for item in chunk])
    }
    done: list[int] = []
    row_updates: list[PendingPush] = []
    opportunities: list[Opportunity] = []
    for item, answer in zip(chunk, answers, strict=False):
        row = rows.get(item.push_id)
        unchanged = row is not None and row.updated_at == item.updated_at
        if answer.get("success"):
            result.pushed += 1
            opportunity = item.opportunity
            opportunity.salesforce_em_values = {**(opportunity.salesforce_em_values or {}), **item.sent}
            opportunity.last_synced_at = now
            opportunities.append(opportunity)
            if row is None or not unchanged:
                continue  # changed again meanwhile: the newer values go next time
            remaining = [f for f in row.fields if f not in item.fields]
            if remaining:
                row.fields, row.attempts, row.next_attempt_at, row.last_error = remaining, 0, None, ""
                row_updates.append(row)
            else:
                done.append(row.pk)
            continue
        if row is None or not unchanged:
            continue
        if answer.get("deferred") is not None:
            message = str(answer["deferred"])
            if answer.get("rate_limited"):
                delay = backoff_seconds(config, 0, rate_limited=True)
            else:
                row.attempts += 1
                delay = backoff_seconds(config, row.attempts - 1)
            if row.attempts >= config.push_max_attempts:
                row.status = PendingPush.Status.FAILED
                row.next_attempt_at = None
                row.last_error = f"Gave up after {row.attempts} attempts: {message}"[:2000]
                result.failed += 1
            else:
                row.next_attempt_at = now + dt.timedelta(seconds=delay)
                row.last_error = message[:2000]
                result.retried += 1
            row_updates.append(row)
            continue
        codes, message = _error_message(answer.get("errors") or [])
        row.attempts += 1
        retryable = all(code in RETRYABLE_RECORD_ERRORS for code in codes)
        if retryable and row.attempts < config.push_max_attempts:
            delay = backoff_seconds(config, row.attempts - 1)
            row.next_attempt_at = now + dt.timedelta(seconds=delay)
            row.last_error = message[:2000]
            result.retried += 1
        else:
            row.status = PendingPush.Status.FAILED
            row.next_attempt_at = None
            row.last_error = (
                message if not retryable else f"Gave up after {row.attempts} attempts: {message}"
            )[:2000]
            result.failed += 1
        row_updates.append(row)
    if len(answers) < len(chunk):
        logger.error("Salesforce answered %s results for %s records", len(answers), len(chunk))
    PendingPush.objects.filter(pk__in=done).delete()
    if row_updates:
        PendingPush.objects.bulk_update(
            row_updates, ["fields", "status", "attempts", "next_attempt_at", "last_error"]
        )
    if opportunities:
        Opportunity.objects.bulk_update(opportunities, ["salesforce_em_values", "last_synced_at"])


def _pause_sync(until: dt.datetime, message: str) -> None:
    SyncCursor.objects.update_or_create(
        name=CURSOR_NAME, defaults={"paused_until": until, "last_error": message[:2000]}
    )


def pending_count(*, now: dt.datetime | None = None) -> int:
    return PendingPush.objects.filter(_due(now or timezone.now())).count()


def push(client: SalesforceClient, *, dry_run: bool = False) -> PushResult:
    """Send every due outbox row; wait in this run for retries due within
    SALESFORCE_PUSH_RETRY_WAIT_SECONDS. Stops early (result.stopped_by) when Salesforce is down or
    the API limit is used up; those rows wait with back-off."""
    config = client.config
    result = PushResult()
    if not dry_run:
        ledger.prune()
    for retry_pass in range(MAX_RETRY_PASSES + 1):
        now = timezone.now()
        ids = list(PendingPush.objects.filter(_due(now)).order_by("pk").values_list("pk", flat=True))
        ids = [pk for pk in ids if pk not in result.held_ids]
        outgoing = _prepare(config, ids, result, dry_run=dry_run)
        if dry_run:
            result.pushed = len(outgoing)
            return result
        for index in range(0, len(outgoing), config.batch_size):
            chunk = outgoing[index : index + config.batch_size]
            try:
                chunk = _verify(client, chunk, result)
            except SalesforceRateLimited as exc:
                _stop_for_rate_limit(config, outgoing[index:], exc, result)
                return result
            except SalesforceUnavailable as exc:
                _defer(config, chunk, str(exc), count=True)
                result.stopped_by = exc
                return result
            if not chunk:
                continue
            answers = _send_batch(client, chunk, result)
            _apply_results(config, chunk, answers, result)
            limited = next((a for a in answers if a.get("rate_limited")), None)
            if limited is not None:
                rest = outgoing[index + config.batch_size :]
                _stop_for_rate_limit(config, rest, SalesforceRateLimited(str(limited["deferred"])), result)
                return result
        if retry_pass == MAX_RETRY_PASSES:
            break
        # Rows that failed in this pass carry their retry time (perhaps already due).
        soonest = PendingPush.objects.filter(
            status=PendingPush.Status.PENDING, next_attempt_at__isnull=False
        ).aggregate(at=Min("next_attempt_at"))["at"]
        if soonest is None:
            break
        wait = (soonest - timezone.now()).total_seconds()
        if wait > config.push_retry_wait:
            break
        client.sleep(max(0.0, wait))
    return result


def _stop_for_rate_limit(
    config: SalesforceConfig, rest: list[_Outgoing], exc: SalesforceRateLimited, result: PushResult
) -> None:
    message = (
        str(exc) if str(exc).startswith("Salesforce API limit") else f"Salesforce API limit reached: {exc}"
    )
    until = timezone.now() + dt.timedelta(seconds=backoff_seconds(config, 0, rate_limited=True))
    _defer(config, rest, message, count=False, until=until)
    _pause_sync(until, message)
    result.stopped_by = exc


def _fail_each(problems: list[tuple[_Outgoing, str]], result: PushResult) -> None:
    """Mark each row failed with its own message (unless the EM changed it meanwhile)."""
    messages = {item.push_id: message for item, message in problems}
    stamps = {item.push_id: item.updated_at for item, _ in problems}
    for row in PendingPush.objects.filter(pk__in=list(messages)):
        if row.updated_at == stamps[row.pk]:
            result.failed += 1
            _update_if_unchanged(
                row,
                status=PendingPush.Status.FAILED,
                attempts=row.attempts + 1,
                next_attempt_at=None,
                last_error=messages[row.pk][:2000],
            )
