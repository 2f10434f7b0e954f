"""Demo SOW templates, margin targets and SOWs for `manage.py seed_demo` (idempotent)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scoping.models import OfferingCategory, ScopingIssue
from sow import services
from sow.models import MarginTarget, PricingType, Sow, SowTemplate, SupplierEntity

COMMON = {
    "assumptions": "- The customer provides access to systems and people within five working days of kickoff.\n"
    "- Work is delivered remotely during the delivery team's business hours.\n"
    "- Scope changes follow the change-request process.",
    "out_of_scope": "- Custom development beyond the activities listed in Scope.\n"
    "- Operating the platform after hand-over.",
    "customer_responsibilities": "- Name a project sponsor and a technical lead.\n"
    "- Provide test environments and credentials before kickoff.",
    "staffing_requirements": "- Languages: English.\n- Time zones: at least 4 hours overlap with the customer.",
    "period_of_performance": "Twelve weeks from the kickoff date; services expire 12 months after signature.",
    "payment_schedule": "- 50 % invoiced on signature.\n- 50 % invoiced on acceptance of the final deliverable.\n"
    "- Payment terms: net 30 days.",
}
DELIVERABLES = {
    OfferingCategory.IMPLEMENTATION: "- Solution design document\n- Configured platform in production\n"
    "- Runbook and hand-over session",
    OfferingCategory.MIGRATION: "- Migration plan\n- Migrated projects with validation report\n- Cut-over support",
    OfferingCategory.ASSESSMENT: "- Assessment report with prioritised recommendations\n- Read-out presentation",
    OfferingCategory.TRAINING: "- Delivered training sessions\n- Course materials and attendance record",
    OfferingCategory.CONSULTING: "- Current-state assessment\n- Target architecture and roadmap\n"
    "- Implemented pilot pipelines",
    OfferingCategory.EXPERT_SERVICES: "- Expert hours as requested, with a monthly usage report",
}


def seed_templates() -> None:
    for category, deliverables in DELIVERABLES.items():
        pricing = (
            PricingType.SKU
            if category in (OfferingCategory.TRAINING, OfferingCategory.EXPERT_SERVICES)
            else PricingType.FIXED_FEE
        )
        SowTemplate.objects.get_or_create(
            category=category, defaults={"deliverables": deliverables, "pricing_type": pricing, **COMMON}
        )
    for category, target in ((OfferingCategory.TRAINING, "45"), (OfferingCategory.EXPERT_SERVICES, "40")):
        MarginTarget.objects.get_or_create(category=category, defaults={"target_percent": Decimal(target)})
    if not SupplierEntity.objects.filter(region__isnull=True).exists():
        SupplierEntity.objects.create(
            legal_name="Pipeline Software Ltd",
            address="1 Harbour Exchange Square\nLondon E14 9GE\nUnited Kingdom",
            agreement_reference="MSA-2026-001",
            signatory_name="Morgan Lee",
            signatory_title="Vice President, Professional Services",
        )


def seed_sows() -> int:
    """A SOW awaiting the PS Director's approval, drafted from the demo's agreed estimate."""
    if Sow.objects.exists():
        return 0
    issue = ScopingIssue.objects.filter(estimates__status="agreed", ta_review_state="not_needed").first()
    if issue is None or issue.assignee is None or issue.assignee.user is None:
        return 0
    actor = issue.assignee.user
    sow = services.sow_create(actor=actor, issue=issue)
    draft = sow.versions.get()
    version = services.sow_update_sections(
        actor=actor,
        version=draft,
        expected_version=draft.version,
        pricing_type=draft.pricing_type,
        expiry_date=draft.expiry_date,
        recommendation="Customer has budget approved; push for signature before quarter end.",
    )
    problems = services.submission_problems(version)
    if not problems:
        services.sow_submit(actor=actor, version=version, expected_version=version.version)
    elif all("justification" in p for p in problems):
        services.sow_submit(
            actor=actor,
            version=version,
            expected_version=version.version,
            justification="Strategic logo; partner delivers training at reduced rates.",
        )
    return 1


def seed_change_requests() -> int:
    """The demo's change request, then the approval ladder (its rules come last: the other demo SOWs
    were approved by the PS Director alone)."""
    created = _seed_change_request()
    seed_approval_ladder()
    return created


def _seed_change_request() -> int:
    """An approved change request on the signed demo SOW (an extra integration and the travel to run
    its workshop), so its page shows the original, the change and the current contract value."""
    from people.models import Person
    from scoping.models import DeliveryRole
    from sow.models import ChangeRequest, SowStatus, SowVersion
    from sow.services import change_requests

    if ChangeRequest.objects.exists():
        return 0
    signed = (
        SowVersion.objects.filter(status__in=[SowStatus.SIGNED, SowStatus.HANDED_OFF])
        .select_related("sow__opportunity__engagement_manager__user")
        .order_by("pk")
        .first()
    )
    director = Person.objects.filter(role="ps_director", user__isnull=False).select_related("user").first()
    if signed is None or director is None or director.user is None:
        return 0
    em = signed.sow.opportunity.engagement_manager
    role = DeliveryRole.objects.filter(name="Senior Engineer", currency=signed.currency, active=True).first()
    if em is None or em.user is None or role is None:
        return 0
    actor = em.user
    draft = change_requests.change_request_create(
        actor=actor,
        version=signed,
        title="SSO integration with the customer's identity provider",
        reason="The customer moved its identity provider during scoping; single sign-on needs an extra "
        "integration and a workshop on site.",
        schedule_impact="One more week before go-live.",
    )
    change_requests.change_request_line_add(
        actor=actor,
        change_request=draft,
        change="added",
        kind="labour",
        description="SSO integration and testing",
        delivery_role=role,
        hours="24",
    )
    change_requests.change_request_line_add(
        actor=actor,
        change_request=draft,
        change="added",
        kind="expenses",
        description="Travel for the on-site workshop",
        price="1200",
    )
    draft.refresh_from_db()
    below_target = any("justification" in p for p in change_requests.submission_problems(draft))
    submitted = change_requests.change_request_submit(
        actor=actor,
        change_request=draft,
        expected_version=draft.version,
        justification="Strategic account; the integration opens the identity work." if below_target else "",
    )
    change_requests.change_request_approve(
        actor=director.user,
        change_request=submitted,
        expected_version=submitted.version,
        comment="Approved; send it with the kickoff pack.",
    )
    return 1


# Approvers of the demo ladder: logins in the PS Director role (so they open the approval queue),
# each a member of one approver role. username, name, approver role.
APPROVERS = [
    ("finance", "Fiona Grant", "Finance"),
    ("vp.ps", "Victor Okafor", "VP PS"),
    ("legal", "Lena Brandt", "Legal"),
]


def seed_approval_ladder() -> None:
    """Approver roles with a member each, working calendars, margin floors and the rules; then the
    SOW waiting for approval is sent back by the PS Director and submitted again, so it climbs the
    ladder PS Director → Finance → … and waits at Finance (idempotent)."""
    from django.contrib.auth import get_user_model

    from core.roles import Role
    from people.models import Person, Region
    from people.services import person_sync_login_groups
    from sow.models import ApprovalRule, ApproverRole, ApproverRoleMember, WorkingCalendar

    if ApprovalRule.objects.exists():
        return
    User = get_user_model()
    director = Person.objects.filter(user__username="director").first()
    roles: dict[str, ApproverRole] = {}
    for username, name, role_name in APPROVERS:
        first, last = name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "first_name": first, "last_name": last},
        )
        if created:
            from people.demo import DEMO_PASSWORD

            user.set_password(DEMO_PASSWORD)
            user.save()
        person, _ = Person.objects.get_or_create(
            email=f"{username}@example.com",
            defaults={"user": user, "name": name, "role": Role.PS_DIRECTOR, "manager": director},
        )
        person_sync_login_groups(person=person)
        roles[role_name], _ = ApproverRole.objects.get_or_create(name=role_name)
        ApproverRoleMember.objects.get_or_create(role=roles[role_name], person=person, region=None)
    WorkingCalendar.objects.get_or_create(region=None, defaults={"time_zone": "America/New_York"})
    for code, zone in (("EMEA", "Europe/London"), ("APAC", "Asia/Singapore"), ("AMER", "America/New_York")):
        region = Region.objects.filter(code=code).first()
        if region is not None:
            WorkingCalendar.objects.get_or_create(region=region, defaults={"time_zone": zone})
    for category in OfferingCategory.values:
        target, _ = MarginTarget.objects.get_or_create(
            category=category, defaults={"target_percent": Decimal("35")}
        )
        if target.floor_percent is None:
            target.floor_percent = min(target.target_percent, Decimal("30"))
            target.save(update_fields=["floor_percent"])
    ApprovalRule.objects.create(
        name="Deals above USD 20,000 need Finance",
        order=20,
        min_price=Decimal("20000"),
        approver_role=roles["Finance"],
        service_level_hours=Decimal("16"),
    )
    ApprovalRule.objects.create(
        name="Deep discounts need Finance",
        order=25,
        min_discount_percent=Decimal("15"),
        approver_role=roles["Finance"],
    )
    ApprovalRule.objects.create(
        name="Margin below target needs the VP of PS",
        order=30,
        margin_below_target=True,
        approver_role=roles["VP PS"],
        service_level_hours=Decimal("8"),
    )
    ApprovalRule.objects.create(
        name="Margin below the floor needs the VP of PS",
        order=31,
        margin_below_floor=True,
        approver_role=roles["VP PS"],
        service_level_hours=Decimal("8"),
    )
    ApprovalRule.objects.create(
        name="Non-standard terms need Legal",
        order=40,
        non_standard_terms=True,
        approver_role=roles["Legal"],
        service_level_hours=Decimal("24"),
    )
    _resubmit_waiting_sow(director)


def _resubmit_waiting_sow(director: Any) -> None:
    from sow.models import SowStatus, SowVersion

    version = (
        SowVersion.objects.filter(status=SowStatus.SUBMITTED)
        .select_related("sow", "author")
        .order_by("pk")
        .first()
    )
    if version is None or director is None or director.user is None or version.author is None:
        return
    author = version.author
    version = services.sow_request_changes(
        actor=director.user,
        version=version,
        expected_version=version.version,
        comment="Add a phase gate after discovery before the build starts.",
    )
    version = services.sow_reopen(actor=author, version=version, expected_version=version.version)
    version.assumptions += "\n- A phase gate after discovery confirms the build scope."
    version.save(update_fields=["assumptions"])
    version = services.sow_submit(
        actor=author,
        version=version,
        expected_version=version.version,
        justification=version.below_target_justification or "Strategic logo.",
    )
    services.sow_approve(
        actor=director.user, version=version, expected_version=version.version, comment="Phase gate added."
    )
