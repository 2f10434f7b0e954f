"""The sync end to end: the real simple-salesforce client over HTTPS to the fake org, never patched."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from core.roles import Role
from engagements import selectors, services
from engagements.models import Account, ConfidenceEvent, Opportunity, PendingPush
from salesforce import conflicts
from salesforce import push as push_module
from salesforce.client import SalesforceClient
from salesforce.errors import SalesforceNotConfigured
from salesforce.mapping import soql_datetime
from salesforce.models import SyncConflict, SyncCursor, SyncRun
from salesforce.sync import salesforce_sync_run, sync_lock_acquire, sync_lock_release
from salesforce.tasks import salesforce_org_check
from tests.engagements.factories import OpportunityFactory
from tests.fakes.fake_salesforce import now as sf_now

pytestmark = pytest.mark.django_db

EM_USER = "005000000000001AAA"
ACCOUNT = "001000000000001AAA"
OPP = "006000000000001AAA"
OPP2 = "006000000000002AAA"


def sync(**kwargs) -> SyncRun:
    return salesforce_sync_run(**kwargs).run


def link(fake, person, user_id=EM_USER):
    person.salesforce_user_id = user_id
    person.save()
    fake.add_user(user_id, name=person.name, email=person.email)
    return user_id


def ms(value: dt.datetime) -> dt.datetime:
    """Salesforce keeps milliseconds."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


@pytest.fixture
def synced(fake_sf, em):
    """One opportunity led by `em`, pulled once: (fake org, local opportunity)."""
    link(fake_sf, em)
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


def edit(actor, opportunity, **values):
    opportunity.refresh_from_db()
    return services.opportunity_update_em_fields(
        actor=actor.user, opportunity=opportunity, expected_version=opportunity.version, **values
    )


# --- pull ------------------------------------------------------------------------------------------


def test_initial_load_creates_accounts_and_opportunities(fake_sf, em, region_amer):
    link(fake_sf, em)
    fake_sf.add_account(ACCOUNT, name="Acme Logistics")
    owner = fake_sf.add_user("005000000000009AAA", name="Pat Kim", email="pat.kim@example.com")
    stamp = sf_now() - dt.timedelta(hours=1)
    fake_sf.add_opportunity(
        OPP,
        Name="Acme — Migration",
        AccountId=ACCOUNT,
        OwnerId=owner,
        StageName="Negotiation",
        Type="Expansion",
        CloseDate=dt.date(2026, 12, 15),
        Amount=Decimal("125000.50"),
        CurrencyIsoCode="EUR",
        Probability=Decimal(70),
        ForecastCategoryName="Commit",
        Engagement_Manager__c=EM_USER,
        EM_Confidence__c="Amber",
        EM_Confidence_Rationale__c="Budget owner on leave",
        Scoping_Issue_Link__c="https://tracker.example.com/PS-1",
        SystemModstamp=stamp,
    )
    fake_sf.add_opportunity(OPP2, Name="Unassigned one", AccountId=ACCOUNT, SystemModstamp=stamp)
    fake_sf.add_opportunity(
        "006000000000003AAA", Name="A sales deal", RecordTypeId=fake_sf.record_type_id("Sales")
    )

    run = sync()

    assert (run.outcome, run.pulled, run.created, run.updated, run.removed) == ("success", 2, 2, 0, 0)
    assert run.api_calls == 1
    assert run.api_usage_used == 1 and run.api_usage_limit == 15000
    opp = Opportunity.objects.select_related("account", "engagement_manager").get(salesforce_id=OPP)
    assert opp.name == "Acme — Migration"
    assert opp.account.name == "Acme Logistics" and opp.account.salesforce_id == ACCOUNT
    assert (opp.owner_name, opp.owner_email) == ("Pat Kim", "pat.kim@example.com")
    assert (opp.stage, opp.type, opp.record_type) == ("Negotiation", "Expansion", "Professional Services")
    assert opp.close_date == dt.date(2026, 12, 15)
    assert opp.amount == Decimal("125000.50") and opp.currency == "EUR"
    assert (opp.probability, opp.forecast_category) == (70, "Commit")
    assert opp.engagement_manager == em
    assert (opp.em_confidence, opp.em_confidence_rationale) == ("Amber", "Budget owner on leave")
    assert opp.scoping_issue_link == "https://tracker.example.com/PS-1"
    assert opp.sf_last_modified == ms(stamp)
    assert opp.last_synced_at is not None
    assert Opportunity.objects.get(salesforce_id=OPP2).engagement_manager is None
    assert Account.objects.filter(salesforce_id=ACCOUNT).count() == 1
    assert SyncCursor.objects.get().watermark == ms(stamp)
    assert not PendingPush.objects.exists()
    assert opp.history.first().history_change_reason == "Salesforce sync"


