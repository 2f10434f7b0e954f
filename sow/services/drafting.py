"""Drafting a SOW: the first version generated from the scoping issue's agreed estimate and its
category's template, and the EM's edits to a draft's sections and commercial terms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import actions
from scoping import services as scoping_services
from scoping.models import Estimate, EstimateLine, ScopingIssue, ScopingStatus
from sow import access
from sow.models import SECTIONS, CostEstimate, PricingType, Sow, SowStatus, SowTemplate, SowVersion
from sow.services.costs import prefill_costs
from sow.services.versions import claim_version, require_status

SECTION_FIELDS = [name for name, _ in SECTIONS] + ["recommendation"]
STALE_SECTIONS = "Someone else changed this SOW while you were editing it. Nothing was saved; reload."
# Scoping issues still on their way to a SOW: drafting one moves them on the board.
BEFORE_SOW = (
    ScopingStatus.OPEN,
    ScopingStatus.AWAITING_DISCOVERY,
    ScopingStatus.STRAWMAN,
    ScopingStatus.ESTIMATE_FEEDBACK,
)


def _dominant_category(estimate: Estimate) -> str:
    """The offering category carrying most of the estimate's value (implementation if none)."""
    weights: dict[str, Decimal] = {}
    for line in estimate.lines.select_related("offering"):
        if line.offering is not None:
            weights[line.offering.category] = weights.get(line.offering.category, Decimal("0")) + line.amount
    return max(weights, key=lambda category: weights[category]) if weights else "implementation"


def _scope_text(estimate: Estimate) -> str:
    rows = []
    for line in estimate.lines.all():
        if line.kind == EstimateLine.Kind.ACTIVITY:
            rows.append(f"- {line.description} ({line.role_name}, {line.hours.normalize():f} hours)")
        elif line.kind == EstimateLine.Kind.SKU:
            rows.append(f"- {line.description} × {line.quantity}")
        else:
            rows.append(f"- {line.description}")
    return "The services in scope are:\n\n" + "\n".join(rows)


def _objectives_text(issue: ScopingIssue) -> str:
    parts = []
    if issue.desired_outcomes:
        parts.append(f"**Desired outcomes.** {issue.desired_outcomes}")
    if issue.current_state:
        parts.append(f"**Current state.** {issue.current_state}")
    if issue.requirements:
        parts.append(f"**Requirements.** {issue.requirements}")
    if issue.constraints:
        parts.append(f"**Constraints.** {issue.constraints}")
    return "\n\n".join(parts)


def _risks_text(issue: ScopingIssue) -> str:
    risks = issue.opportunity.risks.filter(status="open")
    return "\n".join(
        f"- **{r.get_severity_display()}**: {r.description}"
        + (f" Mitigation: {r.mitigation}" if r.mitigation else "")
        for r in risks
    )


def _pricing_type(estimate: Estimate, default: str) -> str:
    kinds = set(estimate.lines.values_list("kind", flat=True))
    if kinds == {EstimateLine.Kind.SKU}:
        return PricingType.SKU
    return default


@transaction.atomic
def sow_create(*, actor: User, issue: ScopingIssue) -> Sow:
    """Generate a SOW draft from the issue's agreed estimate and its category's template.

    Refused without an agreed estimate or while a TA review is pending (the scoping guard), and
    while the issue has a SOW that is not withdrawn.
    """
    access.can_create.require(actor, issue)
    # One SOW per issue: two EMs drafting at once take turns, and the second sees the first's.
    issue = actions.lock(ScopingIssue.objects.select_related("opportunity"), pk=issue.pk)
    estimate = scoping_services.scoping_issue_ready_for_sow(issue)
    if Sow.objects.filter(scoping_issue=issue).exclude(versions__status=SowStatus.WITHDRAWN).exists():
        raise ValidationError("This scoping issue already has a SOW; revise it instead.", code="exists")
    category = _dominant_category(estimate)
    template = SowTemplate.objects.filter(category=category).first() or SowTemplate(category=category)
    # The title heads emails and the PDF: one line, whatever an older issue title held.
    title = " ".join(issue.title.split())
    sow = actions.create(
        Sow(opportunity=issue.opportunity, scoping_issue=issue, title=title, created_by=actor),
        actor=actor,
        action="drafted the SOW",
    )
    version = SowVersion(
        sow=sow,
        number=1,
        estimate=estimate,
        category=category,
        author=actor,
        objectives=_objectives_text(issue),
        scope=_scope_text(estimate),
        deliverables=template.deliverables,
        assumptions=template.assumptions,
        out_of_scope=template.out_of_scope,
        customer_responsibilities=template.customer_responsibilities,
        staffing_requirements=template.staffing_requirements,
        period_of_performance=template.period_of_performance,
        payment_schedule=template.payment_schedule,
        risks=_risks_text(issue),
        recommendation="**Risks:** \n\n**Negotiation strategy:** ",
        pricing_type=_pricing_type(estimate, template.pricing_type),
        total=estimate.total,
        currency=estimate.currency,
        expiry_date=timezone.localdate() + dt.timedelta(days=template.validity_days),
    )
    # The SOW's entry tells the drafting; its first version and costs are part of it.
    actions.save(version, actor=actor, action="drafted the SOW", audit=False)
    cost_estimate = actions.save(
        CostEstimate(sow_version=version), actor=actor, action="drafted the SOW", audit=False
    )
    prefill_costs(cost_estimate, estimate)
    if issue.status in BEFORE_SOW:
        scoping_services.scoping_issue_move(actor=actor, issue=issue, status=ScopingStatus.SOW_IN_PROGRESS)
    return sow


@transaction.atomic
def sow_update_sections(
    *,
    actor: User,
    version: SowVersion,
    expected_version: int,
    pricing_type: str,
    expiry_date: dt.date | None,
    effective_date: dt.date | None = None,
    non_standard_terms: bool | None = None,
    non_standard_terms_note: str | None = None,
    **sections: str,
) -> SowVersion:
    """Edit a draft's sections (Markdown) and commercial terms (pricing, expiry, the effective date:
    blank for "on signature by both parties"); approved versions are frozen."""
    access.can_edit.require(actor, version.sow)
    require_status(version, SowStatus.DRAFT, action="edited (revise it to make changes)")
    unknown = set(sections) - set(SECTION_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown sections: {', '.join(sorted(unknown))}", code="unknown")
    if pricing_type not in PricingType.values:
        raise ValidationError(
            {"pricing_type": ValidationError("Choose a pricing type.", code="invalid_choice")}
        )
    if expiry_date is not None and expiry_date < timezone.localdate():
        raise ValidationError(
            {"expiry_date": ValidationError("The expiry date is in the past.", code="past")}
        )
    fresh = claim_version(version, expected_version, stale_message=STALE_SECTIONS)
    before = actions.snapshot(fresh)
    for name, value in sections.items():
        setattr(fresh, name, (value or "").strip())
    fresh.pricing_type = pricing_type
    fresh.expiry_date = expiry_date
    fresh.effective_date = effective_date
    if non_standard_terms is not None:
        fresh.non_standard_terms = non_standard_terms
    if non_standard_terms_note is not None:
        fresh.non_standard_terms_note = non_standard_terms_note.strip()[:4000]
    return actions.save(fresh, actor=actor, action="edited the SOW", before=before)
