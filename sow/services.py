"""Every write to SOWs: drafting, costs, the approval state machine, PDFs, signature and hand-off.

Each transition is one function that checks who may do it and what must hold; nothing else
writes `SowVersion.status`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from core import mail
from core.exceptions import Conflict
from core.validators import clean_single_line
from people.models import Person
from scoping import services as scoping_services
from scoping.models import DeliveryRole, Estimate, EstimateLine, ScopingIssue, ScopingStatus
from sow import access, uploads
from sow.margin import version_margin
from sow.models import (
    MANDATORY_SECTIONS,
    PRE_SIGNATURE,
    SECTIONS,
    Approval,
    CostEstimate,
    CostLine,
    HandOff,
    PricingType,
    Sow,
    SowDocument,
    SowStatus,
    SowTemplate,
    SowVersion,
)
from sow.tasks import render_sow_pdf

PDF_MAGIC = b"%PDF-"
SECTION_FIELDS = [name for name, _ in SECTIONS] + ["recommendation"]


def _check_edit(actor: User, version: SowVersion) -> None:
    access.can_edit.require(actor, version.sow)


def _require_status(version: SowVersion, *allowed: str, action: str) -> None:
    if version.status not in allowed:
        raise ValidationError(
            f"{version.sow.reference} {version.label} is {version.get_status_display().lower()}; "
            f"it cannot be {action}.",
            code="bad_state",
        )


def _set_status(version: SowVersion, status: str, actor: User, **fields: Any) -> SowVersion:
    version.status = status
    for name, value in fields.items():
        setattr(version, name, value)
    version.version += 1
    version._history_user = actor  # type: ignore[attr-defined]
    version.save()
    return version


# --------------------------------------------------------------------------- drafting


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


def _prefill_costs(cost_estimate: CostEstimate, estimate: Estimate) -> None:
    """COGS from the estimate's hours at the rate card's current cost rates (copied onto lines)."""
    rates = {
        r.name: r.cost_rate for r in DeliveryRole.objects.filter(currency=estimate.currency, active=True)
    }
    packaged_role = getattr(settings, "SOW_PACKAGED_DELIVERY_ROLE", "Senior Engineer")
    lines = []
    for position, line in enumerate(estimate.lines.all()):
        if line.kind == EstimateLine.Kind.ACTIVITY:
            lines.append(
                CostLine(
                    cost_estimate=cost_estimate,
                    kind=CostLine.Kind.ROLE,
                    description=line.description,
                    role_name=line.role_name,
                    hours=line.hours,
                    cost_rate=rates.get(line.role_name, line.cost_rate),
                    position=position,
                )
            )
        elif line.kind == EstimateLine.Kind.SKU and line.hours > 0:
            lines.append(
                CostLine(
                    cost_estimate=cost_estimate,
                    kind=CostLine.Kind.ROLE,
                    description=f"Delivery of {line.description}",
                    role_name=packaged_role,
                    hours=line.hours,
                    cost_rate=rates.get(packaged_role, Decimal("0")),
                    position=position,
                )
            )
    CostLine.objects.bulk_create(lines)


@transaction.atomic
def sow_create(*, actor: User, issue: ScopingIssue) -> Sow:
    """Generate a SOW draft from the issue's agreed estimate and its category's template.

    Refused without an agreed estimate or while a TA review is pending (the scoping guard).
    """
    access.can_create.require(actor, issue)
    estimate = scoping_services.scoping_issue_ready_for_sow(issue)
    if Sow.objects.filter(scoping_issue=issue).exclude(versions__status=SowStatus.WITHDRAWN).exists():
        raise ValidationError("This scoping issue already has a SOW; revise it instead.", code="exists")
    category = _dominant_category(estimate)
    template = SowTemplate.objects.filter(category=category).first() or SowTemplate(category=category)
    opportunity = issue.opportunity
    # The title heads emails and the PDF: one line, whatever an older issue title held.
    title = " ".join(issue.title.split())
    sow = Sow(opportunity=opportunity, scoping_issue=issue, title=title, created_by=actor)
    sow._history_user = actor  # type: ignore[attr-defined]
    sow.save()
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
    version._history_user = actor  # type: ignore[attr-defined]
    version.save()
    cost_estimate = CostEstimate.objects.create(sow_version=version)
    _prefill_costs(cost_estimate, estimate)
    if issue.status in (
        ScopingStatus.OPEN,
        ScopingStatus.AWAITING_DISCOVERY,
        ScopingStatus.STRAWMAN,
        ScopingStatus.ESTIMATE_FEEDBACK,
    ):
        scoping_services.scoping_issue_move(actor=actor, issue=issue, status=ScopingStatus.SOW_IN_PROGRESS)
    return sow


def _claim(version: SowVersion, expected_version: int) -> SowVersion:
    if not SowVersion.objects.filter(pk=version.pk, version=expected_version).update(
        version=F("version") + 1
    ):
        raise Conflict("Someone else changed this SOW while you were editing it. Nothing was saved; reload.")
    return SowVersion.objects.select_related("sow", "sow__scoping_issue").get(pk=version.pk)


@transaction.atomic
def sow_update_sections(
    *,
    actor: User,
    version: SowVersion,
    expected_version: int,
    pricing_type: str,
    expiry_date: dt.date | None,
    **sections: str,
) -> SowVersion:
    """Edit a draft's sections (Markdown) and commercial terms; approved versions are frozen."""
    _check_edit(actor, version)
    _require_status(version, SowStatus.DRAFT, action="edited (revise it to make changes)")
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
    fresh = _claim(version, expected_version)
    for name, value in sections.items():
        setattr(fresh, name, (value or "").strip())
    fresh.pricing_type = pricing_type
    fresh.expiry_date = expiry_date
    fresh._history_user = actor  # type: ignore[attr-defined]
    fresh.save()
    return fresh