def test_em_is_matched_by_email_when_the_user_id_is_unknown(fake_sf, em):
    fake_sf.add_user(EM_USER, name=em.name, email=em.email.upper())
    fake_sf.add_opportunity(OPP, Engagement_Manager__c=EM_USER)
    sync()
    assert Opportunity.objects.get(salesforce_id=OPP).engagement_manager == em
    em.refresh_from_db()
    assert em.salesforce_user_id == EM_USER


def test_unknown_em_is_left_for_later_and_reported(fake_sf, em):
    fake_sf.add_user(EM_USER, name="Somebody Else", email="someone@elsewhere.example")
    fake_sf.add_opportunity(OPP, Engagement_Manager__c=EM_USER)
    run = sync()
    assert Opportunity.objects.get(salesforce_id=OPP).engagement_manager is None
    assert "match no person" in run.message
    link_user = em
    link_user.salesforce_user_id = EM_USER
    link_user.save()
    sync(full=True)
    assert Opportunity.objects.get(salesforce_id=OPP).engagement_manager == em


def test_incremental_pull_reads_from_the_watermark_with_an_overlap(fake_sf, settings):
    settings.SALESFORCE_PULL_OVERLAP_SECONDS = 120
    t0 = ms(sf_now() - dt.timedelta(hours=1))
    for opp_id in ("006000000000001AAA", "006000000000002AAA", "006000000000003AAA"):
        fake_sf.add_opportunity(opp_id, StageName="Discovery", SystemModstamp=t0)
    sync()
    assert SyncCursor.objects.get().watermark == t0
    # After the run: one ordinary change, one committed late with a stamp inside the overlap,
    # and one with a stamp too old for any incremental read (only --full sees it).
    fake_sf.update_opportunity("006000000000001AAA", StageName="Negotiation")
    fake_sf.update_opportunity(
        "006000000000002AAA", StageName="Contracting", stamp=t0 - dt.timedelta(seconds=60)
    )
    fake_sf.update_opportunity(
        "006000000000003AAA", StageName="Closed Lost", stamp=t0 - dt.timedelta(minutes=10)
    )

    run = sync()

    assert f"SystemModstamp >= {soql_datetime(t0 - dt.timedelta(seconds=120))}" in fake_sf.queries[-1]
    assert (run.pulled, run.updated) == (2, 2)
    stages = dict(Opportunity.objects.values_list("salesforce_id", "stage"))
    assert stages == {
        "006000000000001AAA": "Negotiation",
        "006000000000002AAA": "Contracting",
        "006000000000003AAA": "Discovery",
    }
    watermark = SyncCursor.objects.get().watermark
    assert watermark is not None and watermark > t0
    full = sync(full=True)
    assert "SystemModstamp" not in fake_sf.queries[-1].split("WHERE", 1)[1].split("ORDER BY")[0]
    assert full.updated == 1
    assert Opportunity.objects.get(salesforce_id="006000000000003AAA").stage == "Closed Lost"


def test_paging_past_2000_records_follows_next_records_url(fake_sf):
    fake_sf.load_generated(4500)
    run = sync()
    assert (run.pulled, run.created) == (4500, 4500)
    assert fake_sf.calls["queryAll"] == 1
    assert fake_sf.calls["queryMore"] == 2
    assert run.api_calls == 3
    assert Opportunity.objects.count() == 4500


