from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import Conflict
from core.roles import Role
from engagements import services
from engagements.models import ConfidenceEvent, Opportunity, PendingPush, Risk
from tests.engagements.factories import OpportunityFactory, RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(em, region_amer):
    return OpportunityFactory(engagement_manager=em, region=region_amer)


def update(actor, opp, **kwargs):
    return services.opportunity_update_em_fields(
        actor=actor.user, opportunity=opp, expected_version=kwargs.pop("version", opp.version), **kwargs
    )


@pytest.mark.parametrize("colour", ["Red", "Amber", "Green"])
def test_rationale_required_for_red_amber_green(em, opp, colour):
    with pytest.raises(ValidationError) as exc:
        update(em, opp, em_confidence=colour, em_confidence_rationale="   ")
    assert "em_confidence_rationale" in exc.value.error_dict
    opp.refresh_from_db()
    assert opp.em_confidence == "Grey"
    assert opp.version == 1
    assert not PendingPush.objects.exists()


def test_grey_needs_no_rationale(em, opp):
    updated = update(em, opp, em_confidence="Grey", em_confidence_rationale="")
    assert updated.em_confidence == "Grey"


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "ftp://files.example.com/x", "not a url", "file:///etc/passwd"]
)
def test_scoping_link_must_be_http(em, opp, link):
    with pytest.raises(ValidationError) as exc:
        update(em, opp, scoping_issue_link=link)
    assert exc.value.error_dict["scoping_issue_link"][0].code == "invalid_url"
    opp.refresh_from_db()
    assert opp.scoping_issue_link == ""


def test_https_scoping_link_accepted(em, opp):
    updated = update(em, opp, scoping_issue_link="https://tracker.example.com/PS-42")
    assert updated.scoping_issue_link == "https://tracker.example.com/PS-42"


def test_change_records_timeline_history_and_pending_push(em, opp):
    updated = update(em, opp, em_confidence="Amber", em_confidence_rationale="Budget owner on leave")
    event = ConfidenceEvent.objects.get(opportunity=opp)
    assert (event.from_confidence, event.to_confidence, event.actor) == ("Grey", "Amber", em.user)
    assert event.rationale == "Budget owner on leave"
    assert updated.em_reviewed_at is not None
    assert updated.version == 2
    push = PendingPush.objects.get(opportunity=opp)
    assert push.fields == ["em_confidence", "em_confidence_rationale"]
    latest = updated.history.first()
    assert latest.em_confidence == "Amber"
    assert latest.history_user == em.user


def test_pending_push_accumulates_fields(em, opp):
    opp = update(em, opp, em_confidence="Red", em_confidence_rationale="No budget")
    update(em, opp, scoping_issue_link="https://tracker.example.com/PS-1")
    assert PendingPush.objects.get(opportunity=opp).fields == [
        "em_confidence",
        "em_confidence_rationale",
        "scoping_issue_link",
    ]


def test_another_em_may_not_change_fields(other_em, opp):
    with pytest.raises(PermissionDenied):
        update(other_em, opp, em_confidence="Grey")


def test_same_region_em_who_is_not_assigned_may_not_change_fields(make_person, region_amer, opp):
    colleague = make_person(Role.ENGAGEMENT_MANAGER, region=region_amer)
    with pytest.raises(PermissionDenied):
        update(colleague, opp, em_confidence="Grey")


def test_em_manager_of_the_em_may_change_fields(em_manager, opp):
    updated = update(em_manager, opp, em_confidence="Green", em_confidence_rationale="Signed PO")
    assert updated.em_confidence == "Green"


def test_leadership_is_read_only(leadership, opp):
    with pytest.raises(PermissionDenied):
        update(leadership, opp, em_confidence="Green", em_confidence_rationale="x")


def test_administrator_may_change_fields(admin_person, opp):
    assert (
        update(admin_person, opp, em_confidence="Red", em_confidence_rationale="Lost budget").em_confidence
        == "Red"
    )


def test_stale_version_is_refused_and_changes_nothing(em, em_manager, opp):
    first = update(em, opp, em_confidence="Green", em_confidence_rationale="Signed", version=1)
    with pytest.raises(Conflict) as exc:
        update(em_manager, opp, em_confidence="Red", em_confidence_rationale="Lost", version=1)
    assert exc.value.current["em_confidence"] == "Green"
    assert exc.value.current["em_confidence_rationale"] == "Signed"
    fresh = Opportunity.objects.get(pk=opp.pk)
    assert (fresh.em_confidence, fresh.version) == ("Green", first.version)
    assert ConfidenceEvent.objects.filter(opportunity=opp).count() == 1