# --------------------------------------------------------------------------- costs


def _check_cost_edit(actor: User, version: SowVersion) -> CostEstimate:
    # Locked and fresh: a cost line never lands on a version submitted in the meantime.
    version = _lock(version)
    _check_edit(actor, version)
    _require_status(version, SowStatus.DRAFT, action="re-costed (revise it to make changes)")
    cost_estimate, _ = CostEstimate.objects.get_or_create(sow_version=version)
    return cost_estimate


def _positive_hours(value: Any) -> Decimal:
    hours = scoping_services._check_hours(value, field="hours")
    return hours


@transaction.atomic
def cost_line_add(
    *,
    actor: User,
    version: SowVersion,
    kind: str,
    description: str,
    role_name: str = "",
    person: Person | None = None,
    hours: Any = None,
    amount: Any = None,
) -> CostLine:
    """Add a COGS line: a delivery role or a named person × hours at their cost rate (copied now),
    or a partner/subcontractor or travel cost."""
    cost_estimate = _check_cost_edit(actor, version)
    description = clean_single_line(description, field="description")
    if not description:
        raise ValidationError({"description": ValidationError("Describe the cost.", code="required")})
    position = (cost_estimate.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    line = CostLine(cost_estimate=cost_estimate, kind=kind, description=description[:300], position=position)
    if kind == CostLine.Kind.ROLE:
        role = DeliveryRole.objects.filter(name=role_name, currency=version.currency, active=True).first()
        if role is None:
            raise ValidationError(
                {
                    "role_name": ValidationError(
                        f"No {version.currency} cost rate for that role on the rate card.", code="no_rate"
                    )
                }
            )
        line.role_name, line.cost_rate, line.hours = role.name, role.cost_rate, _positive_hours(hours)
    elif kind == CostLine.Kind.PERSON:
        if person is None:
            raise ValidationError({"person": ValidationError("Choose a person.", code="required")})
        if person.cost_currency != version.currency:
            raise ValidationError(
                {
                    "person": ValidationError(
                        f"{person.name}'s cost rate is in {person.cost_currency}; "
                        f"this SOW is in {version.currency}.",
                        code="currency_mismatch",
                    )
                }
            )
        line.person, line.cost_rate, line.hours = person, person.cost_rate, _positive_hours(hours)
        line.role_name = person.get_role_display()
    elif kind in (CostLine.Kind.PARTNER, CostLine.Kind.TRAVEL):
        line.amount = scoping_services._check_money(amount, field="amount")
        if line.amount <= 0:
            raise ValidationError({"amount": ValidationError("Enter an amount above zero.", code="range")})
    else:
        raise ValidationError({"kind": ValidationError("Choose a kind of cost.", code="invalid_choice")})
    line.save()
    return line


@transaction.atomic
def cost_line_update(
    *, actor: User, line: CostLine, description: str, hours: Any = None, amount: Any = None
) -> CostLine:
    _check_cost_edit(actor, line.cost_estimate.sow_version)
    description = clean_single_line(description, field="description")
    if not description:
        raise ValidationError({"description": ValidationError("Describe the cost.", code="required")})
    line.description = description[:300]
    if line.kind in (CostLine.Kind.ROLE, CostLine.Kind.PERSON):
        line.hours = _positive_hours(hours)
    else:
        line.amount = scoping_services._check_money(amount, field="amount")
    line.save()
    return line


@transaction.atomic
def cost_line_delete(*, actor: User, line: CostLine) -> None:
    _check_cost_edit(actor, line.cost_estimate.sow_version)
    line.delete()


# --------------------------------------------------------------------------- state machine


def submission_problems(version: SowVersion, *, justification: str = "") -> list[str]:
    """What stops a draft from being submitted (empty when it may go)."""
    problems = []
    labels = dict(SECTIONS)
    for name in MANDATORY_SECTIONS:
        if not (getattr(version, name) or "").strip():
            problems.append(f"“{labels[name]}” is empty.")
    if version.expiry_date is None:
        problems.append("Set the offer's expiry date.")
    if not CostLine.objects.filter(cost_estimate__sow_version=version).exists():
        problems.append("Add the cost estimate (COGS) before submitting.")
    result = version_margin(version)
    if result.below_target and not (justification or version.below_target_justification).strip():
        shown = "n/a" if result.percent is None else f"{result.percent:.1f} %"
        problems.append(
            f"Margin {shown} is below the {result.target_percent:.1f} % target: write a justification."
        )
    try:
        scoping_services.scoping_issue_ready_for_sow(version.sow.scoping_issue)
    except ValidationError as exc:
        problems.extend(exc.messages)
    return problems


def _approvers() -> list[str]:
    User_ = get_user_model()
    return list(
        User_.objects.filter(is_active=True)
        .filter(
            Q(groups__permissions__codename="approve_sow")
            | Q(user_permissions__codename="approve_sow")
            | Q(is_superuser=True)
        )
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def _notify(subject: str, body: str, recipients: list[str], *, event: str, version: SowVersion) -> None:
    mail.send_notification(
        subject=subject,
        body=body,
        recipients=recipients,
        context={"event": event, "sow": version.sow.reference, "sow_version_id": version.pk},
    )


def _author_emails(version: SowVersion) -> list[str]:
    emails = [version.author.email if version.author else ""]
    em = version.sow.opportunity.engagement_manager
    if em is not None:
        emails.append(em.email)
    return emails


def _site_link(version: SowVersion) -> str:
    return settings.SITE_URL.rstrip("/") + version.get_absolute_url()


STALE_MESSAGE = (
    "Someone else changed this SOW since you opened the page (it is now {status}). "
    "Nothing was saved; reload the page and try again."
)


def _lock(version: SowVersion) -> SowVersion:
    """The version's row, read fresh and locked until the transaction ends: two decisions on one
    version take turns, and the second sees what the first did."""
    return (
        SowVersion.objects.select_for_update(of=("self",))
        .select_related("sow", "sow__scoping_issue", "sow__opportunity")
        .get(pk=version.pk)
    )


def _require_current(version: SowVersion, expected_version: int) -> None:
    """Refuse a transition decided on a stale page: the locked row moved on since the user saw it."""
    if version.version != expected_version:
        raise Conflict(
            STALE_MESSAGE.format(status=version.get_status_display().lower()),
            current={"status": version.status, "version": version.version},
        )


def _lock_for_edit(actor: User, version: SowVersion, expected_version: int) -> SowVersion:
    fresh = _lock(version)
    _check_edit(actor, fresh)
    _require_current(fresh, expected_version)
    return fresh


def _lock_for_decision(actor: User, version: SowVersion, expected_version: int) -> SowVersion:
    fresh = _lock(version)
    _check_approver(actor, fresh)
    _require_current(fresh, expected_version)
    return fresh


@transaction.atomic
def sow_submit(
    *, actor: User, version: SowVersion, expected_version: int, justification: str = ""
) -> SowVersion:
    """Draft → submitted: mandatory sections, COGS, justification below target, TA approval."""
    version = _lock_for_edit(actor, version, expected_version)
    _require_status(version, SowStatus.DRAFT, action="submitted")
    problems = submission_problems(version, justification=justification)
    if problems:
        raise ValidationError(problems, code="not_ready")
    fields: dict[str, Any] = {"submitted_at": timezone.now()}
    if justification.strip():
        fields["below_target_justification"] = justification.strip()
    _set_status(version, SowStatus.SUBMITTED, actor, **fields)
    request_pdf(version=version, kind=SowDocument.Kind.DRAFT)
    result = version_margin(version)
    _notify(
        f"SOW for approval: {version.sow.reference} {version.sow.title}",
        f"{actor.get_full_name() or actor.get_username()} submitted {version.sow.reference} {version.label} "
        f"({version.currency} {version.total:,.2f}, margin "
        f"{'n/a' if result.percent is None else f'{result.percent:.1f} %'}) for approval.\n\n"
        f"Review it in the approval queue: {settings.SITE_URL.rstrip('/')}/admin/sow/approvalqueueitem/",
        _approvers(),
        event="sow_submitted",
        version=version,
    )
    return version


def _check_approver(actor: User, version: SowVersion) -> None:
    access.require_decider(actor, version)


@transaction.atomic
def sow_approve(*, actor: User, version: SowVersion, expected_version: int, comment: str = "") -> SowVersion:
    """Submitted → approved (frozen); earlier approved versions are superseded; the final PDF renders."""
    version = _lock_for_decision(actor, version, expected_version)
    _require_status(version, SowStatus.SUBMITTED, action="approved")
    now = timezone.now()
    Approval.objects.create(
        sow_version=version,
        actor=actor,
        at=now,
        decision=Approval.Decision.APPROVED,
        comment=(comment or "").strip(),
    )
    older_approved = (
        SowVersion.objects.select_for_update()
        .filter(sow_id=version.sow_id, status=SowStatus.APPROVED)
        .exclude(pk=version.pk)
    )
    for older in older_approved:
        _set_status(older, SowStatus.SUPERSEDED, actor)
    _set_status(version, SowStatus.APPROVED, actor, decided_at=now)
    request_pdf(version=version, kind=SowDocument.Kind.FINAL)
    _notify(
        f"SOW approved: {version.sow.reference} {version.sow.title}",
        f"{version.sow.reference} {version.label} was approved by "
        f"{actor.get_full_name() or actor.get_username()}."
        f"{' Comment: ' + comment if comment else ''}\n\n{_site_link(version)}",
        _author_emails(version),
        event="sow_approved",
        version=version,
    )
    return version


@transaction.atomic
def sow_request_changes(
    *, actor: User, version: SowVersion, expected_version: int, comment: str
) -> SowVersion:
    """Submitted → changes requested, with the approver's comment (required)."""
    version = _lock_for_decision(actor, version, expected_version)
    _require_status(version, SowStatus.SUBMITTED, action="sent back")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ValidationError("Say what must change.", code="required")})
    now = timezone.now()
    Approval.objects.create(
        sow_version=version,
        actor=actor,
        at=now,
        decision=Approval.Decision.CHANGES_REQUESTED,
        comment=comment,
    )
    _set_status(version, SowStatus.CHANGES_REQUESTED, actor, decided_at=now)
    _notify(
        f"Changes requested: {version.sow.reference} {version.sow.title}",
        f"{actor.get_full_name() or actor.get_username()} asked for changes to {version.sow.reference} "
        f"{version.label}: {comment}\n\n{_site_link(version)}",
        _author_emails(version),
        event="sow_changes_requested",
        version=version,
    )
    return version