def test_a_page_is_committed_with_its_watermark(fake_sf, settings):
    """A failure on page 2 keeps page 1 and its watermark; the next run carries on."""
    fake_sf.load_generated(2500)
    fake_sf.fail_next(4, status=500, kinds={"queryMore"})  # the try and its three retries
    run = sync()
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "pull stopped" in run.message
    assert Opportunity.objects.count() == 2000
    first_watermark = SyncCursor.objects.get().watermark
    assert first_watermark is not None
    sync()
    assert Opportunity.objects.count() == 2500


def test_deleted_opportunity_is_marked_removed_not_erased(synced, em):
    fake, opp = synced
    fake.delete_opportunity(OPP)
    run = sync()
    assert run.removed == 1
    opp.refresh_from_db()
    assert opp.removed_in_salesforce_at is not None
    assert not selectors.pipeline_queryset(user=em.user, scope="mine").filter(pk=opp.pk).exists()
    assert sync().removed == 0


def test_em_field_changed_in_salesforce_is_taken_in(synced):
    fake, opp = synced
    fake.update_opportunity(OPP, EM_Confidence__c="Green", EM_Confidence_Rationale__c="PO raised")
    run = sync()
    assert run.updated == 1 and run.conflicts == 0
    opp.refresh_from_db()
    assert (opp.em_confidence, opp.em_confidence_rationale) == ("Green", "PO raised")
    assert opp.version == 2  # an EM editing from an older copy is told to reload
    event = ConfidenceEvent.objects.get(opportunity=opp)
    assert (event.from_confidence, event.to_confidence, event.actor) == ("Amber", "Green", None)
    assert not PendingPush.objects.exists()


def test_scoping_link_from_salesforce_must_be_http(synced):
    fake, opp = synced
    fake.update_opportunity(OPP, Scoping_Issue_Link__c="javascript:alert(1)")
    sync()
    opp.refresh_from_db()
    assert opp.scoping_issue_link == ""


def test_pending_local_change_is_never_overwritten_by_a_pull(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence="Green", em_confidence_rationale="Signed off by the CFO")
    fake.update_opportunity(OPP, StageName="Contracting")
    run = sync()
    opp.refresh_from_db()
    assert opp.stage == "Contracting"
    assert (opp.em_confidence, opp.em_confidence_rationale) == ("Green", "Signed off by the CFO")
    assert run.conflicts == 0 and run.pushed == 1
    record = fake.opportunity(OPP)
    assert (record["EM_Confidence__c"], record["EM_Confidence_Rationale__c"]) == (
        "Green",
        "Signed off by the CFO",
    )


def test_both_sides_changed_records_a_conflict_and_holds_the_field(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence="Green", em_confidence_rationale="Signed off by the CFO")
    fake.update_opportunity(OPP, EM_Confidence__c="Red")

    run = sync()

    assert run.conflicts == 1
    conflict = SyncConflict.objects.get()
    assert (conflict.field, conflict.status) == ("em_confidence", "open")
    assert (conflict.local_value, conflict.salesforce_value) == ("Green", "Red")
    assert conflict.local_changed_at is not None and conflict.salesforce_changed_at is not None
    opp.refresh_from_db()
    assert opp.em_confidence == "Green"
    record = fake.opportunity(OPP)
    # The conflicted field is held; the rationale (changed only here) went through.
    assert record["EM_Confidence__c"] == "Red"
    assert record["EM_Confidence_Rationale__c"] == "Signed off by the CFO"
    assert PendingPush.objects.get(opportunity=opp).fields == ["em_confidence"]
    # Running again records nothing new and still holds the field.
    again = sync()
    assert again.conflicts == 0 and SyncConflict.objects.count() == 1
    assert fake.opportunity(OPP)["EM_Confidence__c"] == "Red"


@pytest.fixture
def conflicted(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence="Green", em_confidence_rationale="Signed off by the CFO")
    fake.update_opportunity(OPP, EM_Confidence__c="Red")
    sync()
    return fake, opp, SyncConflict.objects.get()


