"""The sync against what a real org does: records leave the sync's scope or are purged, record types
are renamed, fields are read-only or shorter than the app's, the API budget runs low, ids come in 15
characters, maintenance pages and proxies answer instead of the API, sessions are revoked. The real
simple-salesforce client talks HTTPS to the fake org (tests/fakes), never patched."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.health import recent_report
from engagements.models import Opportunity, PendingPush, RemovalReason
from forecasting.figures import source_for
from salesforce.ids import to_18
from salesforce.models import OrgCheck, SyncCursor, SyncRun
from salesforce.tasks import salesforce_org_check
from tests.conftest import client_for
from tests.salesforce.test_sync import EM_USER, edit, link, sync

pytestmark = pytest.mark.django_db

HEALTH_TOKEN = "org-safety-health-token-0123456789"


def load(fake, n: int, *, em_user: str | None = EM_USER) -> list[str]:
    """n Professional Services opportunities in the fake org (led by em_user); their ids."""
    ids: list[str] = fake.load_generated(n, em_user_ids=[em_user] if em_user else None)
    return ids


def removed(salesforce_id: str) -> tuple[bool, str]:
    opp = Opportunity.objects.get(salesforce_id=salesforce_id)
    return opp.removed_in_salesforce_at is not None, opp.removed_in_salesforce_reason


def in_pipeline(client: Client, opportunity: Opportunity) -> bool:
    page = client.get(reverse("engagements:pipeline") + "?scope=all").content.decode()
    return opportunity.name in page


def in_forecast(opportunity: Opportunity) -> bool:
    return opportunity.pk in set(source_for(None).rows().values_list("s_opp", flat=True))


def health(settings) -> dict[str, Any]:
    settings.HEALTH_TOKEN = HEALTH_TOKEN
    recent_report.clear()
    response = Client().get("/health/", HTTP_AUTHORIZATION=f"Bearer {HEALTH_TOKEN}")
    recent_report.clear()
    body: dict[str, Any] = response.json()
    return body


# --- §3 scope changes and purges --------------------------------------------------------------------


def test_an_opportunity_that_stops_matching_the_condition_is_removed_and_comes_back(fake_sf, em, login):
    link(fake_sf, em)
    ids = load(fake_sf, 3)
    assert sync().outcome == SyncRun.Outcome.SUCCESS
    moved = Opportunity.objects.get(salesforce_id=ids[0])
    client = login(em)
    assert in_pipeline(client, moved) and in_forecast(moved)

    fake_sf.change_record_type(ids[0], "Sales")  # no longer a Professional Services opportunity
    run = sync(full=True)

    assert removed(ids[0]) == (True, RemovalReason.OUT_OF_SCOPE)
    assert removed(ids[1]) == (False, "") and removed(ids[2]) == (False, "")
    assert run.removed == 1
    assert "removed 1 out of scope" in run.message
    assert not in_pipeline(client, moved) and not in_forecast(moved)
    page = client.get(moved.get_absolute_url()).content.decode()
    assert "No longer matches the sync&#x27;s condition in Salesforce" in page  # kept and visible
    edit(em, moved, em_confidence="Red", em_confidence_rationale="Moved to the sales team")
    sync()
    assert fake_sf.opportunity(ids[0])["EM_Confidence__c"] == "Grey"  # never pushed again

    fake_sf.change_record_type(ids[0], "Professional Services")
    sync()  # the edit moved its SystemModstamp: the incremental pull brings it back

    assert removed(ids[0]) == (False, "")
    assert in_pipeline(client, moved) and in_forecast(moved)


def test_reconciliation_restores_an_opportunity_back_in_scope_that_the_pull_missed(fake_sf, em):
    link(fake_sf, em)
    ids = load(fake_sf, 2)
    sync()
    fake_sf.change_record_type(ids[0], "Sales")
    sync(full=True)
    assert removed(ids[0]) == (True, RemovalReason.OUT_OF_SCOPE)
    # Back in scope with a modstamp before the watermark (e.g. a data load that keeps stamps).
    old_stamp = fake_sf.opportunity(ids[1])["SystemModstamp"] - dt.timedelta(hours=1)
    fake_sf.update_opportunity(
        ids[0], RecordTypeId=fake_sf.record_type_id("Professional Services"), stamp=old_stamp
    )
    assert sync().removed == 0 and removed(ids[0])[0]  # the incremental pull does not see it

    run = sync(reconcile=True)

    assert removed(ids[0]) == (False, "")
    assert "restored 1 back in scope" in run.message


def test_the_scheduled_sync_reconciles_once_a_day(fake_sf, em):
    link(fake_sf, em)
    ids = load(fake_sf, 2)
    sync()  # the first pull loads everything: counted as reconciled now
    fake_sf.change_record_type(ids[0], "Sales")

    sync()
    assert removed(ids[0]) == (False, "")  # not due yet: nothing read by id

    check = OrgCheck.objects.get(kind=OrgCheck.Kind.SCOPE)
    day_ago = timezone.now() - dt.timedelta(hours=24, minutes=1)
    check.details = {**check.details, "reconciled_at": day_ago.isoformat()}
    check.save()
    run = sync()

    assert removed(ids[0]) == (True, RemovalReason.OUT_OF_SCOPE)
    assert run.trigger == SyncRun.Trigger.SCHEDULE and run.removed == 1


def test_sync_salesforce_full_reconciles(fake_sf, em):
    link(fake_sf, em)
    ids = load(fake_sf, 2)
    sync()
    fake_sf.change_record_type(ids[1], "Sales")
    out = io.StringIO()

    call_command("sync_salesforce", "--full", stdout=out)

    assert removed(ids[1]) == (True, RemovalReason.OUT_OF_SCOPE)
    assert "1 removed" in out.getvalue() and "removed 1 out of scope" in out.getvalue()


def test_a_purged_opportunity_is_removed_as_purged(fake_sf, em):
    link(fake_sf, em)
    ids = load(fake_sf, 3)
    sync()
    fake_sf.delete_opportunity(ids[0])
    fake_sf.purge_opportunity(ids[0])  # emptied from the recycle bin before any pull saw it
    fake_sf.delete_opportunity(ids[1])  # still in the recycle bin

    run = sync(full=True)

    assert removed(ids[0]) == (True, RemovalReason.PURGED)
    assert removed(ids[1]) == (True, RemovalReason.DELETED)
    assert removed(ids[2]) == (False, "")
    assert run.removed == 2
    opp = Opportunity.objects.get(salesforce_id=ids[0])
    assert not in_forecast(opp)


def test_reconciliation_reads_by_id_in_chunks_with_the_condition(fake_sf, em, settings):
    settings.SALESFORCE_RECONCILE_CHUNK_SIZE = 4
    link(fake_sf, em)
    ids = load(fake_sf, 10)
    sync()
    fake_sf.queries.clear()
    fake_sf.change_record_type(ids[9], "Sales")

    sync(reconcile=True)

    by_id = [q for q in fake_sf.queries if q.startswith("SELECT Id, IsDeleted FROM Opportunity WHERE Id IN")]
    # ceil(10 / 4) = 3 chunks with the condition, then one more for the one id that did not come back
    assert len(by_id) == 4
    assert sum("RecordType.DeveloperName = 'Professional_Services'" in q for q in by_id) == 3
    assert removed(ids[9]) == (True, RemovalReason.OUT_OF_SCOPE)


def test_a_renamed_record_type_label_does_not_empty_the_pull(fake_sf, em):
    link(fake_sf, em)
    ids = load(fake_sf, 12)
    sync()
    fake_sf.rename_record_type("Professional Services", "PS Engagements")  # DeveloperName stays

    run = sync(full=True)

    assert run.pulled == 12
    assert run.removed == 0
    assert "Warning" not in run.message
    assert Opportunity.objects.filter(removed_in_salesforce_at__isnull=True).count() == len(ids)
    assert set(Opportunity.objects.values_list("record_type", flat=True)) == {"PS Engagements"}


def test_a_full_pull_that_shrinks_warns_and_makes_health_degraded(fake_sf, em, settings):
    # An org set up on the label: renaming it leaves the condition matching nothing.
    settings.SALESFORCE_OPPORTUNITY_CONDITION = "RecordType.Name = 'Professional Services'"
    link(fake_sf, em)
    load(fake_sf, 12)
    sync()
    assert health(settings)["checks"]["salesforce_org"]["status"] == "ok"
    fake_sf.rename_record_type("Professional Services", "PS Engagements")

    run = sync(full=True)

    assert run.pulled == 0
    assert "Warning: The full pull found only 0 of the 12 open opportunities" in run.message
    assert "Nothing was removed." in run.message  # reconciliation held back
    assert not Opportunity.objects.filter(removed_in_salesforce_at__isnull=False).exists()
    report = health(settings)
    assert report["status"] == "degraded"
    assert report["checks"]["salesforce_org"]["status"] == "degraded"
    assert "found 0 of 12 open opportunities" in report["checks"]["salesforce_org"]["detail"]


# --- §6 know the org before writing to it ------------------------------------------------------------


def test_describe_problems_stop_the_push_with_one_message_and_show_on_the_health_page(
    fake_sf, em, admin_person, django_capture_on_commit_callbacks
):
    link(fake_sf, em)
    ids = load(fake_sf, 3)
    sync()
    fake_sf.set_field("EM_Confidence_Rationale__c", updateable=False)
    fake_sf.picklists["EM_Confidence__c"] = {"Grey", "Red"}
    for opp in Opportunity.objects.all():
        edit(em, opp, em_confidence="Red", em_confidence_rationale="No budget this year")
    calls_before = fake_sf.calls["composite"] + fake_sf.calls["sobject"]

    run = sync()

    assert (run.outcome, run.pushed, run.push_failed) == (SyncRun.Outcome.PARTIAL, 0, 0)
    assert run.message.count("Nothing was pushed: the field map does not fit the Salesforce org.") == 1
    assert "EM_Confidence_Rationale__c (EM confidence rationale) is read-only" in run.message
    assert "EM_Confidence__c (EM confidence) has no active picklist value Amber, Green" in run.message
    assert fake_sf.calls["composite"] + fake_sf.calls["sobject"] == calls_before  # nothing sent
    assert fake_sf.calls["describe"] == 1
    assert list(PendingPush.objects.values_list("status", flat=True)) == ["pending"] * 3
    admin = client_for(admin_person)
    page = admin.get(reverse("admin:salesforce_syncrun_health")).content.decode()
    assert "The field map does not fit the org" in page
    assert "is read-only for the integration user" in page
    assert "has no active picklist value Amber, Green" in page

    fake_sf.set_field("EM_Confidence_Rationale__c", updateable=True)
    fake_sf.picklists["EM_Confidence__c"] = {"Grey", "Red", "Amber", "Green"}
    sync()
    assert PendingPush.objects.count() == 3  # the kept describe still says no (refreshed daily)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("salesforce:org_check"))  # Check the org again
    page = admin.get(reverse("admin:salesforce_syncrun_health")).content.decode()
    assert "The field map fits the org." in page

    run = sync()

    assert run.pushed == 3 and not PendingPush.objects.exists()
    assert all(fake_sf.opportunity(i)["EM_Confidence_Rationale__c"] == "No budget this year" for i in ids)


def test_a_missing_field_is_a_describe_problem(fake_sf, em, settings):
    link(fake_sf, em)
    load(fake_sf, 1)
    sync()
    settings.SALESFORCE_FIELD_MAP = {**settings.SALESFORCE_FIELD_MAP, "scoping_issue_link": "PS_Link__c"}
    fake_sf.hide_field("Scoping_Issue_Link__c")
    edit(em, Opportunity.objects.get(), scoping_issue_link="https://tracker.example.com/PS-9")

    run = sync()

    assert "PS_Link__c (scoping issue link) does not exist on Opportunity" in run.message
    assert PendingPush.objects.get().status == "pending"


def test_waiting_text_longer_than_the_salesforce_field_stops_the_push(fake_sf, em):
    link(fake_sf, em)
    load(fake_sf, 2)
    sync()
    long_text, short_text = "z" * 300, "fits"
    first, second = Opportunity.objects.order_by("pk")
    edit(em, first, em_confidence="Amber", em_confidence_rationale=long_text)  # before the describe
    edit(em, second, em_confidence="Amber", em_confidence_rationale=short_text)
    fake_sf.set_field("EM_Confidence_Rationale__c", type="string", length=255)

    run = sync()

    assert run.pushed == 0
    assert (
        "The EM confidence rationale of 1 opportunity waiting to be pushed is longer than "
        "EM_Confidence_Rationale__c accepts (255 characters)"
    ) in run.message
    assert PendingPush.objects.filter(status="pending").count() == 2


def test_a_rationale_longer_than_the_salesforce_field_is_refused_with_the_limit(fake_sf, em, login):
    link(fake_sf, em)
    load(fake_sf, 1)
    sync()
    fake_sf.set_field("EM_Confidence_Rationale__c", type="string", length=255)
    salesforce_org_check()
    opp = Opportunity.objects.get()
    client = login(em)
    form = client.get(reverse("engagements:em_fields", args=[opp.pk])).content.decode()
    assert "At most 255 characters (Salesforce)." in form

    response = client.post(
        reverse("engagements:em_fields", args=[opp.pk]),
        {
            "em_confidence": "Amber",
            "em_confidence_rationale": "x" * 300,
            "scoping_issue_link": "",
            "version": opp.version,
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Salesforce accepts at most 255 characters for the rationale" in body
    assert "this one has 300" in body
    opp.refresh_from_db()
    assert (opp.em_confidence, opp.em_confidence_rationale) == ("Grey", "")
    assert not PendingPush.objects.exists()
    client.post(
        reverse("engagements:em_fields", args=[opp.pk]),
        {"em_confidence": "Amber", "em_confidence_rationale": "y" * 255, "version": opp.version},
    )
    opp.refresh_from_db()
    assert opp.em_confidence_rationale == "y" * 255


def test_api_usage_above_the_threshold_slows_the_sync_and_says_so(fake_sf, em, settings):
    settings.SALESFORCE_API_USAGE_SLOW_PAUSE_SECONDS = 0.01
    link(fake_sf, em)
    load(fake_sf, 2)
    sync()
    for opp in Opportunity.objects.all():
        edit(em, opp, em_confidence="Green", em_confidence_rationale="PO received")
    fake_sf.api_used = 12_400  # of 15,000: past 80 % after the next call

    run = sync(full=True)

    assert run.outcome == SyncRun.Outcome.SUCCESS and run.pushed == 2
    used = run.api_usage_used
    assert used is not None and used / 15_000 >= 0.8
    assert "Salesforce API usage reached 12,401 of the org's daily 15,000 (83%, above 80%)" in run.message
    assert "the sync slowed down (0.01 s between calls)" in run.message
    assert "Reconciliation skipped while the org's API usage is high" in run.message


def test_the_sync_stops_before_exhausting_the_api_limit(fake_sf, em):
    link(fake_sf, em)
    load(fake_sf, 2)
    sync()
    for opp in Opportunity.objects.all():
        edit(em, opp, em_confidence="Green", em_confidence_rationale="PO received")
    fake_sf.api_used = 14_300  # 95.3 % after the next call
    sent_before = fake_sf.calls["composite"] + fake_sf.calls["sobject"]

    run = sync()

    assert "Stopped before exhausting the org's daily API limit: 14,301 of 15,000 calls" in run.message
    assert fake_sf.calls["composite"] + fake_sf.calls["sobject"] == sent_before
    assert PendingPush.objects.filter(status="pending").count() == 2
    cursor = SyncCursor.objects.get()
    assert cursor.paused_until is not None and cursor.paused_until > timezone.now()
    assert sync().outcome == SyncRun.Outcome.SKIPPED  # waits instead of spending more calls


def test_a_15_character_user_id_matches_the_person_with_the_18_character_id(fake_sf, em):
    user_18 = to_18("005Dn000001AbCd")
    link(fake_sf, em, user_id=user_18)
    fake_sf.add_opportunity("006Dn000002XyZaAAB", Engagement_Manager__c="005Dn000001AbCd")

    sync()

    assert Opportunity.objects.get().engagement_manager == em


def test_a_person_with_a_15_character_id_matches_and_is_pushed_as_18(fake_sf, em):
    user_18 = to_18("005Dn000001AbCd")
    fake_sf.add_user(user_18, name=em.name, email=em.email)
    em.salesforce_user_id = "005Dn000001AbCd"  # copied from a Salesforce page's URL
    em.save()
    fake_sf.add_opportunity("006Dn000002XyZaAAB", Engagement_Manager__c=user_18)
    sync()
    opp = Opportunity.objects.get()
    assert opp.engagement_manager == em

    edit(em, opp, em_confidence="Amber", em_confidence_rationale="Timing unclear")
    run = sync()

    assert run.pushed == 1 and run.conflicts == 0
    assert fake_sf.opportunity("006Dn000002XyZaAAB")["Engagement_Manager__c"] == user_18
    assert not PendingPush.objects.exists()


def test_the_18_character_form_carries_the_case_checksum():
    # The example id in Salesforce's documentation of 15- and 18-character ids.
    assert to_18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert to_18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"


def test_an_html_503_reads_salesforce_unavailable(fake_sf, em):
    link(fake_sf, em)
    load(fake_sf, 1)
    fake_sf.fail_next(10, status=503, html=True, kinds={"query"})

    run = sync()

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "Salesforce unavailable: it answered 503 with a web page" in run.message
    assert "<" not in run.message and "maintenance</h1>" not in run.message


def test_a_200_that_is_not_json_is_a_clear_error(fake_sf, em):
    link(fake_sf, em)
    load(fake_sf, 1)
    fake_sf.fail_next(1, status=200, body="Welcome to the proxy", content_type="text/plain", kinds={"query"})

    run = sync()

    assert run.outcome == SyncRun.Outcome.FAILED
    assert "Salesforce answered 200 with a body that is not JSON (text/plain)" in run.message
    assert "Welcome to the proxy" not in run.message
    assert fake_sf.calls["fault:query"] == 1  # not resent blind


def test_a_second_401_after_logging_in_again_says_the_session_was_revoked(fake_sf, em):
    link(fake_sf, em)
    load(fake_sf, 1)
    fake_sf.fail_next(2, status=401, error_code="INVALID_SESSION_ID", kinds={"query"})

    run = sync()

    assert run.outcome == SyncRun.Outcome.FAILED
    assert run.message.startswith("Salesforce revoked the session")
    assert "The pull stopped" not in run.message
    assert fake_sf.calls["token"] == 2  # logged in again once


def test_health_shows_describe_problems(fake_sf, em, settings):
    link(fake_sf, em)
    load(fake_sf, 1)
    sync()
    fake_sf.picklists["EM_Confidence__c"] = {"Grey", "Red", "Amber"}
    salesforce_org_check()

    check = health(settings)["checks"]["salesforce_org"]

    assert check["status"] == "degraded"
    assert check["detail"] == "1 field map problem(s): the push is stopped"
    assert OrgCheck.objects.get(kind=OrgCheck.Kind.DESCRIBE).problems