@transaction.atomic
def sow_reopen(*, actor: User, version: SowVersion, expected_version: int) -> SowVersion:
    """Changes requested → draft, for the EM to make the changes and submit again."""
    version = _lock_for_edit(actor, version, expected_version)
    _require_status(version, SowStatus.CHANGES_REQUESTED, action="reopened")
    return _set_status(version, SowStatus.DRAFT, actor)


@transaction.atomic
def sow_revise(*, actor: User, version: SowVersion, expected_version: int) -> SowVersion:
    """From an approved (or sent) version, a new draft version that needs approval again."""
    version = _lock_for_edit(actor, version, expected_version)
    _require_status(version, SowStatus.APPROVED, SowStatus.SENT, action="revised")
    sow = version.sow
    if sow.versions.filter(
        status__in=[SowStatus.DRAFT, SowStatus.SUBMITTED, SowStatus.CHANGES_REQUESTED]
    ).exists():
        raise ValidationError("A newer version is already in progress.", code="in_progress")
    number = (sow.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    copy_fields = {name: getattr(version, name) for name in SECTION_FIELDS}
    new = SowVersion(
        sow=sow,
        number=number,
        estimate=version.estimate,
        category=version.category,
        author=actor,
        pricing_type=version.pricing_type,
        total=version.total,
        currency=version.currency,
        expiry_date=version.expiry_date,
        **copy_fields,
    )
    new._history_user = actor  # type: ignore[attr-defined]
    new.save()
    cost_estimate = CostEstimate.objects.create(sow_version=new)
    CostLine.objects.bulk_create(
        [
            CostLine(
                cost_estimate=cost_estimate,
                kind=line.kind,
                description=line.description,
                role_name=line.role_name,
                person_id=line.person_id,
                hours=line.hours,
                cost_rate=line.cost_rate,
                amount=line.amount,
                position=line.position,
            )
            for line in CostLine.objects.filter(cost_estimate__sow_version=version)
        ]
    )
    return new


@transaction.atomic
def sow_withdraw(*, actor: User, version: SowVersion, expected_version: int, reason: str) -> SowVersion:
    """Withdraw a version at any state before signature, with a reason."""
    version = _lock_for_edit(actor, version, expected_version)
    _require_status(version, *PRE_SIGNATURE, action="withdrawn")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("Say why the SOW is withdrawn.", code="required")})
    return _set_status(version, SowStatus.WITHDRAWN, actor, withdrawn_reason=reason)