def test_conflict_resolved_keep_mine_pushes_the_app_value(conflicted, em):
    fake, opp, conflict = conflicted
    conflicts.sync_conflict_resolve(actor=em.user, conflict=conflict, choice="mine")
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution, conflict.resolved_by) == ("resolved", "keep_local", em.user)
    run = sync()
    assert run.pushed == 1
    assert fake.opportunity(OPP)["EM_Confidence__c"] == "Green"
    assert not PendingPush.objects.exists()
    assert sync().conflicts == 0


def test_conflict_resolved_take_salesforce_changes_the_app_value(conflicted, em):
    fake, opp, conflict = conflicted
    conflicts.sync_conflict_resolve(actor=em.user, conflict=conflict, choice="salesforce")
    opp.refresh_from_db()
    assert opp.em_confidence == "Red"
    assert not PendingPush.objects.exists()
    assert ConfidenceEvent.objects.filter(opportunity=opp, to_confidence="Red", actor=em.user).exists()
    run = sync()
    assert (run.pushed, run.conflicts) == (0, 0)
    assert fake.opportunity(OPP)["EM_Confidence__c"] == "Red"


@pytest.mark.parametrize("who", ["other_em", "leadership", "ps_director"])
def test_only_those_who_may_edit_em_fields_resolve_conflicts(conflicted, request, who):
    _, _, conflict = conflicted
    person = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        conflicts.sync_conflict_resolve(actor=person.user, conflict=conflict, choice="mine")
    conflict.refresh_from_db()
    assert conflict.status == "open"


def test_em_manager_and_admin_may_resolve_conflicts(conflicted, em_manager, admin_person):
    _, _, conflict = conflicted
    conflicts.sync_conflict_resolve(actor=em_manager.user, conflict=conflict, choice="mine")
    with pytest.raises(Exception, match="already resolved"):
        conflicts.sync_conflict_resolve(actor=admin_person.user, conflict=conflict, choice="salesforce")


def test_salesforce_coming_round_to_the_app_value_closes_the_conflict(conflicted):
    fake, opp, conflict = conflicted
    fake.update_opportunity(OPP, EM_Confidence__c="Green")
    sync()
    conflict.refresh_from_db()
    assert conflict.status == "resolved"


# --- push ------------------------------------------------------------------------------------------


def test_1000_pending_edits_go_in_exactly_5_composite_calls(fake_sf):
    ids = fake_sf.load_generated(1000)
    sync()
    opps = list(Opportunity.objects.all())
    Opportunity.objects.update(em_confidence="Amber", em_confidence_rationale="Waiting for the PO")
    PendingPush.objects.bulk_create(
        [PendingPush(opportunity=o, fields=["em_confidence", "em_confidence_rationale"]) for o in opps]
    )

    run = sync()

    assert fake_sf.calls["composite"] == 5
    assert fake_sf.composite_sizes == [200] * 5
    assert run.pushed == 1000 and run.push_failed == 0
    assert not PendingPush.objects.exists()
    assert all(fake_sf.opportunity(i)["EM_Confidence__c"] == "Amber" for i in ids)
    assert Opportunity.objects.filter(salesforce_em_values__em_confidence="Amber").count() == 1000


def test_push_sends_the_current_values(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence="Green", em_confidence_rationale="first")
    edit(em, opp, em_confidence_rationale="second thoughts")
    sync()
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "second thoughts"
    assert fake.calls["sobject"] == 1  # a lone record goes as a single-record PATCH


def test_an_edit_made_while_its_push_is_in_flight_is_kept(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence_rationale="sent")
    with SalesforceClient() as client:
        result = push_module.PushResult()
        outgoing = push_module._prepare(
            client.config, list(PendingPush.objects.values_list("pk", flat=True)), result, dry_run=False
        )
        edit(em, opp, em_confidence_rationale="typed while the call was out")
        answers = push_module._send(client, outgoing, result)
        push_module._apply_results(client.config, outgoing, answers, result)
    assert PendingPush.objects.filter(opportunity=opp).exists()
    sync()
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "typed while the call was out"
    assert not PendingPush.objects.exists()


