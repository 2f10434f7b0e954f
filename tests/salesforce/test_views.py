"""Sync on the pages: conflict resolution on the opportunity page, Sync now and the sync health
admin page — permissions per role, bad input, and what each role sees."""

import pytest
from django.test import Client
from django.urls import reverse

from core.roles import Role
from engagements.models import Opportunity, PendingPush
from salesforce.models import SyncConflict, SyncRun
from salesforce.tasks import salesforce_org_check
from tests.conftest import client_for
from tests.salesforce.test_sync import EM_USER, OPP, edit, link, sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def conflict(fake_sf, em):
    link(fake_sf, em)
    fake_sf.add_opportunity(
        OPP,
        Name="Acme — Migration",
        Engagement_Manager__c=EM_USER,
        EM_Confidence__c="Amber",
        EM_Confidence_Rationale__c="Waiting",
    )
    sync()
    opp = Opportunity.objects.get(salesforce_id=OPP)
    edit(em, opp, em_confidence="Green", em_confidence_rationale="Signed off")
    fake_sf.update_opportunity(OPP, EM_Confidence__c="Red")
    sync()
    return SyncConflict.objects.get()


def _resolve(client, conflict, choice="mine"):
    return client.post(reverse("salesforce:conflict_resolve", args=[conflict.pk]), {"choice": choice})


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("em", 302),
        ("em_manager", 302),
        ("admin_person", 302),
        ("other_em", 404),
        ("leadership", 403),
        ("ps_director", 403),
    ],
)
def test_who_may_resolve_a_conflict(conflict, request, role, expected):
    person = request.getfixturevalue(role)
    response = _resolve(client_for(person), conflict)
    assert response.status_code == expected
    conflict.refresh_from_db()
    assert conflict.status == ("resolved" if expected == 302 else "open")


def test_anonymous_is_sent_to_login(conflict):
    response = _resolve(Client(), conflict)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    conflict.refresh_from_db()
    assert conflict.status == "open"


def test_keep_mine_from_the_page(conflict, em, fake_sf):
    client = client_for(em)
    response = _resolve(client, conflict, "mine")
    assert response["Location"] == conflict.opportunity.get_absolute_url()
    page = client.get(response["Location"])
    assert "Kept your EM confidence" in page.content.decode()
    sync()
    assert fake_sf.opportunity(OPP)["EM_Confidence__c"] == "Green"


def test_take_salesforce_from_the_page(conflict, em, fake_sf):
    _resolve(client_for(em), conflict, "salesforce")
    opp = Opportunity.objects.get(salesforce_id=OPP)
    assert opp.em_confidence == "Red"
    assert not PendingPush.objects.exists()


@pytest.mark.parametrize("data", [{"choice": "both"}, {"choice": ""}, {}, {"choice": "<script>"}])
def test_bad_input_changes_nothing_and_says_why(conflict, em, data):
    client = client_for(em)
    response = client.post(reverse("salesforce:conflict_resolve", args=[conflict.pk]), data)
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == "open"
    page = client.get(response["Location"])
    assert "Choose to keep your value or take Salesforce" in page.content.decode()


def test_resolving_twice_is_refused_with_a_message(conflict, em):
    client = client_for(em)
    _resolve(client, conflict, "mine")
    response = _resolve(client, conflict, "salesforce")
    assert response.status_code == 302
    assert "already resolved" in client.get(response["Location"]).content.decode()
    assert Opportunity.objects.get(salesforce_id=OPP).em_confidence == "Green"


def test_unknown_conflict_is_404_and_get_is_405(conflict, em):
    client = client_for(em)
    assert (
        client.post(reverse("salesforce:conflict_resolve", args=[999999]), {"choice": "mine"}).status_code
        == 404
    )
    assert client.get(reverse("salesforce:conflict_resolve", args=[conflict.pk])).status_code == 405


def test_the_opportunity_page_shows_both_values_and_the_choice(conflict, em, leadership):
    url = conflict.opportunity.get_absolute_url()
    html = client_for(em).get(url).content.decode()
    assert 'data-testid="sync-conflicts"' in html
    assert "Keep mine" in html and "Take Salesforce's" in html
    assert "held until you resolve the conflict" in html
    read_only = client_for(leadership).get(url).content.decode()
    assert 'data-testid="sync-conflicts"' in read_only
    assert "Keep mine" not in read_only


def test_the_opportunity_page_shows_removed_and_last_checked(fake_sf, em):
    link(fake_sf, em)
    fake_sf.add_opportunity(OPP, Engagement_Manager__c=EM_USER)
    sync()
    fake_sf.delete_opportunity(OPP)
    sync()
    html = client_for(em).get(Opportunity.objects.get().get_absolute_url()).content.decode()
    assert 'data-testid="removed-in-salesforce"' in html
    assert "Salesforce last checked:" in html


# --- Sync now and the health page ------------------------------------------------------------------


