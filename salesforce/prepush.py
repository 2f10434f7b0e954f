"""Before a push batch (and before every retry of it) the sync reads what Salesforce holds now:
`Id, SystemModstamp, LastModifiedById` and the EM fields about to be sent, for at most 200 ids per
query. Each field is then one of:

- already what the app sends (an earlier call that timed out was applied after all): not resent;
- what the app last knew Salesforce held, or a value the app itself sent without hearing back
  (its own late write): sent;
- anything else — someone changed it in Salesforce since the app last looked: a SyncConflict for
  the EM (Keep mine / Take Salesforce's), and the field is held, never written over.

A read Salesforce refuses as a whole (a field hidden from the integration user on one record's
field list) is split until only the record it concerns is left; that record fails with the message.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from engagements.models import Confidence, Opportunity
from people.models import Person
from salesforce import ledger
from salesforce.client import SalesforceClient
from salesforce.config import SalesforceConfig
from salesforce.errors import SalesforceRequestError
from salesforce.mapping import SOBJECT, get_path, local_em_value, parse_sf_datetime
from salesforce.models import SyncConflict

READ_CHUNK = 200
WELL_FORMED_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")


def id_key(salesforce_id: str) -> str:
    """15- and 18-character forms of an id name the same record: compare on the first 15."""
    return salesforce_id[:15]


@dataclass
class Verdict:
    """What the read says about one outgoing record."""

    send: list[str] = field(default_factory=list)  # fields still to send
    already: list[str] = field(default_factory=list)  # fields Salesforce already holds as sent
    conflicts: list[str] = field(default_factory=list)  # fields someone changed in Salesforce
    problem: str = ""  # the record cannot be read (gone, refused): it fails with this


def remote_em_value(config: SalesforceConfig, record: dict[str, Any], key: str) -> str:
    """A record's EM field as the raw string the app compares (as the pull parses it)."""
    value = record.get(config.field_map[key])
    if key == "em_confidence":
        return str(value or Confidence.GREY)
    return str(value or "")


def _soql(config: SalesforceConfig, ids: list[str], keys: set[str]) -> str:
    fields = ["Id", "IsDeleted", "SystemModstamp", "LastModifiedById"]
    fields += sorted({config.field_map[key] for key in keys})
    quoted = ", ".join(f"'{i}'" for i in ids)  # ids were checked against WELL_FORMED_ID
    return f"SELECT {', '.join(fields)} FROM {SOBJECT} WHERE Id IN ({quoted})"  # noqa: S608


Wanted = list[tuple[str, set[str]]]  # (Salesforce id, app fields to send)


def read_current(client: SalesforceClient, wanted: Wanted) -> dict[str, dict[str, Any] | str]:
    """id key -> the record as Salesforce holds it now, or why it could not be read. Absent from
    the answer: not in Salesforce (purged) or not visible to the integration user."""
    found: dict[str, dict[str, Any] | str] = {}
    for start in range(0, len(wanted), READ_CHUNK):
        _read_isolating(client, wanted[start : start + READ_CHUNK], found)
    return found


def _read_isolating(client: SalesforceClient, wanted: Wanted, found: dict[str, dict[str, Any] | str]) -> None:
    keys: set[str] = set().union(*(fields for _, fields in wanted))
    soql = _soql(client.config, [sf_id for sf_id, _ in wanted], keys)
    try:
        for page in client.query_pages(soql, include_deleted=True):
            for record in page:
                found[id_key(str(record.get("Id") or ""))] = record
    except SalesforceRequestError as exc:
        if len(wanted) == 1:
            found[id_key(wanted[0][0])] = f"Salesforce refused to read this record: {exc}"
            return
        middle = len(wanted) // 2
        _read_isolating(client, wanted[:middle], found)
        _read_isolating(client, wanted[middle:], found)


def _display(key: str, value: str, people: dict[str, Person]) -> str:
    if key == "engagement_manager":
        if not value:
            return "Unassigned"
        person = people.get(value)
        return person.name if person is not None else f"Salesforce user {value}"
    if key == "em_confidence":
        return value or Confidence.GREY
    return value or "(empty)"


@dataclass
class _Found:
    opportunity: Opportunity
    key: str
    local: str
    remote: str
    changed_at: dt.datetime | None
    local_changed_at: dt.datetime | None