def _many_edits(fake, em, n=5):
    """n opportunities led by em, pulled, each with a pending EM edit; their Salesforce ids."""
    link(fake, em)
    ids = fake.load_generated(n, em_user_ids=[EM_USER])
    sync()
    for index, opp in enumerate(Opportunity.objects.order_by("salesforce_id")):
        edit(em, opp, em_confidence="Green", em_confidence_rationale=f"call {index}")
    return ids


def _assert_nothing_lost(fake, ids):
    assert not PendingPush.objects.exists()
    for opp in Opportunity.objects.filter(salesforce_id__in=ids):
        record = fake.opportunity(opp.salesforce_id)
        assert (record["EM_Confidence__c"], record["EM_Confidence_Rationale__c"]) == (
            opp.em_confidence,
            opp.em_confidence_rationale,
        )
        assert opp.em_confidence == "Green"


def _sync_until_done(max_runs=5):
    runs = []
    for _ in range(max_runs):
        runs.append(sync())
        if not PendingPush.objects.exists():
            break
        waits = [
            *PendingPush.objects.exclude(next_attempt_at=None).values_list("next_attempt_at", flat=True),
            *SyncCursor.objects.exclude(paused_until=None).values_list("paused_until", flat=True),
        ]
        if waits:
            wait = (max(w for w in waits if w is not None) - timezone.now()).total_seconds()
            if wait > 0:
                time.sleep(min(wait + 0.01, 1))
    return runs