@transaction.atomic
def sow_mark_sent(
    *, actor: User, version: SowVersion, expected_version: int, sent_on: dt.date, recipients: str
) -> SowVersion:
    """Approved → sent to the customer (date and recipients)."""
    version = _lock_for_edit(actor, version, expected_version)
    _require_status(version, SowStatus.APPROVED, action="marked sent")
    recipients = clean_single_line(recipients, field="recipients")
    if not recipients:
        raise ValidationError({"recipients": ValidationError("Who received it?", code="required")})
    if version.decided_at and sent_on < timezone.localtime(version.decided_at).date():
        raise ValidationError(
            {"sent_on": ValidationError("It cannot be sent before it was approved.", code="early")}
        )
    if sent_on > timezone.localdate():
        raise ValidationError({"sent_on": ValidationError("That date is in the future.", code="future")})
    return _set_status(version, SowStatus.SENT, actor, sent_at=sent_on, sent_to=recipients)


def _signed_copy_error(message: str, code: str) -> ValidationError:
    return ValidationError({"signed_copy": ValidationError(message, code=code)})


def check_signed_copy(upload: UploadedFile) -> None:
    """A real PDF, judged by its content: `%PDF-` at byte 0, the whole file readable by pypdf with at
    least one page, and at most SIGNED_COPY_MAX_MB."""
    if upload.size is None or upload.size > uploads.signed_copy_max_bytes():
        raise _signed_copy_error(uploads.too_large_message(), "too_large")
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head != PDF_MAGIC:
        raise _signed_copy_error("The signed copy must be a PDF file (this one is not).", "not_pdf")
    from pypdf import PdfReader

    try:
        reader = PdfReader(upload)
        pages = len(reader.pages)
    except Exception:  # pypdf raises many kinds of error on damaged files; any of them means unreadable
        pages = 0
    finally:
        upload.seek(0)
    if pages < 1:
        raise _signed_copy_error(
            "That PDF could not be read (it is damaged or incomplete); upload the complete signed copy.",
            "unreadable_pdf",
        )


