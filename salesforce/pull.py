"""Pull: opportunities changed in Salesforce since the watermark (with a small overlap), through
queryAll so deletions come too, page by page. Each page is upserted in bulk in one transaction
that also moves the watermark, so the watermark never passes a record that was not committed.

EM fields are merged three ways against `Opportunity.salesforce_em_values` (what Salesforce last
held): a value Salesforce changed is taken in unless the app has a change to that field still
waiting to be pushed; then, if the two differ, a SyncConflict is recorded for the EM to resolve.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from engagements.models import (
    Account,
    Confidence,
    ConfidenceEvent,
    Opportunity,
    PendingPush,
    RemovalReason,
)
from engagements.services import validate_scoping_link
from people.models import Person
from salesforce.client import SalesforceClient
from salesforce.config import EM_FIELD_KEYS, SalesforceConfig
from salesforce.ids import id_forms, id_key
from salesforce.mapping import (
    COMMERCIAL_FIELDS,
    PulledOpportunity,
    build_opportunity_query,
    local_em_value,
    parse_record,
)
from salesforce.models import SyncConflict, SyncCursor
from salesforce.trail import PullTrail

logger = logging.getLogger(__name__)

CURSOR_NAME = "opportunities"
CHANGE_REASON = "Salesforce sync"
NO_ACCOUNT_NAME = "(No account in Salesforce)"

# Written when the data changed (with a history row); bookkeeping alone is written without one.
DATA_FIELDS = [
    *COMMERCIAL_FIELDS,
    "account",
    "region",
    "removed_in_salesforce_at",
    "removed_in_salesforce_reason",
    "engagement_manager",
    "em_confidence",
    "em_confidence_rationale",
    "scoping_issue_link",
    "version",
    "last_synced_at",
    "sf_last_modified",
    "salesforce_em_values",
]
BOOKKEEPING_FIELDS = ["sf_last_modified", "salesforce_em_values"]


@dataclass
class PullResult:
    pulled: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    conflicts: int = 0
    unmatched_em: int = 0
    pages: int = 0


def sync_cursor() -> SyncCursor:
    cursor, _ = SyncCursor.objects.get_or_create(name=CURSOR_NAME)
    return cursor


def pull_query(config: SalesforceConfig, *, full: bool = False) -> str:
    """The SOQL the next pull sends: everything on the first (or a --full) run."""
    cursor = SyncCursor.objects.filter(name=CURSOR_NAME).first()
    since = None
    if not full and cursor is not None and cursor.watermark is not None:
        since = cursor.watermark - dt.timedelta(seconds=config.overlap_seconds)
    return build_opportunity_query(config, since)


def pull(
    client: SalesforceClient,
    *,
    full: bool = False,
    dry_run: bool = False,
    result: PullResult | None = None,
) -> PullResult:
    """Read every changed opportunity page by page and apply each page in its own transaction.

    With dry_run each page's transaction is rolled back, so the counts are real and nothing changes.
    Pass `result` to keep the counts of the pages committed before an error.
    """
    result = result if result is not None else PullResult()
    soql = pull_query(client.config, full=full)
    for records in client.query_pages(soql, include_deleted=True):
        result.pages += 1
        if records:
            _apply_page(client.config, records, result, dry_run=dry_run, own_user_id=client.user_id)
    return result


class _People:
    """Person lookups for one page: by pk (local EMs), Salesforce user id and email."""

    def __init__(self, pulled: list[PulledOpportunity], opportunities: list[Opportunity]) -> None:
        # A person's Salesforce user id may be stored in its 15- or 18-character form.
        user_ids = {form for p in pulled for form in id_forms(p.em["engagement_manager"]) if form}
        emails = {p.em_email for p in pulled if p.em_email}
        pks = {o.engagement_manager_id for o in opportunities if o.engagement_manager_id}
        query = Q(pk__in=pks) | Q(salesforce_user_id__in=user_ids)
        for email in emails:
            query |= Q(email__iexact=email)
        people = list(Person.objects.filter(query)) if (user_ids or emails or pks) else []
        self.by_pk = {p.pk: p for p in people}
        self.by_user_id = {id_key(p.salesforce_user_id): p for p in people if p.salesforce_user_id}
        self.by_email = {p.email.lower(): p for p in people}
        self.learned: list[Person] = []

    def match(self, user_id: str, email: str) -> Person | None:
        """The Person for a Salesforce user id, else by email (remembering the id for next time)."""
        if not user_id:
            return None
        person = self.by_user_id.get(id_key(user_id))
        if person is None and email:
            person = self.by_email.get(email)
            if person is not None and not person.salesforce_user_id:
                person.salesforce_user_id = user_id
                self.by_user_id[id_key(user_id)] = person
                self.learned.append(person)
        return person

    def attach(self, opportunity: Opportunity) -> None:
        """Set the loaded EM on the opportunity so reading it issues no query."""
        if opportunity.engagement_manager_id:
            person = self.by_pk.get(opportunity.engagement_manager_id)
            if person is not None:
                opportunity.engagement_manager = person


def _display(key: str, value: str, person: Person | None = None, email: str = "") -> str:
    if key == "engagement_manager":
        if not value:
            return "Unassigned"
        if person is not None:
            return person.name
        return f"Salesforce user {value}" + (f" <{email}>" if email else "")
    if key == "em_confidence":
        return value or Confidence.GREY
    return value or "(empty)"


def _upsert_accounts(pulled: list[PulledOpportunity]) -> dict[str, Account]:
    names = {p.account_id: p.account_name for p in pulled if p.account_id}
    accounts = {a.salesforce_id or "": a for a in Account.objects.filter(salesforce_id__in=list(names))}
    changed = []
    for sf_id, account in accounts.items():
        name = (names[sf_id] or account.name)[:255]
        if account.name != name:
            account.name = name
            changed.append(account)
    new = [
        Account(salesforce_id=sf_id, name=(name or sf_id)[:255])
        for sf_id, name in names.items()
        if sf_id not in accounts
    ]
    if new:
        for account in bulk_create_with_history(new, Account, default_change_reason=CHANGE_REASON):
            accounts[account.salesforce_id or ""] = account
    if changed:
        bulk_update_with_history(changed, Account, ["name"], default_change_reason=CHANGE_REASON)
    if any(not p.account_id for p in pulled):
        placeholder = Account.objects.filter(salesforce_id=None, name=NO_ACCOUNT_NAME).first()
        accounts[""] = placeholder or Account.objects.create(name=NO_ACCOUNT_NAME)
    return accounts


def _safe_link(value: str) -> str:
    """Only http(s) links reach the page; anything else from Salesforce is dropped here."""
    try:
        return validate_scoping_link(value)[:500]
    except ValidationError:
        return ""


class _PageMerge:
    """Applies one page: builds the new, changed and bookkeeping-only rows, conflicts and events."""

    def __init__(self, result: PullResult, now: dt.datetime) -> None:
        self.result = result
        self.now = now
        self.events: list[ConfidenceEvent] = []
        self.new_conflicts: list[SyncConflict] = []
        self.changed_conflicts: list[SyncConflict] = []
        self.trail: PullTrail | None = None  # echoes and who changed what (salesforce/trail.py)

    def take_em_value(
        self, opportunity: Opportunity, key: str, remote: str, people: _People, email: str
    ) -> bool:
        """Set one EM field to Salesforce's value; False when it cannot be represented here."""
        if key == "engagement_manager":
            person = people.match(remote, email)
            if remote and person is None:
                self.result.unmatched_em += 1
                logger.info(
                    "Salesforce EM %s on %s matches no person; left as it is",
                    remote,
                    opportunity.salesforce_id,
                )
                return False
            opportunity.engagement_manager = person
            return True
        if key == "em_confidence" and remote not in Confidence.values:
            logger.info("Unknown EM confidence %r on %s ignored", remote, opportunity.salesforce_id)
            return False
        value = _safe_link(remote) if key == "scoping_issue_link" else remote
        setattr(opportunity, key, value)
        return True

    def merge_em(
        self,
        opportunity: Opportunity,
        pulled: PulledOpportunity,
        push: PendingPush | None,
        conflicts: dict[tuple[int, str], SyncConflict],
        people: _People,
    ) -> set[str]:
        """Three-way merge of the EM fields; returns the attributes that changed locally."""
        base = dict(opportunity.salesforce_em_values or {})
        changed: set[str] = set()
        before = (opportunity.em_confidence, opportunity.em_confidence_rationale)
        for key in EM_FIELD_KEYS:
            remote = pulled.em[key]
            if key in base and base[key] == remote:
                continue  # Salesforce did not change it
            local = local_em_value(opportunity, key)
            conflict = conflicts.get((opportunity.pk, key))
            if self.trail is not None and self.trail.is_echo(opportunity.pk, key, remote, local):
                base[key] = remote
                if self.trail.saved_by_app(pulled):
                    # The app's own write that landed late, after a newer one: not a Salesforce change.
                    self.trail.echo(opportunity, key)
                else:
                    # A value the app once sent without an answer, but someone saved the record
                    # since: it may be their edit, so neither side wins silently.
                    self._record_conflict(opportunity, key, local, remote, pulled, push, conflict, people)
                continue
            pending = push is not None and key in (push.fields or [])
            if pending:
                base[key] = remote
                if local == remote:
                    if conflict is not None:  # both sides now agree
                        self._close(conflict, SyncConflict.Resolution.KEEP_LOCAL)
                    continue
                self._record_conflict(opportunity, key, local, remote, pulled, push, conflict, people)
                continue
            if conflict is not None:  # nothing of ours waits any more: Salesforce's value stands
                self._close(conflict, SyncConflict.Resolution.TAKE_SALESFORCE)
            if local == remote:
                base[key] = remote
                continue
            before_shown = self._shown(opportunity, key)
            if self.take_em_value(opportunity, key, remote, people, pulled.em_email):
                base[key] = remote
                if local_em_value(opportunity, key) != local:
                    changed.add(key)
                    if self.trail is not None:
                        self.trail.took(opportunity, key, before_shown, self._shown(opportunity, key), pulled)
        if (opportunity.em_confidence, opportunity.em_confidence_rationale) != before:
            self.events.append(
                ConfidenceEvent(
                    opportunity=opportunity,
                    kind=ConfidenceEvent.Kind.CHANGED,
                    actor=None,
                    at=self.now,
                    from_confidence=before[0],
                    to_confidence=opportunity.em_confidence,
                    rationale=opportunity.em_confidence_rationale,
                )
            )
        opportunity.salesforce_em_values = base
        return changed

    @staticmethod
    def _shown(opportunity: Opportunity, key: str) -> str:
        if key == "engagement_manager":
            em = opportunity.engagement_manager
            return em.name if em is not None else "Unassigned"
        return str(getattr(opportunity, key) or "")

    def _record_conflict(
        self,
        opportunity: Opportunity,
        key: str,
        local: str,
        remote: str,
        pulled: PulledOpportunity,
        push: PendingPush | None,
        conflict: SyncConflict | None,
        people: _People,
    ) -> None:
        local_display = (
            (opportunity.engagement_manager.name if opportunity.engagement_manager else "Unassigned")
            if key == "engagement_manager"
            else _display(key, local)
        )
        remote_person = people.match(remote, pulled.em_email) if key == "engagement_manager" else None
        remote_display = _display(key, remote, remote_person, pulled.em_email)
        if conflict is not None:
            if conflict.salesforce_value == remote and conflict.local_value == local:
                return
            conflict.local_value, conflict.local_display = local, local_display
            conflict.salesforce_value, conflict.salesforce_display = remote, remote_display
            conflict.salesforce_changed_at = pulled.modstamp
            conflict.local_changed_at = push.updated_at if push else None
            self.changed_conflicts.append(conflict)
            self.result.conflicts += 1
            return
        self.new_conflicts.append(
            SyncConflict(
                opportunity=opportunity,
                field=key,
                local_value=local,
                local_display=local_display,
                salesforce_value=remote,
                salesforce_display=remote_display,
                local_changed_at=push.updated_at if push else None,
                salesforce_changed_at=pulled.modstamp,
                detected_at=self.now,
            )
        )
        self.result.conflicts += 1

    def _close(self, conflict: SyncConflict, resolution: str) -> None:
        conflict.status = SyncConflict.Status.RESOLVED
        conflict.resolution = resolution
        conflict.resolved_at = self.now
        self.changed_conflicts.append(conflict)