FAULTS = {
    "server_error": lambda fake, settings: fake.fail_next(2, status=503, kinds={"composite"}),
    "server_error_beyond_retries": lambda fake, settings: fake.fail_next(
        6,
        status=500,
        error_code="UNKNOWN_EXCEPTION",
        message="An unexpected error occurred",
        kinds={"composite"},
    ),
    "timeout": lambda fake, settings: (
        setattr(settings, "SALESFORCE_TIMEOUT_SECONDS", 0.3),  # type: ignore[func-returns-value]  # the tuple only orders the two calls
        fake.slow_down(1.0, calls=1, kinds={"composite"}),
    ),
    "rate_limit": lambda fake, settings: fake.fail_next(
        1,
        status=403,
        error_code="REQUEST_LIMIT_EXCEEDED",
        message="TotalRequests Limit exceeded.",
        kinds={"composite"},
    ),
    "locked_rows": lambda fake, settings: fake.fail_records(
        sorted(fake.state.opportunities)[:3], error_code="UNABLE_TO_LOCK_ROW", times=2
    ),
    "session_expired": lambda fake, settings: fake.fail_next(
        1,
        status=401,
        error_code="INVALID_SESSION_ID",
        message="Session expired or invalid",
        kinds={"composite"},
    ),
    "query_server_error": lambda fake, settings: fake.fail_next(2, status=502, kinds={"query"}),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_ends_in_success_without_losing_an_edit(fake_sf, em, settings, fault):
    ids = _many_edits(fake_sf, em)
    FAULTS[fault](fake_sf, settings)
    runs = _sync_until_done()
    _assert_nothing_lost(fake_sf, ids)
    assert runs[-1].outcome == SyncRun.Outcome.SUCCESS
    assert not PendingPush.objects.filter(status="failed").exists()
    if fault == "rate_limit":
        assert runs[0].outcome == SyncRun.Outcome.PARTIAL
        assert "REQUEST_LIMIT_EXCEEDED" in runs[0].message
    if fault == "locked_rows":
        assert len(runs) == 1  # retried with back-off inside the same run
    if fault == "session_expired":
        assert fake_sf.calls["token"] >= 3  # pulled once, then re-authenticated for the push


def test_rate_limit_pauses_the_sync_with_a_longer_backoff(fake_sf, em, settings):
    settings.SALESFORCE_RATE_LIMIT_BACKOFF_SECONDS = 600
    _many_edits(fake_sf, em, n=2)
    fake_sf.fail_next(
        1,
        status=403,
        error_code="REQUEST_LIMIT_EXCEEDED",
        message="TotalRequests Limit exceeded.",
        kinds={"composite"},
    )
    sync()
    cursor = SyncCursor.objects.get()
    assert cursor.paused_until is not None
    assert cursor.paused_until > timezone.now() + dt.timedelta(minutes=4)
    push = PendingPush.objects.first()
    assert push is not None and push.next_attempt_at is not None
    assert push.next_attempt_at > timezone.now() + dt.timedelta(minutes=4)
    calls_before = fake_sf.api_calls
    skipped = sync()
    assert skipped.outcome == SyncRun.Outcome.SKIPPED and "API limit" in skipped.message
    assert fake_sf.api_calls == calls_before


def test_permanent_error_marks_the_push_failed_with_the_message(synced, em, login):
    fake, opp = synced
    salesforce_org_check()  # the daily describe saw Green; an administrator removed it since
    fake.picklists["EM_Confidence__c"] = {"Grey", "Red", "Amber"}  # no Green in this org
    edit(em, opp, em_confidence="Green", em_confidence_rationale="Signed")
    run = sync()
    assert (run.outcome, run.push_failed, run.pushed) == ("partial", 1, 0)
    push = PendingPush.objects.get(opportunity=opp)
    assert push.status == "failed"
    assert "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in push.last_error
    assert "bad value for restricted picklist field: Green" in push.last_error
    calls = fake.calls["sobject"] + fake.calls["composite"]
    sync()
    assert fake.calls["sobject"] + fake.calls["composite"] == calls  # not retried forever
    page = login(em).get(opp.get_absolute_url())
    assert "bad value for restricted picklist field: Green" in page.content.decode()


def test_a_record_that_stays_locked_is_given_up_after_the_max_attempts(synced, em, settings):
    settings.SALESFORCE_PUSH_MAX_ATTEMPTS = 3
    fake, opp = synced
    fake.fail_records([OPP], error_code="UNABLE_TO_LOCK_ROW", times=100)
    edit(em, opp, em_confidence_rationale="blocked")
    _sync_until_done()
    push = PendingPush.objects.get()
    assert push.status == "failed" and push.attempts == 3
    assert push.last_error.startswith("Gave up after 3 attempts: UNABLE_TO_LOCK_ROW")
    services.pending_push_retry(actor=User_admin(), push_ids=[push.pk])
    fake.fail_records([OPP], times=0)
    sync()
    assert not PendingPush.objects.exists()
    assert fake.opportunity(OPP)["EM_Confidence_Rationale__c"] == "blocked"


def User_admin():  # noqa: N802 — reads like the role it makes
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(
        "sync-admin", "sync-admin@example.com", "pw-for-tests-123"
    )


def test_em_without_a_salesforce_user_id_fails_with_a_clear_message(
    synced, em_manager, make_person, region_amer
):
    fake, opp = synced
    newcomer = make_person(Role.ENGAGEMENT_MANAGER, username="em.new", region=region_amer, manager=em_manager)
    services.opportunity_assign_em(
        actor=em_manager.user, opportunity=opp, engagement_manager=newcomer, expected_version=opp.version
    )
    sync()
    push = PendingPush.objects.get()
    assert push.status == "failed"
    assert "has no Salesforce user id" in push.last_error


def test_opportunities_not_in_salesforce_are_not_pushed(fake_sf, em, region_amer):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, salesforce_id=None)
    edit(em, opp, em_confidence_rationale="local only")
    run = sync()
    assert run.outcome == "success"
    assert not PendingPush.objects.exists()
    assert fake_sf.calls["composite"] + fake_sf.calls["sobject"] == 0


# --- running -------------------------------------------------------------------------------------


def test_overlapping_runs_the_second_does_nothing(fake_sf):
    fake_sf.load_generated(3)
    token = sync_lock_acquire(ttl_seconds=60)
    assert token is not None
    try:
        run = sync()
    finally:
        sync_lock_release(token=token)
    assert run.outcome == SyncRun.Outcome.SKIPPED
    assert "in progress" in run.message
    assert fake_sf.calls["token"] == 0 and fake_sf.api_calls == 0
    assert not Opportunity.objects.exists()
    assert sync().created == 3