def test_confirm_unchanged_records_review(em, opp):
    opp = update(em, opp, em_confidence="Amber", em_confidence_rationale="Timing unclear")
    reviewed_before = opp.em_reviewed_at
    confirmed = services.opportunity_confirm_unchanged(
        actor=em.user, opportunity=opp, expected_version=opp.version
    )
    assert confirmed.em_reviewed_at > reviewed_before
    assert confirmed.em_confidence == "Amber"
    assert ConfidenceEvent.objects.filter(opportunity=opp, kind="confirmed").count() == 1
    # A confirmation is not a field change: nothing new to push.
    assert PendingPush.objects.get(opportunity=opp).fields == ["em_confidence", "em_confidence_rationale"]


def test_confirm_refused_for_leadership(leadership, opp):
    with pytest.raises(PermissionDenied):
        services.opportunity_confirm_unchanged(actor=leadership.user, opportunity=opp, expected_version=1)


def test_assign_em_by_region_manager_queues_push(em_manager, em, region_amer):
    opp = OpportunityFactory(region=region_amer, engagement_manager=None)
    updated = services.opportunity_assign_em(
        actor=em_manager.user, opportunity=opp, engagement_manager=em, expected_version=1
    )
    assert updated.engagement_manager == em
    assert PendingPush.objects.get(opportunity=opp).fields == ["engagement_manager"]


def test_assign_em_refused_for_em_and_other_region_manager(make_person, em, region_emea, region_amer):
    opp = OpportunityFactory(region=region_amer, engagement_manager=None)
    emea_manager = make_person(Role.EM_MANAGER, region=region_emea)
    for actor in (em, emea_manager):
        with pytest.raises(PermissionDenied):
            services.opportunity_assign_em(
                actor=actor.user, opportunity=opp, engagement_manager=em, expected_version=1
            )
    assert Opportunity.objects.get(pk=opp.pk).engagement_manager is None


def test_assign_refuses_non_em(em_manager, leadership, region_amer):
    opp = OpportunityFactory(region=region_amer)
    with pytest.raises(ValidationError):
        services.opportunity_assign_em(
            actor=em_manager.user, opportunity=opp, engagement_manager=leadership, expected_version=1
        )


def test_risk_lifecycle(em, opp):
    risk = services.risk_create(
        actor=em.user, opportunity=opp, description="No owner", severity="high", mitigation="Train an admin"
    )
    risk = services.risk_update(actor=em.user, risk=risk, description="No platform owner", severity="medium")
    assert (risk.description, risk.severity, risk.status) == ("No platform owner", "medium", "open")
    services.risk_close(actor=em.user, risk=risk)
    assert Risk.objects.get(pk=risk.pk).status == "closed"


def test_risk_requires_description_and_valid_severity(em, opp):
    with pytest.raises(ValidationError) as exc:
        services.risk_create(actor=em.user, opportunity=opp, description=" ", severity="catastrophic")
    assert set(exc.value.error_dict) == {"description", "severity"}
    assert not Risk.objects.exists()


def test_risk_changes_refused_for_leadership(leadership, opp):
    risk = RiskFactory(opportunity=opp)
    with pytest.raises(PermissionDenied):
        services.risk_close(actor=leadership.user, risk=risk)
    with pytest.raises(PermissionDenied):
        services.risk_create(actor=leadership.user, opportunity=opp, description="x", severity="low")


def test_amount_is_decimal(opp):
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("100000.00")


def _failed_push(opp):
    return PendingPush.objects.create(
        opportunity=opp,
        fields=["em_confidence"],
        status=PendingPush.Status.FAILED,
        attempts=4,
        last_error="No",
    )


def test_retrying_a_failed_push_is_refused_to_an_em(em, opp):
    push = _failed_push(opp)
    with pytest.raises(PermissionDenied):
        services.pending_push_retry(actor=em.user, push_ids=[push.pk])
    push.refresh_from_db()
    assert (push.status, push.attempts) == ("failed", 4)


def test_whoever_may_run_the_sync_may_retry_a_failed_push(make_person, opp):
    from django.contrib.auth.models import Permission

    operator = make_person(Role.PS_OPERATIONS, username="sync.operator")
    operator.user.user_permissions.add(
        Permission.objects.get(content_type__app_label="salesforce", codename="run_salesforce_sync")
    )
    push = _failed_push(opp)
    assert services.pending_push_retry(actor=operator.user, push_ids=[push.pk]) == 1
    push.refresh_from_db()
    assert (push.status, push.attempts, push.last_error) == ("pending", 0, "")