def _new_opportunity(
    pulled: PulledOpportunity, account: Account, people: _People, result: PullResult, now: dt.datetime
) -> Opportunity:
    em_user = pulled.em["engagement_manager"]
    person = people.match(em_user, pulled.em_email)
    base = dict(pulled.em)
    if em_user and person is None:
        result.unmatched_em += 1
        base.pop("engagement_manager")  # taken in once that user is linked to a person
    confidence = pulled.em["em_confidence"]
    return Opportunity(
        salesforce_id=pulled.salesforce_id,
        account=account,
        region_id=account.region_id,
        close_date=pulled.commercial.get("close_date") or now.date(),
        engagement_manager=person,
        em_confidence=confidence if confidence in Confidence.values else Confidence.GREY,
        em_confidence_rationale=pulled.em["em_confidence_rationale"],
        scoping_issue_link=_safe_link(pulled.em["scoping_issue_link"]),
        sf_last_modified=pulled.modstamp,
        last_synced_at=now,
        salesforce_em_values=base,
        **{k: v for k, v in pulled.commercial.items() if k != "close_date"},
    )


def _apply_page(
    config: SalesforceConfig,
    records: list[dict[str, Any]],
    result: PullResult,
    *,
    dry_run: bool,
    own_user_id: str = "",
) -> None:
    now = timezone.now()
    pulled = [parse_record(config, record) for record in records]
    result.pulled += len(pulled)
    with transaction.atomic():
        cursor = sync_cursor()
        # Write first: SQLite then holds its write lock for the whole page (PostgreSQL locks the
        # page's rows below), so an EM's edit is never read here and overwritten a moment later.
        SyncCursor.objects.filter(pk=cursor.pk).update(updated_at=now)
        accounts = _upsert_accounts(pulled)
        existing = {
            o.salesforce_id: o
            for o in Opportunity.objects.select_for_update().filter(
                salesforce_id__in=[p.salesforce_id for p in pulled]
            )
        }
        people = _People(pulled, list(existing.values()))
        opp_ids = [o.pk for o in existing.values()]
        pushes = {p.opportunity_id: p for p in PendingPush.objects.filter(opportunity_id__in=opp_ids)}
        conflicts = {
            (c.opportunity_id, c.field): c
            for c in SyncConflict.objects.filter(opportunity_id__in=opp_ids, status=SyncConflict.Status.OPEN)
        }
        merge = _PageMerge(result, now)
        merge.trail = PullTrail(opp_ids, pulled, now, own_user_id=own_user_id)
        new: list[Opportunity] = []
        changed: list[Opportunity] = []
        bookkeeping: list[Opportunity] = []
        for item in pulled:
            opportunity = existing.get(item.salesforce_id)
            if opportunity is None:
                if not item.is_deleted:
                    account = accounts[item.account_id]
                    new.append(_new_opportunity(item, account, people, result, now))
                continue
            people.attach(opportunity)
            outcome = _merge_one(opportunity, item, accounts, pushes, conflicts, people, merge, result, now)
            if outcome == _DATA:
                changed.append(opportunity)
            elif outcome == _BOOKKEEPING:
                bookkeeping.append(opportunity)

        if new:
            bulk_create_with_history(new, Opportunity, batch_size=500, default_change_reason=CHANGE_REASON)
            result.created += len(new)
        if changed:
            bulk_update_with_history(
                changed, Opportunity, DATA_FIELDS, batch_size=500, default_change_reason=CHANGE_REASON
            )
        if bookkeeping:
            Opportunity.objects.bulk_update(bookkeeping, BOOKKEEPING_FIELDS, batch_size=500)
        if merge.events:
            ConfidenceEvent.objects.bulk_create(merge.events)
        if merge.trail is not None:
            merge.trail.save(pushes)
        if merge.new_conflicts:
            SyncConflict.objects.bulk_create(merge.new_conflicts)
        for conflict in merge.changed_conflicts:
            conflict.save()
        if people.learned:
            bulk_update_with_history(
                people.learned,
                Person,
                ["salesforce_user_id"],
                default_change_reason="Salesforce sync: matched by email",
            )
        stamps = [p.modstamp for p in pulled if p.modstamp is not None]
        if stamps:
            watermark = max(stamps)
            if cursor.watermark is None or watermark > cursor.watermark:
                SyncCursor.objects.filter(pk=cursor.pk).update(watermark=watermark)
        if dry_run:
            transaction.set_rollback(True)