def test_sync_now_for_an_administrator_runs_a_sync(fake_sf, admin_person, django_capture_on_commit_callbacks):
    fake_sf.load_generated(3)
    client = client_for(admin_person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("salesforce:sync_now"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:salesforce_syncrun_health")
    run = SyncRun.objects.get()
    assert (run.trigger, run.started_by, run.created) == ("manual", admin_person.user, 3)


def test_sync_now_for_a_holder_of_run_salesforce_sync(
    fake_sf, make_person, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    operator = make_person(Role.PS_OPERATIONS, username="sync.operator")
    operator.user.user_permissions.add(
        Permission.objects.get(content_type__app_label="salesforce", codename="run_salesforce_sync")
    )
    fake_sf.load_generated(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).post(reverse("salesforce:sync_now"))
    assert response.status_code == 302
    assert SyncRun.objects.get().started_by == operator.user


@pytest.mark.parametrize("role", ["em", "em_manager", "leadership", "ps_director"])
def test_sync_now_is_refused_to_everyone_else(fake_sf, request, role, django_capture_on_commit_callbacks):
    client = client_for(request.getfixturevalue(role))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("salesforce:sync_now"))
    assert response.status_code == 403
    assert not SyncRun.objects.exists()


def test_sync_now_when_off_says_why(settings, admin_person):
    settings.SALESFORCE_CONSUMER_KEY = ""
    settings.SALESFORCE_AUTH_FLOW = ""
    client = client_for(admin_person)
    response = client.post(reverse("salesforce:sync_now"), {"next": "https://evil.example.com/"})
    assert response["Location"] == reverse("admin:salesforce_syncrun_health")
    html = client.get(response["Location"]).content.decode()
    assert "The Salesforce sync is off" in html
    assert not SyncRun.objects.exists()


def test_sync_now_needs_post(admin_person):
    assert client_for(admin_person).get(reverse("salesforce:sync_now")).status_code == 405


def test_health_page_shows_configuration_runs_and_outbox(conflict, admin_person):
    html = client_for(admin_person).get(reverse("admin:salesforce_syncrun_health")).content.decode()
    assert "Sync is on" in html
    assert 'data-testid="sync-now"' in html
    assert "1 open conflict" in html
    assert "Salesforce sync" in html  # the beat schedule
    assert "every 15 minutes" in html
    assert html.count("Succeeded") >= 2


def test_health_page_explains_why_the_sync_is_off(settings, admin_person):
    settings.SALESFORCE_CONSUMER_KEY = ""
    settings.SALESFORCE_AUTH_FLOW = ""
    html = client_for(admin_person).get(reverse("admin:salesforce_syncrun_health")).content.decode()
    assert "Sync is off." in html
    assert "No Salesforce credentials are set" in html


@pytest.mark.parametrize("role", ["em", "leadership"])
def test_health_page_is_for_administrators(request, role):
    response = client_for(request.getfixturevalue(role)).get(reverse("admin:salesforce_syncrun_health"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize(
    "name",
    [
        "admin:salesforce_syncrun_changelist",
        "admin:salesforce_syncconflict_changelist",
        "admin:engagements_pendingpush_changelist",
        "admin:salesforce_synccursor_changelist",
    ],
)
def test_admin_lists_render(conflict, admin_person, name):
    assert client_for(admin_person).get(reverse(name)).status_code == 200


def test_admin_retry_action_requeues_a_failed_push(fake_sf, em, admin_person):
    link(fake_sf, em)
    fake_sf.add_opportunity(OPP, Engagement_Manager__c=EM_USER)
    sync()
    salesforce_org_check()  # the daily describe saw every value; the picklist shrank since
    fake_sf.picklists["EM_Confidence__c"] = {"Grey"}
    edit(em, Opportunity.objects.get(), em_confidence="Red", em_confidence_rationale="Lost to a partner")
    sync()
    push = PendingPush.objects.get()
    assert push.status == "failed"
    client_for(admin_person).post(
        reverse("admin:engagements_pendingpush_changelist"),
        {"action": "retry_push", "_selected_action": [push.pk]},
    )
    push.refresh_from_db()
    assert (push.status, push.attempts, push.last_error) == ("pending", 0, "")
    fake_sf.picklists["EM_Confidence__c"] = {"Grey", "Red", "Amber", "Green"}
    sync()
    assert fake_sf.opportunity(OPP)["EM_Confidence__c"] == "Red"


def test_admin_conflict_action_resolves_through_the_service(conflict, admin_person, fake_sf):
    client_for(admin_person).post(
        reverse("admin:salesforce_syncconflict_changelist"),
        {"action": "take_salesforce", "_selected_action": [conflict.pk]},
    )
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution, conflict.resolved_by) == (
        "resolved",
        "take_salesforce",
        admin_person.user,
    )
    assert Opportunity.objects.get().em_confidence == "Red"