def judge(
    config: SalesforceConfig,
    items: list[tuple[Opportunity, dict[str, str], dt.datetime | None]],
    current: dict[str, dict[str, Any] | str],
    *,
    own_user_id: str = "",
) -> tuple[list[Verdict], int]:
    """For each (opportunity, {field: raw value to send}, when the EM changed it) the verdict;
    conflicts found are recorded (and the Salesforce value becomes what the app knows it holds).
    Returns (verdicts, conflicts found)."""
    echoes = ledger.in_doubt([opportunity.pk for opportunity, _, _ in items])
    verdicts: list[Verdict] = []
    found: list[_Found] = []
    seen: list[tuple[int, str, str]] = []
    for opportunity, sent, local_changed_at in items:
        verdict = Verdict()
        verdicts.append(verdict)
        record = current.get(id_key(opportunity.salesforce_id or ""))
        if isinstance(record, str):
            verdict.problem = record
            continue
        if record is None:
            verdict.problem = (
                "The opportunity is not in Salesforce any more (or not visible to the integration user)."
            )
            continue
        if record.get("IsDeleted"):
            verdict.problem = "The opportunity was deleted in Salesforce; there is nothing to update."
            continue
        known = opportunity.salesforce_em_values or {}
        for key, value in sent.items():
            remote = remote_em_value(config, record, key)
            if remote == value:
                verdict.already.append(key)
                seen.append((opportunity.pk, key, value))
            elif key in known and known[key] == remote:
                verdict.send.append(key)
            elif ledger.is_echo(
                echoes, opportunity.pk, key, remote, local_em_value(opportunity, key)
            ) and ledger.saved_by(own_user_id, str(record.get("LastModifiedById") or "")):
                verdict.send.append(key)  # the app's own late write: the newer value goes
                seen.append((opportunity.pk, key, remote))
            else:
                verdict.conflicts.append(key)
                found.append(
                    _Found(
                        opportunity,
                        key,
                        local_em_value(opportunity, key),
                        remote,
                        parse_sf_datetime(get_path(record, "SystemModstamp")),
                        local_changed_at,
                    )
                )
    for opp_id, key, value in seen:
        ledger.mark_seen(opp_id, key, value)
    if found:
        _record_conflicts(found)
    return verdicts, len(found)


@transaction.atomic
def _record_conflicts(found: list[_Found]) -> None:
    """Open (or bring up to date) a conflict per field, and take the Salesforce value as the one the
    app now knows there — so Keep mine then pushes, and the pull does not raise it again."""
    now = timezone.now()
    opp_ids = {f.opportunity.pk for f in found}
    locked = {o.pk: o for o in Opportunity.objects.select_for_update().filter(pk__in=opp_ids)}
    open_conflicts = {
        (c.opportunity_id, c.field): c
        for c in SyncConflict.objects.select_for_update().filter(
            opportunity_id__in=opp_ids, status=SyncConflict.Status.OPEN
        )
    }
    user_ids = {f.remote for f in found if f.key == "engagement_manager" and f.remote}
    people = {p.salesforce_user_id or "": p for p in Person.objects.filter(salesforce_user_id__in=user_ids)}
    for item in found:
        opportunity = locked[item.opportunity.pk]
        base = dict(opportunity.salesforce_em_values or {})
        base[item.key] = item.remote
        opportunity.salesforce_em_values = base
        item.opportunity.salesforce_em_values = base
        em = item.opportunity.engagement_manager
        local_display = (
            (em.name if em is not None else "Unassigned")
            if item.key == "engagement_manager"
            else _display(item.key, item.local, people)
        )
        values = {
            "local_value": item.local,
            "local_display": local_display,
            "salesforce_value": item.remote,
            "salesforce_display": _display(item.key, item.remote, people),
            "salesforce_changed_at": item.changed_at,
        }
        conflict = open_conflicts.get((opportunity.pk, item.key))
        if conflict is None:
            SyncConflict.objects.create(
                opportunity=opportunity,
                field=item.key,
                detected_at=now,
                local_changed_at=item.local_changed_at,
                **values,
            )
        else:
            for name, value in values.items():
                setattr(conflict, name, value)
            conflict.save()
    Opportunity.objects.bulk_update(list(locked.values()), ["salesforce_em_values"])


def malformed(salesforce_id: str) -> bool:
    return not WELL_FORMED_ID.fullmatch(salesforce_id)