@transaction.atomic
def sow_mark_signed(
    *,
    actor: User,
    version: SowVersion,
    expected_version: int,
    signed_on: dt.date,
    signed_copy: UploadedFile,
) -> SowVersion:
    """Sent → signed, with the signed copy (a PDF, checked by content, at most SIGNED_COPY_MAX_MB)."""
    version = _lock_for_edit(actor, version, expected_version)
    _require_status(version, SowStatus.SENT, action="marked signed")
    if version.sent_at and signed_on < version.sent_at:
        raise ValidationError(
            {"signed_on": ValidationError("It cannot be signed before it was sent.", code="early")}
        )
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": ValidationError("That date is in the future.", code="future")})
    check_signed_copy(signed_copy)
    version.signed_copy.save("signed.pdf", signed_copy, save=False)  # stored under a random name
    return _set_status(version, SowStatus.SIGNED, actor, signed_at=signed_on)


@transaction.atomic
def sow_hand_off(
    *,
    actor: User,
    version: SowVersion,
    expected_version: int,
    delivery_lead: Person,
    kickoff_date: dt.date,
    staffing_confirmed: bool,
    notes: str = "",
) -> HandOff:
    """Signed → handed off to delivery (lead, kickoff date, staffing confirmed, notes)."""
    version = _lock_for_edit(actor, version, expected_version)
    _require_status(version, SowStatus.SIGNED, action="handed off")
    if not delivery_lead.active:
        raise ValidationError({"delivery_lead": ValidationError("Choose an active person.", code="inactive")})
    hand_off = HandOff.objects.create(
        sow_version=version,
        delivery_lead=delivery_lead,
        kickoff_date=kickoff_date,
        staffing_confirmed=staffing_confirmed,
        notes=(notes or "").strip(),
        created_by=actor,
    )
    _set_status(version, SowStatus.HANDED_OFF, actor)
    return hand_off


