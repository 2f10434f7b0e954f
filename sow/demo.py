"""Demo SOW templates, margin targets and SOWs for `manage.py seed_demo` (idempotent)."""

from __future__ import annotations

from decimal import Decimal

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
