"""No edit on either side is lost or silently overwritten, with people editing in Salesforce while a
run is going, writes applied late, calls refused as a whole and workers killed mid-push.

The real simple-salesforce client over HTTPS to the fake org (tests/fakes), never patched; the
expected values come from what the test itself wrote on each side."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from engagements import services
from engagements.models import Opportunity, PendingPush
from salesforce import conflicts
from salesforce.models import SalesforceChange, SentValue, SyncConflict, SyncRun
from salesforce.sync import salesforce_sync_run
from tests.fakes.fake_salesforce import INTEGRATION_USER_ID, FakeSalesforce

pytestmark = pytest.mark.django_db

EM_USER = "005000000000001AAA"
SALES_USER = "005000000000077AAA"
ACCOUNT = "001000000000001AAA"
OPP = "006000000000001AAA"
ROOT = Path(__file__).resolve().parents[2]


def sync(**kwargs) -> SyncRun:
    return salesforce_sync_run(**kwargs).run


def edit(actor, opportunity, **values):
    opportunity.refresh_from_db()
    return services.opportunity_update_em_fields(
        actor=actor.user, opportunity=opportunity, expected_version=opportunity.version, **values
    )


def writes(fake: FakeSalesforce) -> int:
    return fake.calls["composite"] + fake.calls["sobject"]


@pytest.fixture
def synced(fake_sf, em):
    """One opportunity led by `em`, pulled once; a Salesforce user (Dana Sales) who edits it there."""
    em.salesforce_user_id = EM_USER
    em.save()
    fake_sf.add_user(EM_USER, name=em.name, email=em.email)
    fake_sf.add_user(SALES_USER, name="Dana Sales", email="dana.sales@example.com")
    fake_sf.add_account(ACCOUNT, name="Acme")
    fake_sf.add_opportunity(
        OPP,
        Name="Acme — Migration",
        AccountId=ACCOUNT,
        Engagement_Manager__c=EM_USER,
        EM_Confidence__c="Amber",
        EM_Confidence_Rationale__c="Budget owner on leave",
    )
    assert sync().outcome == SyncRun.Outcome.SUCCESS
    return fake_sf, Opportunity.objects.get(salesforce_id=OPP)


def once(action):
    """A fake-org hook that acts the first time its condition holds."""
    done = threading.Event()

    def hook(condition):
        def run(kind: str, detail: str) -> None:
            if not done.is_set() and condition(kind, detail):
                done.set()
                action()

        return run

    return hook, done


# --- §1 never write over a change the app has not seen ---------------------------------------------


def test_a_salesforce_edit_between_pull_and_push_becomes_a_conflict_not_an_overwrite(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence_rationale="EM: the PO is raised")
    hook, done = once(
        lambda: fake.update_opportunity(
            OPP, as_user=SALES_USER, EM_Confidence_Rationale__c="Sales: customer asked to wait"
        )
    )
    # Right after the pull's query is answered, before anything is pushed.
    fake.after_request(hook(lambda kind, soql: kind == "query" and "Id IN" not in soql))

    run = sync()

    assert done.is_set()
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "Sales: customer asked to wait"
    assert run.conflicts == 1
    conflict = SyncConflict.objects.get(status="open")
    assert (conflict.field, conflict.local_value, conflict.salesforce_value) == (
        "em_confidence_rationale",
        "EM: the PO is raised",
        "Sales: customer asked to wait",
    )
    assert PendingPush.objects.get(opportunity=opp).fields == ["em_confidence_rationale"]
    # Held until the EM chooses; the next run neither pushes nor raises it again.
    calls = writes(fake)
    again = sync()
    assert (again.conflicts, writes(fake)) == (0, calls)
    assert SyncConflict.objects.filter(status="open").count() == 1
    # Keep mine: the EM's value goes on the next run.
    conflicts.sync_conflict_resolve(actor=em.user, conflict=conflict, choice="mine")
    sync()
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "EM: the PO is raised"
    assert not PendingPush.objects.exists()


def test_take_salesforces_value_after_a_pre_push_conflict_pushes_nothing(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence_rationale="EM: the PO is raised")
    hook, _ = once(
        lambda: fake.update_opportunity(OPP, as_user=SALES_USER, EM_Confidence_Rationale__c="Sales")
    )
    fake.after_request(hook(lambda kind, soql: kind == "query" and "Id IN" not in soql))
    sync()
    conflict = SyncConflict.objects.get(status="open")
    conflicts.sync_conflict_resolve(actor=em.user, conflict=conflict, choice="salesforce")
    calls = writes(fake)
    run = sync()
    opp.refresh_from_db()
    assert opp.em_confidence_rationale == "Sales"
    assert (run.pushed, run.conflicts, writes(fake)) == (0, 0, calls)
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "Sales"


def test_a_record_retried_after_unable_to_lock_row_and_edited_meanwhile_becomes_a_conflict(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence_rationale="EM: signed off")
    fake.fail_records([OPP], error_code="UNABLE_TO_LOCK_ROW", times=1)
    # Whoever held the lock saves their edit just after the app's attempt was refused.
    hook, done = once(
        lambda: fake.update_opportunity(
            OPP, as_user=SALES_USER, EM_Confidence_Rationale__c="Sales: saved while you waited"
        )
    )
    fake.after_request(hook(lambda kind, _: kind in ("sobject", "composite")))

    run = sync()

    assert done.is_set()
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "Sales: saved while you waited"
    assert writes(fake) == 1  # the refused attempt only: the retry read first and did not write
    assert run.conflicts == 1
    conflict = SyncConflict.objects.get(status="open")
    assert (conflict.local_value, conflict.salesforce_value) == (
        "EM: signed off",
        "Sales: saved while you waited",
    )


def test_an_unlocked_retry_with_nothing_changed_in_salesforce_goes_through(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence_rationale="EM: signed off")
    fake.fail_records([OPP], error_code="UNABLE_TO_LOCK_ROW", times=1)
    run = sync()
    assert (run.pushed, run.conflicts) == (1, 0)
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "EM: signed off"
    assert writes(fake) == 2


# --- §2 late duplicates never win ------------------------------------------------------------------


def test_a_late_duplicate_of_an_older_push_landing_after_a_newer_one_does_not_win(synced, em, settings):
    fake, opp = synced
    settings.SALESFORCE_TIMEOUT_SECONDS = 0.5
    settings.SALESFORCE_RETRY_BASE_SECONDS = 60  # the timed-out push waits for the next run
    settings.SALESFORCE_RETRY_MAX_SECONDS = 60
    edit(em, opp, em_confidence_rationale="first thoughts")
    # The first write times out but Salesforce applies it late: right after the next write.
    fake.hold_writes(1, after_next_write=True)

    first = sync()

    assert first.pushed == 0 and "clear answer" in PendingPush.objects.get().last_error
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "Budget owner on leave"
    assert SentValue.objects.get().outcome == SentValue.Outcome.IN_DOUBT
    edit(em, opp, em_confidence_rationale="second thoughts")
    settings.SALESFORCE_RETRY_BASE_SECONDS = 0.005
    PendingPush.objects.update(next_attempt_at=None)

    second = sync()  # reads back (the first is not applied yet), sends the newer value…

    assert second.pushed == 1
    # …and then the old request lands, after the newer one.
    assert fake.calls["late:sobject"] == 1
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "first thoughts"
    assert fake.opportunity(OPP)["LastModifiedById"] == INTEGRATION_USER_ID

    third = sync()  # the pull sees the app's own echo: the newer local value stays and goes again

    opp.refresh_from_db()
    assert opp.em_confidence_rationale == "second thoughts"
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "second thoughts"
    assert (third.conflicts, third.pushed) == (0, 1)
    assert not SyncConflict.objects.exists()
    assert not PendingPush.objects.exists()
    assert not SalesforceChange.objects.filter(field="em_confidence_rationale").exists()
    assert sync().pushed == 0  # and it stays settled


def test_a_late_write_landing_while_a_newer_value_waits_is_no_conflict(synced, em, settings):
    fake, opp = synced
    settings.SALESFORCE_TIMEOUT_SECONDS = 0.5
    settings.SALESFORCE_RETRY_BASE_SECONDS = 60
    settings.SALESFORCE_RETRY_MAX_SECONDS = 60
    edit(em, opp, em_confidence_rationale="first thoughts")
    fake.hold_writes(1)
    sync()  # times out: the value is in doubt
    edit(em, opp, em_confidence_rationale="second thoughts")  # waits for the next run
    assert fake.release_held() == 1  # the old request lands now, before that run
    settings.SALESFORCE_RETRY_BASE_SECONDS = 0.005
    PendingPush.objects.update(next_attempt_at=None)

    run = sync()

    assert (run.conflicts, run.pushed) == (0, 1)
    assert not SyncConflict.objects.exists()
    opp.refresh_from_db()
    assert opp.em_confidence_rationale == "second thoughts"
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "second thoughts"
    assert not PendingPush.objects.exists()


def test_a_timed_out_write_that_was_applied_is_not_sent_again(synced, em, settings):
    fake, opp = synced
    settings.SALESFORCE_TIMEOUT_SECONDS = 0.5
    edit(em, opp, em_confidence_rationale="sent once")
    fake.hold_writes(1)
    hook, _ = once(lambda: fake.release_held())
    # The held write is applied while the app waits to retry; the retry reads it back first.
    fake.before_request(hook(lambda kind, soql: kind == "query" and "Id IN" in soql and fake.held_writes))
    run = sync()
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "sent once"
    assert (run.pushed, run.conflicts) == (1, 0)
    assert writes(fake) == 1 and fake.calls["late:sobject"] == 1  # applied late, never resent
    assert not PendingPush.objects.exists()


def test_a_salesforce_users_edit_to_a_value_once_sent_without_an_answer_is_a_conflict_not_an_echo(
    synced, em, settings
):
    fake, opp = synced
    settings.SALESFORCE_TIMEOUT_SECONDS = 0.5
    edit(em, opp, em_confidence="Green", em_confidence_rationale="EM: PO raised")
    fake.hold_writes(1)  # the first send times out; its retry in the same run is answered
    assert sync().pushed == 1
    assert fake.release_held() == 1  # the timed-out send lands too: the same values, no change
    sync()
    edit(em, opp, em_confidence="Red", em_confidence_rationale="EM: PO raised")
    assert sync().pushed == 1
    # Dana sets the call back to Green in Salesforce: a value the app once sent without an answer.
    fake.update_opportunity(OPP, as_user=SALES_USER, EM_Confidence__c="Green")
    calls = writes(fake)

    run = sync()
    sync()

    assert fake.opportunity(OPP)["EM_Confidence__c"] == "Green"  # not written over
    assert writes(fake) == calls
    assert run.conflicts == 1
    conflict = SyncConflict.objects.get(status="open")
    assert (conflict.field, conflict.local_value, conflict.salesforce_value) == (
        "em_confidence",
        "Red",
        "Green",
    )
    conflicts.sync_conflict_resolve(actor=em.user, conflict=conflict, choice="salesforce")
    opp.refresh_from_db()
    assert opp.em_confidence == "Green" and not PendingPush.objects.exists()


def test_a_pulled_change_says_who_changed_it_in_salesforce_and_when(synced, em, make_person, login):
    from core.roles import Role

    fake, opp = synced
    dana = make_person(Role.ENGAGEMENT_MANAGER, username="dana.person")
    dana.salesforce_user_id = SALES_USER
    dana.name = "Dana Person"
    dana.save()
    stamp = (fake.opportunity(OPP)["SystemModstamp"] + dt.timedelta(seconds=1)).replace(microsecond=0)
    fake.update_opportunity(
        OPP, as_user=SALES_USER, stamp=stamp, EM_Confidence__c="Green", StageName="Negotiation"
    )
    sync()
    changes = {c.field: c for c in SalesforceChange.objects.filter(opportunity=opp)}
    assert set(changes) == {"em_confidence", "stage"}
    assert (changes["em_confidence"].before, changes["em_confidence"].after) == ("Amber", "Green")
    assert changes["em_confidence"].changed_by_name == "Dana Person"
    assert changes["em_confidence"].changed_by_id == SALES_USER
    assert changes["em_confidence"].changed_at == stamp
    page = login(em).get(opp.get_absolute_url()).content.decode()
    assert "changed in Salesforce by Dana Person" in page


# --- §4 one bad record never fails the others ------------------------------------------------------


def test_one_record_with_a_refused_field_in_200_fails_alone_and_199_are_pushed(fake_sf):
    ids = fake_sf.load_generated(200)
    sync()
    opps = list(Opportunity.objects.order_by("salesforce_id"))
    bad = opps[137]
    Opportunity.objects.update(em_confidence="Amber")
    Opportunity.objects.filter(pk=bad.pk).update(scoping_issue_link="https://tracker.example.com/PS-9")
    PendingPush.objects.bulk_create(
        [
            PendingPush(
                opportunity=o,
                fields=["em_confidence", "scoping_issue_link"] if o.pk == bad.pk else ["em_confidence"],
            )
            for o in opps
        ]
    )
    # The integration user may read the link field but not write it: the whole call is refused.
    fake_sf.forbid_writes("Scoping_Issue_Link__c")

    run = sync()

    assert (run.pushed, run.push_failed) == (199, 1)
    failed = PendingPush.objects.get()
    assert failed.opportunity_id == bad.pk and failed.status == "failed"
    assert "INVALID_FIELD_FOR_INSERT_UPDATE" in failed.last_error
    assert "Unable to create/update fields: Scoping_Issue_Link__c" in failed.last_error
    for sf_id in ids:
        expected = "Grey" if sf_id == bad.salesforce_id else "Amber"
        assert fake_sf.opportunity(sf_id)["EM_Confidence__c"] == expected
    # Each good record was written once (the refused calls applied nothing); splitting the batch
    # takes a call or two per halving: 200 → 100 → … → 1.
    assert sum(fake_sf.composite_sizes) + fake_sf.calls["sobject"] - 1 == 199
    assert writes(fake_sf) <= 2 * 8 + 3


def test_a_malformed_salesforce_id_fails_that_record_only(fake_sf):
    fake_sf.load_generated(3)
    sync()
    opps = list(Opportunity.objects.order_by("salesforce_id"))
    Opportunity.objects.filter(pk=opps[1].pk).update(salesforce_id="006-not-an-id")
    Opportunity.objects.update(em_confidence="Red")
    PendingPush.objects.bulk_create([PendingPush(opportunity=o, fields=["em_confidence"]) for o in opps])
    run = sync()
    assert (run.pushed, run.push_failed) == (2, 1)
    assert "is not a Salesforce record id" in PendingPush.objects.get().last_error


# --- §5 runs recover in minutes --------------------------------------------------------------------


def _sync_in_a_worker(fake_org, *, lease: int) -> subprocess.Popen[bytes]:
    """`manage.py sync_salesforce` in its own process against this test's database and fake org."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update({k: str(v) for k, v in fake_org.settings("password").items()})
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        SALESFORCE_LOCK_LEASE_SECONDS=str(lease),
        SALESFORCE_RETRY_BASE_SECONDS="0.005",
        SALESFORCE_RETRY_MAX_SECONDS="0.05",
        SALESFORCE_TIMEOUT_SECONDS="5",
        SALESFORCE_OPPORTUNITY_CONDITION="",
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "sync_salesforce"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second process needs a shared database")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("killed", ["after Salesforce applied the write", "before the write arrived"])
def test_a_killed_worker_is_closed_as_interrupted_and_the_next_run_starts_within_minutes(
    fake_org, fake_sf, em, settings, killed
):
    settings.SALESFORCE_OPPORTUNITY_CONDITION = ""
    em.salesforce_user_id = EM_USER
    em.save()
    fake_sf.add_user(EM_USER, name=em.name, email=em.email)
    fake_sf.add_opportunity(OPP, Engagement_Manager__c=EM_USER, EM_Confidence__c="Amber")
    assert sync().outcome == SyncRun.Outcome.SUCCESS
    opp = Opportunity.objects.get(salesforce_id=OPP)
    edit(em, opp, em_confidence="Green", em_confidence_rationale="EM: PO raised")
    lease = 5
    worker = _sync_in_a_worker(fake_org, lease=lease)

    def kill() -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)

    hook, done = once(kill)
    is_write = hook(lambda kind, _: kind in ("sobject", "composite"))
    if killed.startswith("after"):
        fake_sf.after_request(is_write)
    else:
        fake_sf.before_request(is_write)
        fake_sf.hold_writes(1)  # the write never gets applied: its sender is gone
        fake_sf.hold_seconds = 300
    worker.wait(60)
    assert done.is_set(), worker.stdout.read().decode() if worker.stdout else ""
    fake_sf.before_hooks.clear()
    fake_sf.after_hooks.clear()
    dead = SyncRun.objects.get(outcome=SyncRun.Outcome.RUNNING)
    applied = killed.startswith("after")
    assert (fake_sf.opportunity(OPP)["EM_Confidence__c"] == "Green") is applied
    assert PendingPush.objects.filter(opportunity=opp).exists()
    killed_at = time.monotonic()
    while not applied and not fake_sf.held_writes and time.monotonic() < killed_at + 5:
        time.sleep(0.05)  # the fake's handler thread records the write its sender never saw answered
    assert writes(fake_sf) == 1

    # While the dead run's lease lasts, a new run is skipped; within the lease it starts.
    assert sync().outcome == SyncRun.Outcome.SKIPPED
    deadline = killed_at + lease * 3
    run = sync()
    while run.outcome == SyncRun.Outcome.SKIPPED and time.monotonic() < deadline:
        time.sleep(0.5)
        run = sync()
    assert time.monotonic() - killed_at < lease * 3
    assert run.outcome == SyncRun.Outcome.SUCCESS, run.message
    dead.refresh_from_db()
    assert dead.outcome == SyncRun.Outcome.INTERRUPTED and dead.finished_at is not None
    assert "worker stopped" in dead.message
    record = fake_sf.opportunity(OPP)
    assert (record["EM_Confidence__c"], record["EM_Confidence_Rationale__c"]) == ("Green", "EM: PO raised")
    assert not PendingPush.objects.exists()
    # Applied before the kill: read back and not sent again; never applied: sent once now.
    assert writes(fake_sf) == (1 if applied else 2)
    assert run.pushed == 1 and run.conflicts == 0