def test_an_expired_lock_is_taken_over(fake_sf):
    assert sync_lock_acquire(ttl_seconds=60) is not None
    SyncCursor.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert sync().outcome == SyncRun.Outcome.SUCCESS


@pytest.mark.django_db(transaction=True)
def test_a_run_started_while_another_is_in_flight_is_skipped(fake_sf):
    """Two real runs at once: the second finds the lock taken while the first waits on Salesforce."""
    import threading

    fake_sf.load_generated(5)
    fake_sf.slow_down(1.0, calls=1, kinds={"query"})
    results = {}

    def first():
        from django.db import connection

        try:
            results["first"] = sync()
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    deadline = timezone.now() + dt.timedelta(seconds=5)
    while not SyncRun.objects.filter(outcome="running").exists() and timezone.now() < deadline:
        threading.Event().wait(0.02)
    second = sync()
    thread.join(10)
    assert second.outcome == SyncRun.Outcome.SKIPPED
    assert results["first"].outcome == SyncRun.Outcome.SUCCESS
    assert results["first"].created == 5


def test_a_rerun_after_success_changes_nothing(synced, em):
    fake, opp = synced
    edit(em, opp, em_confidence="Green", em_confidence_rationale="Signed")
    fake.update_opportunity(OPP, StageName="Contracting")
    fake.add_opportunity(OPP2, Name="Another")
    first = sync()
    assert (first.created, first.updated, first.pushed) == (1, 1, 1)
    fields = (
        "name",
        "stage",
        "version",
        "em_confidence",
        "em_confidence_rationale",
        "engagement_manager",
        "removed_in_salesforce_at",
        "last_synced_at",
    )
    snapshot = list(Opportunity.objects.order_by("pk").values(*fields))
    history = Opportunity.history.count()
    composite = fake.calls["composite"] + fake.calls["sobject"]

    rerun = sync()

    assert (rerun.outcome, rerun.created, rerun.updated, rerun.removed, rerun.pushed, rerun.conflicts) == (
        "success",
        0,
        0,
        0,
        0,
        0,
    )
    assert list(Opportunity.objects.order_by("pk").values(*fields)) == snapshot
    assert Opportunity.history.count() == history
    assert fake.calls["composite"] + fake.calls["sobject"] == composite
    assert ConfidenceEvent.objects.filter(actor=None).count() == 0


def test_dry_run_reports_and_changes_nothing(synced, em, capsys):
    fake, opp = synced
    edit(em, opp, em_confidence_rationale="not yet")
    fake.add_opportunity(OPP2, Name="New in Salesforce")
    runs = SyncRun.objects.count()
    call_command("sync_salesforce", "--dry-run")
    out = capsys.readouterr().out
    assert "1 new" in out and "1 pushed" in out
    assert "Query: SELECT" in out
    assert not Opportunity.objects.filter(salesforce_id=OPP2).exists()
    assert PendingPush.objects.filter(opportunity=opp).exists()
    assert SyncRun.objects.count() == runs
    assert fake.calls["composite"] + fake.calls["sobject"] == 0


def test_command_runs_a_sync_and_full_reads_everything(synced, capsys):
    fake, _ = synced
    call_command("sync_salesforce", "--full")
    out = capsys.readouterr().out
    assert out.startswith("Succeeded: 1 pulled")
    assert SyncRun.objects.latest("started_at").trigger == "command"
    assert "SystemModstamp >=" not in fake.queries[-1]


def test_command_explains_when_the_sync_is_off(settings):
    from django.core.management.base import CommandError

    settings.SALESFORCE_CONSUMER_KEY = ""
    settings.SALESFORCE_AUTH_FLOW = ""
    with pytest.raises(CommandError, match="sync is off"):
        call_command("sync_salesforce")
    with pytest.raises(SalesforceNotConfigured):
        salesforce_sync_run()
