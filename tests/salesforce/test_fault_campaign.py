"""A seeded, randomized fault campaign: EM edits through the app's own service and Salesforce users'
edits in the org (between runs and during them) on overlapping opportunities, sync rounds with every
fault a real org and network produce, then clean rounds until nothing is pending.

The real simple-salesforce client talks HTTPS to the fake org (tests/fakes), never patched. What
is expected is computed from the campaign's own log of what each side wrote, never from the sync's
tables: no EM edit lost, no Salesforce edit overwritten without a conflict, nothing stuck, every
conflict resolvable from the UI.

Seed: SALESFORCE_CAMPAIGN_SEED (default 1313); sizes: SALESFORCE_CAMPAIGN_ROUNDS.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import LazySettings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from engagements import services
from engagements.models import Opportunity, PendingPush
from people.models import Person
from salesforce import conflicts
from salesforce.models import SyncConflict, SyncCursor, SyncRun
from salesforce.sync import salesforce_sync_run
from tests.conftest import client_for
from tests.fakes.fake_salesforce import FakeSalesforce, id18
from tests.fakes.setup import FakeOrg
from tests.salesforce.test_sync_safety import _sync_in_a_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the killed worker needs a shared database"),
    pytest.mark.django_db(transaction=True),
]

SEED = int(os.environ.get("SALESFORCE_CAMPAIGN_SEED", "1313"))
ROUNDS = int(os.environ.get("SALESFORCE_CAMPAIGN_ROUNDS", "36"))
OPPORTUNITIES = 24
EM_USER = "005000000000001AAA"
SALES_USER = "005000000000077AAA"
ACCOUNT = "001000000000001AAA"

# app field -> Salesforce field; values are unique per edit, so each can be traced to its writer.
TRACED = {
    "em_confidence_rationale": "EM_Confidence_Rationale__c",
    "scoping_issue_link": "Scoping_Issue_Link__c",
}
CONFIDENCE = "EM_Confidence__c"

FAULTS = [
    "500",
    "503 json",
    "503 html",
    "timeout applied late",
    "timeout applied after the next write",
    "401 once",
    "401 twice",
    "403 REQUEST_LIMIT_EXCEEDED",
    "UNABLE_TO_LOCK_ROW",
    "UNABLE_TO_LOCK_ROW, then edited in Salesforce",
    "picklist refused",
    "validation rule",
    "whole-call 400",
    "worker killed mid-push",
]


@dataclass
class Edit:
    seq: int
    side: str  # "em" or "sf"
    opp: str  # Salesforce id
    field: str  # app field
    value: str
    replaced: str = ""  # sf: the value Salesforce held just before this edit


@dataclass
class Log:
    """What each side wrote, in order, and what the campaign saw and chose."""

    seq: itertools.count[int] = field(default_factory=itertools.count)
    lock: threading.Lock = field(default_factory=threading.Lock)
    edits: list[Edit] = field(default_factory=list)
    # (opp, field, Salesforce value) -> seq at which the app was first seen holding it locally
    pulled: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # (opp, field) -> [(seq, local value discarded, Salesforce value taken)] by Take Salesforce's
    discarded: dict[tuple[str, str], list[tuple[int, str]]] = field(default_factory=dict)
    # (opp, field, Salesforce value) -> seq at which the EM chose Keep mine over it
    kept_over: dict[tuple[str, str, str], int] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)
    resolved: Counter[str] = field(default_factory=Counter)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next(self) -> int:
        with self.lock:
            return next(self.seq)

    def add(self, edit: Edit) -> None:
        with self.lock:
            self.edits.append(edit)


class Campaign:
    def __init__(
        self, fake: FakeSalesforce, em: Person, admin: Person, settings: LazySettings, rng: random.Random
    ) -> None:
        self.fake = fake
        self.em = em
        self.admin = admin
        self.settings = settings
        self.rng = rng
        self.log = Log()
        # Real ids: the first 15 characters name the record, the last 3 are their case checksum.
        self.ids = [id18(f"006CMP{i:09d}") for i in range(OPPORTUNITIES)]

    # -- the two sides -----------------------------------------------------------------------------
    def em_edit(self, sf_id: str | None = None) -> None:
        """The EM saves the EM fields form (the service the view calls) on one opportunity."""
        sf_id = sf_id or self.rng.choice(self.ids)
        n = next(self.log.counter)
        rationale = f"EM call {n}: " + self.rng.choice(["PO raised", "legal review", "budget moved"])
        link = f"https://tracker.example.com/PS-{n}" if self.rng.random() < 0.35 else None
        confidence = self.rng.choice(["Red", "Amber", "Green"])
        opportunity = Opportunity.objects.get(salesforce_id=sf_id)
        self.saw(opportunity)  # what the EM's form shows before they save
        seq = self.log.next()
        services.opportunity_update_em_fields(
            actor=self.em.user,  # type: ignore[arg-type]  # the EM fixture always has a login
            opportunity=opportunity,
            expected_version=opportunity.version,
            em_confidence=confidence,
            em_confidence_rationale=rationale,
            scoping_issue_link=link,
        )
        self.log.add(Edit(seq, "em", sf_id, "em_confidence_rationale", rationale))
        self.log.add(Edit(seq, "em", sf_id, "em_confidence", confidence))
        if link is not None:
            self.log.add(Edit(seq, "em", sf_id, "scoping_issue_link", link))

    def sf_edit(self, sf_id: str | None = None) -> None:
        """A Salesforce user edits the opportunity in Salesforce."""
        sf_id = sf_id or self.rng.choice(self.ids)
        n = next(self.log.counter)
        fields: dict[str, Any] = {"EM_Confidence_Rationale__c": f"Sales note {n}"}
        if self.rng.random() < 0.3:
            fields["Scoping_Issue_Link__c"] = f"https://sales.example.com/{n}"
        if self.rng.random() < 0.4:
            fields[CONFIDENCE] = self.rng.choice(["Red", "Amber", "Green"])
        with self.fake.lock:
            before = self.fake.opportunity(sf_id)
            seq = self.log.next()
            self.fake.update_opportunity(sf_id, as_user=SALES_USER, **fields)
        for key, sf_field in {**TRACED, "em_confidence": CONFIDENCE}.items():
            if sf_field in fields:
                self.log.add(Edit(seq, "sf", sf_id, key, fields[sf_field], str(before[sf_field] or "")))

    def between_rounds(self) -> None:
        for _ in range(self.rng.randint(4, 9)):
            if self.rng.random() < 0.62:
                self.em_edit()
            else:
                self.sf_edit()

    # -- faults --------------------------------------------------------------------------------------
    def pending_ids(self) -> list[str]:
        return sorted(
            sf_id
            for sf_id in PendingPush.objects.filter(status=PendingPush.Status.PENDING).values_list(
                "opportunity__salesforce_id", flat=True
            )
            if sf_id
        )

    def once(
        self, when: Callable[[str, str], bool], action: Callable[[], None]
    ) -> Callable[[str, str], None]:
        done = threading.Event()

        def hook(kind: str, detail: str) -> None:
            if not done.is_set() and when(kind, detail):
                done.set()
                action()

        return hook

    def mid_run_edits(self) -> None:
        """People keep working while the run goes: a Salesforce user saves between the pull and the
        push, an EM saves while a push batch is on its way."""
        fake = self.fake
        if self.rng.random() < 0.6:
            target = self.rng.choice(self.ids)
            fake.after_request(
                self.once(
                    lambda kind, soql: kind == "query" and "Id IN" not in soql, lambda: self.sf_edit(target)
                )
            )
        if self.rng.random() < 0.4:
            pending = self.pending_ids()
            if pending:
                target = self.rng.choice(pending)

                def em_saves() -> None:
                    try:
                        self.em_edit(target)
                    finally:
                        connection.close()  # this thread's own database connection

                fake.before_request(self.once(lambda kind, _: kind in ("composite", "sobject"), em_saves))

    def inject(self, fault: str) -> None:
        fake = self.fake
        self.log.faults[fault] += 1
        write = {"composite", "sobject"}
        kinds = self.rng.choice([{"query"}, write, {"query", "queryMore", *write}])
        if fault == "500":
            fake.fail_next(self.rng.randint(1, 3), status=500, error_code="UNKNOWN_EXCEPTION", kinds=kinds)
        elif fault == "503 json":
            fake.fail_next(self.rng.randint(1, 3), status=503, kinds=kinds)
        elif fault == "503 html":
            fake.fail_next(self.rng.randint(1, 5), status=503, html=True, kinds=kinds)
        elif fault.startswith("timeout"):
            self.settings.SALESFORCE_TIMEOUT_SECONDS = 0.4
            fake.hold_writes(self.rng.randint(1, 2), after_next_write="next write" in fault)
        elif fault == "401 once":
            fake.fail_next(1, status=401, error_code="INVALID_SESSION_ID", kinds=kinds)
        elif fault == "401 twice":
            fake.fail_next(2, status=401, error_code="INVALID_SESSION_ID", kinds=kinds)
        elif fault == "403 REQUEST_LIMIT_EXCEEDED":
            fake.fail_next(
                1,
                status=403,
                error_code="REQUEST_LIMIT_EXCEEDED",
                message="TotalRequests Limit exceeded.",
                kinds=kinds,
            )
        elif fault.startswith("UNABLE_TO_LOCK_ROW"):
            pending = self.pending_ids()
            locked = self.rng.sample(pending, min(len(pending), self.rng.randint(1, 4)))
            fake.fail_records(locked, error_code="UNABLE_TO_LOCK_ROW", times=self.rng.randint(1, 2))
            if locked and fault.endswith("Salesforce"):
                # Whoever held the lock saves their edit right after the app's attempt was refused.
                fake.after_request(
                    self.once(lambda kind, _: kind in write, lambda: self.sf_edit(self.rng.choice(locked)))
                )
        elif fault == "picklist refused":
            fake.picklists[CONFIDENCE] = {"Grey", "Red", "Green"}  # Amber deactivated in the org
        elif fault == "validation rule":
            pending = self.pending_ids()
            fake.fail_records(
                self.rng.sample(pending, min(len(pending), 2)),
                error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
                message="Close Date cannot be in the past",
            )
        elif fault == "whole-call 400":
            fake.forbid_writes("Scoping_Issue_Link__c")

    def clear_faults(self) -> None:
        fake = self.fake
        fake.before_hooks.clear()
        fake.after_hooks.clear()
        fake.release_held()
        with fake.lock:
            fake._status_faults.clear()
            fake._record_faults.clear()
            fake._holds.clear()
            fake.write_forbidden_fields.clear()
            fake.picklists[CONFIDENCE] = {"Grey", "Red", "Amber", "Green"}
        self.settings.SALESFORCE_TIMEOUT_SECONDS = 5.0
        # A rate limit pauses the whole sync; the campaign does not wait out the real pause.
        SyncCursor.objects.update(paused_until=None)

    # -- runs ------------------------------------------------------------------------------------------
    def sync(self) -> SyncRun:
        run = salesforce_sync_run().run
        assert run.outcome != SyncRun.Outcome.RUNNING
        return run

    def killed_run(self, fake_org: FakeOrg) -> bool:
        """`manage.py sync_salesforce` in its own process, SIGKILLed once Salesforce applied its
        first write and before it heard the answer; the lease is then let lapse. True if killed."""
        held = set(
            SyncConflict.objects.filter(status=SyncConflict.Status.OPEN).values_list(
                "opportunity__salesforce_id", flat=True
            )
        )
        self.em_edit(self.rng.choice([sf_id for sf_id in self.ids if sf_id not in held] or self.ids))
        PendingPush.objects.update(next_attempt_at=None)  # due now, so the worker has a write to make
        worker = _sync_in_a_worker(fake_org, lease=5)
        killed = threading.Event()

        def kill() -> None:
            killed.set()  # before the signal: the campaign's wait returns the moment the worker dies
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)

        self.fake.after_request(self.once(lambda kind, _: kind in ("composite", "sobject"), kill))
        worker.wait(90)
        self.fake.after_hooks.clear()
        if not killed.is_set():
            return False
        assert SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).count() == 1
        # The dead worker's lease runs out (rather than wait for it, move it into the past).
        SyncCursor.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
        return True

    # -- what the app shows, and what the EM chooses -----------------------------------------------------
    def observe(self) -> None:
        """Note which Salesforce values the app now holds locally (pulled)."""
        for opp in Opportunity.objects.filter(salesforce_id__in=self.ids):
            self.saw(opp)

    def saw(self, opp: Opportunity) -> None:
        seq = self.log.next()
        with self.log.lock:
            sf_values = {(e.opp, e.field, e.value) for e in self.log.edits if e.side == "sf"}
        for key in TRACED:
            triple = (opp.salesforce_id or "", key, str(getattr(opp, key) or ""))
            if triple in sf_values:
                self.log.pulled.setdefault(triple, seq)

    def resolve(self, conflict: SyncConflict, choice: str, *, via_page: bool = False) -> None:
        opp = Opportunity.objects.get(pk=conflict.opportunity_id)
        sf_id = opp.salesforce_id or ""
        seq = self.log.next()
        if conflict.field in TRACED:
            local = str(getattr(opp, conflict.field) or "")
            if choice == conflicts.KEEP_MINE:
                self.log.kept_over.setdefault((sf_id, conflict.field, conflict.salesforce_value), seq)
            else:
                self.log.discarded.setdefault((sf_id, conflict.field), []).append((seq, local))
        if via_page:
            client = client_for(self.em)
            page = client.get(opp.get_absolute_url()).content.decode()
            url = reverse("salesforce:conflict_resolve", args=[conflict.pk])
            assert f'action="{url}"' in page and "Keep mine" in page and "Take Salesforce" in page
            response = client.post(url, {"choice": choice})
            assert response.status_code == 302, response.content[:500]
        else:
            conflicts.sync_conflict_resolve(
                actor=self.em.user,  # type: ignore[arg-type]  # the EM fixture always has a login
                conflict=conflict,
                choice=choice,
            )
        conflict.refresh_from_db()
        assert conflict.status == SyncConflict.Status.RESOLVED, conflict
        self.log.resolved[choice] += 1

    def resolve_some(self, share: float) -> None:
        for conflict in SyncConflict.objects.filter(status=SyncConflict.Status.OPEN).order_by("pk"):
            if self.rng.random() < share:
                choice = self.rng.choice([conflicts.KEEP_MINE, conflicts.TAKE_SALESFORCE])
                self.resolve(conflict, choice, via_page=not self.log.resolved)

    def retry_failed(self) -> None:
        """An administrator retries the pushes Salesforce refused, once the org was fixed."""
        failed = list(
            PendingPush.objects.filter(status=PendingPush.Status.FAILED).values_list("pk", flat=True)
        )
        if failed:
            services.pending_push_retry(actor=self.admin.user, push_ids=failed)  # type: ignore[arg-type]  # the admin fixture has a login


def _story(log: Log, opp: Opportunity, key: str) -> str:
    """Everything known about one field of one opportunity, for a failure message."""
    from salesforce.models import SalesforceChange, SentValue

    edits = [
        (e.seq, e.side, e.value, e.replaced)
        for e in log.edits
        if e.opp == opp.salesforce_id and e.field == key
    ]
    sent = list(
        SentValue.objects.filter(opportunity=opp, field=key)
        .order_by("id")
        .values_list("value", "outcome", "sent_at")
    )
    changes = list(
        SalesforceChange.objects.filter(opportunity=opp, field=key)
        .order_by("id")
        .values_list("before", "after", "changed_by_name")
    )
    found = list(
        SyncConflict.objects.filter(opportunity=opp, field=key).values_list(
            "local_value", "salesforce_value", "resolution"
        )
    )
    return f"{opp.salesforce_id} {key}: edits {edits}; sent {sent}; taken in {changes}; conflicts {found}"


def _last(edits: list[Edit]) -> Edit | None:
    return edits[-1] if edits else None


def test_fault_campaign_loses_no_edit_and_overwrites_none_without_a_conflict(
    fake_org: FakeOrg, fake_sf: FakeSalesforce, em: Person, admin_person: Person, settings: LazySettings
) -> None:
    started = time.monotonic()
    print(f"\nSalesforce fault campaign: seed {SEED} (SALESFORCE_CAMPAIGN_SEED), {ROUNDS} rounds")
    rng = random.Random(SEED)
    settings.SALESFORCE_OPPORTUNITY_CONDITION = ""  # as the worker process has it
    settings.SALESFORCE_PUSH_RETRY_WAIT_SECONDS = 0.3
    em.salesforce_user_id = EM_USER
    em.save()
    fake_sf.add_user(EM_USER, name=em.name, email=em.email)
    fake_sf.add_user(SALES_USER, name="Dana Sales", email="dana.sales@example.com")
    fake_sf.add_account(ACCOUNT, name="Acme")
    campaign = Campaign(fake_sf, em, admin_person, settings, rng)
    for i, sf_id in enumerate(campaign.ids):
        fake_sf.add_opportunity(
            sf_id,
            Name=f"Campaign deal {i}",
            AccountId=ACCOUNT,
            Engagement_Manager__c=EM_USER,
            EM_Confidence__c="Amber",
            EM_Confidence_Rationale__c=f"Opening call {i}",
        )
    assert campaign.sync().outcome == SyncRun.Outcome.SUCCESS
    assert Opportunity.objects.count() == OPPORTUNITIES

    schedule = [FAULTS[i % len(FAULTS)] for i in range(max(ROUNDS, len(FAULTS)))]
    rng.shuffle(schedule)
    outcomes: Counter[str] = Counter()
    kills = 0
    for fault in schedule:
        campaign.between_rounds()
        if fault == "worker killed mid-push":
            campaign.log.faults[fault] += 1
            kills += campaign.killed_run(fake_org)
            campaign.clear_faults()
            continue
        campaign.inject(fault)
        if not fault.startswith(("timeout", "UNABLE")):  # keep late writes apart from people's edits
            campaign.mid_run_edits()
        run = campaign.sync()
        outcomes[str(run.outcome)] += 1
        campaign.clear_faults()
        campaign.observe()
        campaign.resolve_some(0.5)
        if rng.random() < 0.5:
            campaign.retry_failed()
    assert kills >= 1, "no worker was killed mid-push"

    # Clean rounds until nothing is pending: the EM resolves what is open, failed pushes are retried.
    clean = 0
    while True:
        clean += 1
        campaign.retry_failed()
        run = campaign.sync()
        outcomes[str(run.outcome)] += 1
        campaign.observe()
        campaign.resolve_some(1.0)
        if not PendingPush.objects.exists() and not SyncConflict.objects.filter(status="open").exists():
            break
        assert clean < 12, list(
            PendingPush.objects.values("opportunity__salesforce_id", "status", "last_error")
        )
    campaign.observe()

    log = campaign.log
    # -- 0 rows stuck ----------------------------------------------------------------------------
    assert not PendingPush.objects.exists()
    assert not SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).exists()
    assert SyncRun.objects.filter(outcome=SyncRun.Outcome.INTERRUPTED).count() == kills
    assert not SyncConflict.objects.filter(status=SyncConflict.Status.OPEN).exists()
    cursor = SyncCursor.objects.get()
    assert cursor.lock_token == "" and cursor.locked_until is None

    final_sf = {sf_id: fake_sf.opportunity(sf_id) for sf_id in campaign.ids}
    local = {o.salesforce_id: o for o in Opportunity.objects.filter(salesforce_id__in=campaign.ids)}
    # In step: the app and Salesforce hold the same EM values.
    for sf_id, record in final_sf.items():
        opp = local[sf_id]
        assert record[CONFIDENCE] == opp.em_confidence, _story(log, opp, "em_confidence")
        for key, sf_field in TRACED.items():
            assert str(record[sf_field] or "") == str(getattr(opp, key) or ""), _story(log, opp, key)

    by_field: dict[tuple[str, str], list[Edit]] = {}
    for edit in sorted(log.edits, key=lambda e: e.seq):
        by_field.setdefault((edit.opp, edit.field), []).append(edit)

    # -- 0 EM edits lost -------------------------------------------------------------------------------
    lost = []
    for (sf_id, key), edits in by_field.items():
        if key not in TRACED:
            continue
        last_em = _last([e for e in edits if e.side == "em"])
        if last_em is None:
            continue
        value = last_em.value
        in_salesforce = str(final_sf[sf_id][TRACED[key]] or "") == value
        # The EM chose Take Salesforce's while their value was this one.
        discarded = any(seq > last_em.seq and v == value for seq, v in log.discarded.get((sf_id, key), []))
        # It reached Salesforce, and a Salesforce user replaced it there afterwards.
        replaced_later = any(e.side == "sf" and e.seq > last_em.seq and e.replaced == value for e in edits)
        if not (in_salesforce or discarded or replaced_later):
            lost.append((sf_id, key, value, [(e.side, e.value) for e in edits[-4:]]))
    assert lost == [], f"EM edits lost: {lost}"

    # -- 0 Salesforce edits overwritten without a conflict -----------------------------------------------
    overwritten = []
    for (sf_id, key), edits in by_field.items():
        if key not in TRACED:
            continue
        for index, edit in enumerate(edits):
            if edit.side != "sf":
                continue
            later_sf = next((e for e in edits[index + 1 :] if e.side == "sf"), None)
            if later_sf is not None and later_sf.replaced == edit.value:
                continue  # replaced by a Salesforce user
            if later_sf is None and str(final_sf[sf_id][TRACED[key]] or "") == edit.value:
                continue  # still there
            # The app wrote over it: only after the EM kept theirs in a conflict about it, or with an
            # EM edit made after the app had pulled it.
            kept = (sf_id, key, edit.value) in log.kept_over
            seen_at = log.pulled.get((sf_id, key, edit.value))
            newer_em = seen_at is not None and any(
                e.side == "em" and e.seq > seen_at and (later_sf is None or e.seq < later_sf.seq)
                for e in edits[index + 1 :]
            )
            if not (kept or newer_em):
                overwritten.append((sf_id, key, edit.value, [(e.side, e.value) for e in edits[index:][:4]]))
    assert overwritten == [], f"Salesforce edits overwritten without a conflict: {overwritten}"

    em_edits = sum(1 for e in log.edits if e.side == "em")
    sf_edits = sum(1 for e in log.edits if e.side == "sf")
    conflict_count = SyncConflict.objects.count()
    runs = SyncRun.objects.exclude(outcome=SyncRun.Outcome.SKIPPED)
    api_calls = sum(r.api_calls for r in runs)
    print(
        f"  EM edits {em_edits} (field values), Salesforce edits {sf_edits} (field values), "
        f"on {OPPORTUNITIES} opportunities"
    )
    print(
        f"  conflicts {conflict_count}: resolved Keep mine {log.resolved[conflicts.KEEP_MINE]}, "
        f"Take Salesforce's {log.resolved[conflicts.TAKE_SALESFORCE]} (one through the opportunity page); "
        f"workers killed {kills}"
    )
    print("  faults injected: " + ", ".join(f"{k} ×{n}" for k, n in sorted(log.faults.items())))
    served = {k: n for k, n in fake_sf.calls.items() if k.startswith(("fault:", "late:", "unauthorized"))}
    print(f"  fault answers served by the org: {dict(sorted(served.items()))}")
    print(
        f"  runs {sum(outcomes.values())} ({dict(outcomes)}), then {clean} clean round(s); "
        f"API calls {fake_sf.api_used} at the org ({api_calls} counted by in-process runs; "
        f"{fake_sf.calls['query'] + fake_sf.calls['queryAll']} queries, {fake_sf.calls['queryMore']} "
        f"queryMore, {fake_sf.calls['composite']} collection writes, {fake_sf.calls['sobject']} "
        f"single-record writes, {fake_sf.calls['token']} logins)"
    )
    print(
        f"  0 EM edits lost, 0 Salesforce edits overwritten, 0 rows stuck; {time.monotonic() - started:.1f} s"
    )
