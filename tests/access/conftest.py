"""A small world with one of every object, owned by the AMER EM, for the access tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from core.roles import Role
from salesforce.models import SyncConflict
from scoping import services as scoping_services
from sow import services as sow_services
from sow.models import SowDocument
from tests.engagements.factories import OpportunityFactory, RiskFactory
from tests.staffing.factories import AssignmentFactory, StaffingRequirementFactory

# Every role the access rules are declared for.
ROLES = [
    "anonymous",
    "em",
    "em_manager",
    "ps_director",
    "leadership",
    "practice_manager",
    "ta",
    "ps_operations",
    "admin",
]


@pytest.fixture
def people(em, em_manager, make_person, region_emea, admin_person):
    return {
        "em": em,
        "em_manager": em_manager,
        "ps_director": make_person(Role.PS_DIRECTOR, username="director"),
        "leadership": make_person(Role.LEADERSHIP, username="leadership"),
        "practice_manager": make_person(Role.PRACTICE_MANAGER, username="practice"),
        "ta": make_person(Role.TECHNICAL_ARCHITECT, username="ta"),
        "ps_operations": make_person(Role.PS_OPERATIONS, username="psops"),
        "admin": admin_person,
        "other_em": make_person(Role.ENGAGEMENT_MANAGER, username="em.emea", region=region_emea),
    }


@pytest.fixture
def world(people, region_amer, region_emea):
    """One of every object, belonging to em.amer (AMER), plus an EMEA opportunity of another EM."""
    from tests.scoping.factories import CustomOfferingFactory, DeliveryRoleFactory, OfferingActivityFactory

    em = people["em"]
    DeliveryRoleFactory(name="Engineer", bill_rate="200.00", cost_rate="100.00")
    offering = CustomOfferingFactory(name="Custom Migration", category="migration")
    OfferingActivityFactory(offering=offering, role_name="Engineer", description="Execution", hours="100")
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Acme — Migration")
    risk = RiskFactory(opportunity=opp)
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Acme scoping")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=offering)
    line = estimate.lines.get()
    scoping_services.estimate_agree(actor=em.user, estimate=estimate)
    sow = sow_services.sow_create(actor=em.user, issue=issue)
    version = sow.versions.get()
    cost_line = version.cost_estimate.lines.first()
    document = SowDocument.objects.create(sow_version=version, kind="draft", status="ready")
    document.file.save("access-test.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    version.signed_copy.save("signed.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    requirement = StaffingRequirementFactory(
        sow=sow, start_date=dt.date(2027, 4, 5), end_date=dt.date(2027, 4, 30)
    )
    from tests.people.factories import delivery_person

    engineer = delivery_person("Sam Taylor", region=region_amer)
    assignment = AssignmentFactory(
        requirement=requirement, person=engineer, status="proposed", hours_per_week=Decimal("10")
    )
    conflict = SyncConflict.objects.create(
        opportunity=opp,
        field="em_confidence",
        local_value="Green",
        salesforce_value="Red",
        detected_at=timezone.now(),
    )
    foreign = OpportunityFactory(engagement_manager=people["other_em"], region=region_emea, name="EMEA deal")
    from api import services as api_services

    token = api_services.token_create(
        actor=em.user, name="Access test", scope="read", expires_in_days=5
    ).token
    from engagements.models import SavedFilter

    saved_filter = SavedFilter.objects.create(
        user=em.user, name="Green this quarter", query="confidence=Green"
    )
    _one_of_every_admin_model(em, opp, issue, estimate)
    notification = _notifications(em, people["admin"])
    from core.jobs import job_queue

    job = job_queue(
        actor=people["admin"].user,
        kind="salesforce_sync",
        label="Salesforce sync",
        permission="salesforce.run_salesforce_sync",
    )
    return {
        "job": job,
        "opportunity": opp,
        "saved_filter": saved_filter,
        "risk": risk,
        "issue": issue,
        "estimate": estimate,
        "line": line,
        "sow": sow,
        "version": version,
        "cost_line": cost_line,
        "requirement": requirement,
        "assignment": assignment,
        "conflict": conflict,
        "person": em,
        "foreign": foreign,
        "token": token,
        "notification": notification,
        **_change_request(people, region_amer, offering),
    }


def _notifications(em, admin):
    """An unread notification (with its email) for the EM, and one for the administrator."""
    from notifications.models import EmailDelivery, Notification

    ours = Notification.objects.create(
        user=em.user, kind="sow_signed", title="SOW signed", link="/", event_key="access:em"
    )
    EmailDelivery.objects.create(notification=ours, to=em.user.email, subject=ours.title, status="failed")
    Notification.objects.create(
        user=admin.user, kind="sow_signed", title="SOW signed", event_key="access:admin"
    )
    return ours


def _one_of_every_admin_model(em, opp, issue, estimate) -> None:
    """So that every admin change / history page has an object to open."""
    from django_celery_beat.models import ClockedSchedule, SolarSchedule

    from engagements.models import ConfidenceEvent
    from forecasting.models import BookingsPlan, ExchangeRate, ForecastSnapshot
    from people.models import Skill
    from salesforce.models import SalesforceChange, SentValue, SyncCursor, SyncRun
    from scoping.models import TaReview
    from sow.models import MarginTarget, SowTemplate, SupplierEntity

    now = timezone.now()
    ConfidenceEvent.objects.create(
        opportunity=opp, kind="changed", actor=em.user, at=now, to_confidence="Green"
    )
    SyncRun.objects.create(started_at=now) if hasattr(SyncRun, "started_at") else SyncRun.objects.create()
    SyncCursor.objects.get_or_create(pk=1)
    SentValue.objects.create(opportunity=opp, field="em_confidence", value="Green", sent_at=now)
    SalesforceChange.objects.create(
        opportunity=opp, field="stage", label="Stage", before="Discovery", after="Negotiation", pulled_at=now
    )
    TaReview.objects.create(
        scoping_issue=issue, estimate=estimate, decision="approved", actor=em.user, at=now
    )
    SowTemplate.objects.create(category="migration", deliverables="- Plan")
    MarginTarget.objects.create(category="training", target_percent=Decimal("40"))
    SupplierEntity.objects.create(legal_name="Pipeline Ltd", address="1 Quay", agreement_reference="MSA-1")
    from sow.models import ApprovalRule, ApproverRole, Delegation, WorkingCalendar

    finance = ApproverRole.objects.create(name="Finance")
    ApprovalRule.objects.create(name="Large deals", min_price=Decimal("1000000"), approver_role=finance)
    WorkingCalendar.objects.create(time_zone="America/New_York")
    Delegation.objects.create(
        person=em, delegate=em.manager or em, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 1, 2)
    )
    BookingsPlan.objects.create(quarter="FY27-Q4", amount=Decimal("1000"))
    ExchangeRate.objects.create(currency="EUR", rate=Decimal("1.1"), effective_date=dt.date(2026, 1, 1))
    ForecastSnapshot.objects.create(week=dt.date(2026, 11, 16), taken_at=now)
    Skill.objects.get_or_create(name="Kubernetes")
    ClockedSchedule.objects.create(clocked_time=now)
    from axes.models import AccessAttempt, AccessFailureLog

    AccessAttempt.objects.create(
        username="someone",
        ip_address="10.0.0.1",
        failures_since_start=1,
        user_agent="test",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
    )
    AccessFailureLog.objects.create(
        username="someone",
        ip_address="10.0.0.1",
        user_agent="test",
        path_info="/accounts/login/",
        locked_out=False,
    )
    SolarSchedule.objects.create(event="sunrise", latitude=Decimal("51.5"), longitude=Decimal("0.1"))
    from core.models import EmailFailure

    EmailFailure.objects.create(
        subject="SOW for approval", recipients=["director@example.com"], error="refused"
    )


def _change_request(people, region_amer, offering) -> dict[str, Any]:
    """A signed SOW of the EM's, a shared revision of its estimate, and a draft change request on it
    with a scope line, a rendered draft PDF and a signed copy (so every change request URL has what
    it serves)."""
    from sow.services import change_requests
    from tests.sow.factories import take_to

    em = people["em"]
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Acme — Rollout")
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Acme rollout")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=offering)
    scoping_services.estimate_agree(actor=em.user, estimate=estimate)
    draft = sow_services.sow_create(actor=em.user, issue=issue).versions.get()
    signed = take_to(draft, "signed", em=em, director=people["ps_director"])
    revised = scoping_services.estimate_revise(actor=em.user, estimate=estimate, reason="A licence")
    scoping_services.estimate_add_line(
        actor=em.user, estimate=revised, kind="free", description="Licence", quantity=1, unit_price="1350"
    )
    revised.refresh_from_db()
    scoping_services.estimate_share(actor=em.user, estimate=revised)
    cr = change_requests.change_request_create(
        actor=em.user, version=signed, title="Extra workshop", reason="Asked for"
    )
    cr_line = change_requests.change_request_line_add(
        actor=em.user,
        change_request=cr,
        change="added",
        kind="packaged",
        description="Workshop",
        price="900",
        cost="300",
    )
    from sow.models import ChangeRequestDocument

    document = ChangeRequestDocument.objects.create(change_request=cr, kind="draft", status="ready")
    document.file.save("access-cr.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    cr.refresh_from_db()
    cr.signed_copy.save("signed.pdf", ContentFile(b"%PDF-1.4 signed"), save=True)
    return {"signed_version": signed, "revised_estimate": revised, "cr": cr, "cr_line": cr_line}