def days_to_signature(version: SowVersion) -> int | None:
    if version.signed_at is None or version.decided_at is None:
        return None
    return (version.signed_at - timezone.localtime(version.decided_at).date()).days


# --------------------------------------------------------------------------- PDFs


def request_pdf(*, version: SowVersion, kind: str) -> SowDocument:
    """Queue a render of the version's PDF (after commit, so the worker sees the rows)."""
    document, _ = SowDocument.objects.get_or_create(sow_version=version, kind=kind)
    SowDocument.objects.filter(pk=document.pk).update(status=SowDocument.Status.QUEUED, error="")
    document.status = SowDocument.Status.QUEUED
    transaction.on_commit(lambda: render_sow_pdf.delay(document.pk))
    return document


@transaction.atomic
def sow_request_pdf(*, actor: User, version: SowVersion) -> SowDocument:
    """On demand (or to retry a failure): DRAFT-watermarked before approval, final after."""
    access.can_view.require(actor, version.sow)
    kind = (
        SowDocument.Kind.DRAFT
        if version.status
        in (SowStatus.DRAFT, SowStatus.SUBMITTED, SowStatus.CHANGES_REQUESTED, SowStatus.WITHDRAWN)
        else SowDocument.Kind.FINAL
    )
    return request_pdf(version=version, kind=kind)


def mark_render_failed(document_id: int, error: str) -> None:
    SowDocument.objects.filter(pk=document_id).update(status=SowDocument.Status.FAILED, error=error[:2000])