_DATA = "data"
_BOOKKEEPING = "bookkeeping"


def _merge_one(
    opportunity: Opportunity,
    item: PulledOpportunity,
    accounts: dict[str, Account],
    pushes: dict[int, PendingPush],
    conflicts: dict[tuple[int, str], SyncConflict],
    people: _People,
    merge: _PageMerge,
    result: PullResult,
    now: dt.datetime,
) -> str | None:
    """Bring one existing opportunity in line with its record: "data" when its data changed,
    "bookkeeping" when only the modstamp or the Salesforce base values did, else None."""
    loaded_base = dict(opportunity.salesforce_em_values or {})
    if item.is_deleted:
        if opportunity.removed_in_salesforce_reason == RemovalReason.DELETED:
            return None
        if opportunity.removed_in_salesforce_at is None:
            opportunity.removed_in_salesforce_at = now
        opportunity.removed_in_salesforce_reason = RemovalReason.DELETED
        opportunity.sf_last_modified = item.modstamp
        opportunity.last_synced_at = now
        result.removed += 1
        return _DATA
    data_changed = False
    for attr, value in item.commercial.items():
        if getattr(opportunity, attr) != value:
            if merge.trail is not None:
                merge.trail.took(opportunity, attr, getattr(opportunity, attr), value, item)
            setattr(opportunity, attr, value)
            data_changed = True
    account = accounts[item.account_id]
    if opportunity.account_id != account.pk:
        opportunity.account = account
        data_changed = True
    if opportunity.region_id is None and account.region_id is not None:
        opportunity.region_id = account.region_id
        data_changed = True
    if opportunity.removed_in_salesforce_at is not None:
        # Back in scope (or restored from the recycle bin): in the pipeline again.
        opportunity.removed_in_salesforce_at = None
        opportunity.removed_in_salesforce_reason = ""
        data_changed = True
    em_changed = merge.merge_em(opportunity, item, pushes.get(opportunity.pk), conflicts, people)
    if em_changed:
        # Someone editing from an older copy must reload rather than overwrite Salesforce's value.
        opportunity.version += 1
        data_changed = True
    stamp_changed = opportunity.sf_last_modified != item.modstamp
    opportunity.sf_last_modified = item.modstamp
    if data_changed:
        opportunity.last_synced_at = now
        result.updated += 1
        return _DATA
    if stamp_changed or opportunity.salesforce_em_values != loaded_base:
        return _BOOKKEEPING
    return None
