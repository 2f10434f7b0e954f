"""The approval state machine: one function per transition, each checking who may do it (sow.access)
and what must hold. Nothing else writes `SowVersion.status`.

Each transition claims the version at the one the user saw (a decision made on a stale page is
refused), saves it for the actor and writes one audit entry on the version: what was done, each
changed field in words, and the user's comment or reason as its note.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import actions
from core.validators import clean_single_line
from engagements import services as opportunity_services
from notifications.models import Kind
from people.models import DELIVERY_ROLES, Person
from scoping import services as scoping_services
from sow import access, handoff_checks
from sow.margin import version_margin
from sow.models import (
    MANDATORY_SECTIONS,
    PRE_SIGNATURE,
    SECTIONS,
    Approval,
    CostEstimate,
    CostLine,
    HandOff,
    SowDocument,
    SowStatus,
    SowVersion,
)
from sow.services.costs import copy_costs, cost_problems
from sow.services.documents import queue_render
from sow.services.drafting import SECTION_FIELDS
from sow.services.ladder import close_open_steps as ladder_close_open_steps
from sow.services.ladder import decide as ladder_decide
from sow.services.ladder import floor_problem as ladder_floor_problem
from sow.services.ladder import ladder_text
from sow.services.ladder import start as ladder_start
from sow.services.notifications import (
    approver_users,
    author_and_em,
    ps_operations,
    queue_link,
    tell,
    version_approvers,
)
from sow.services.signed_copy import check_signed_copy
from sow.services.versions import claim_version, require_status, version_rows

IN_PROGRESS = (SowStatus.DRAFT, SowStatus.SUBMITTED, SowStatus.CHANGES_REQUESTED)


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _claim_for_edit(actor: User, version: SowVersion, expected_version: int) -> SowVersion:
    access.can_edit.require(actor, version.sow)
    return claim_version(version, expected_version)


def _claim_for_decision(actor: User, version: SowVersion, expected_version: int) -> SowVersion:
    access.require_decider(actor, version)
    return claim_version(version, expected_version)


def _move(
    version: SowVersion,
    status: str,
    *,
    actor: User,
    action: str,
    note: str = "",
    decision: list[dict[str, str]] | None = None,
    **fields: Any,
) -> SowVersion:
    """Save the claimed version in `status` (with `fields`) and its one audit entry."""
    before = actions.snapshot(version)
    version.status = status
    for name, value in fields.items():
        setattr(version, name, value)
    if not decision:
        return actions.save(version, actor=actor, action=action, before=before, note=note)
    # An approver's decision: its step's line (the delegate shown) leads the one entry.
    actions.save(version, actor=actor, action=action, audit=False)
    changes = decision + actions.diff(version, before)
    actions.record(actor=actor, action=action, obj=version, changes=changes, note=note)
    return version


def below_floor_problem(version: SowVersion) -> str:
    """Why the version may not go to the customer ("" when it may go): ladder.floor_problem."""
    return ladder_floor_problem(version)


def submission_problems(version: SowVersion, *, justification: str = "") -> list[str]:
    """What stops a draft from being submitted (empty when it may go)."""
    problems = []
    labels = dict(SECTIONS)
    for name in MANDATORY_SECTIONS:
        if not (getattr(version, name) or "").strip():
            problems.append(f"“{labels[name]}” is empty.")
    if version.expiry_date is None:
        problems.append("Set the offer's expiry date.")
    if version.non_standard_terms and not version.non_standard_terms_note.strip():
        problems.append("Say what the non-standard terms are.")
    if not CostLine.objects.filter(cost_estimate__sow_version=version).exists():
        problems.append("Add the cost estimate (COGS) before submitting.")
    else:
        problems.extend(cost_problems(version))
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


@transaction.atomic
def sow_submit(
    *, actor: User, version: SowVersion, expected_version: int, justification: str = ""
) -> SowVersion:
    """Draft → submitted: mandatory sections, COGS, justification below target, TA approval."""
    version = _claim_for_edit(actor, version, expected_version)
    require_status(version, SowStatus.DRAFT, action="submitted")
    problems = submission_problems(version, justification=justification)
    if problems:
        raise ValidationError(problems, code="not_ready")
    fields: dict[str, Any] = {"submitted_at": timezone.now()}
    if justification.strip():
        fields["below_target_justification"] = justification.strip()
    _move(version, SowStatus.SUBMITTED, actor=actor, action="submitted for approval", **fields)
    steps = ladder_start(actor=actor, subject=version)
    queue_render(actor=actor, version=version, kind=SowDocument.Kind.DRAFT)
    result = version_margin(version)
    tell(
        Kind.SOW_SUBMITTED,
        f"SOW for approval: {version.sow.reference} {version.sow.title}",
        f"{_name(actor)} submitted {version.sow.reference} {version.label} "
        f"({version.currency} {version.total:,.2f}, margin "
        f"{'n/a' if result.percent is None else f'{result.percent:.1f} %'}) for approval.\n\n"
        f"Approval ladder: {ladder_text(steps)}.\n\nReview it in the approval queue.",
        approver_users(),
        version=version,
        actor=actor,
        link=queue_link(),
    )
    return version


def _record_decision(
    version: SowVersion, *, actor: User, decision: str, comment: str, at: dt.datetime
) -> None:
    # The version's audit entry tells the decision and its comment; the row is for the SOW pages.
    approval = Approval(sow_version=version, actor=actor, at=at, decision=decision, comment=comment)
    actions.save(approval, actor=actor, action="decided", audit=False)


@transaction.atomic
def sow_approve(*, actor: User, version: SowVersion, expected_version: int, comment: str = "") -> SowVersion:
    """Submitted → approved (frozen); earlier approved versions are superseded; the final PDF renders."""
    version = _claim_for_decision(actor, version, expected_version)
    require_status(version, SowStatus.SUBMITTED, action="approved")
    comment = (comment or "").strip()
    now = timezone.now()
    # The last step's decision and the status change are one audit entry, written below.
    decision = ladder_decide(actor=actor, subject=version, approve=True, comment=comment, record_last=False)
    _record_decision(version, actor=actor, decision=Approval.Decision.APPROVED, comment=comment, at=now)
    if not decision.last:
        # A step of the ladder: the version waits for the next approver (told by the ladder).
        return version
    superseded = []
    older_approved = (
        SowVersion.objects.filter(sow_id=version.sow_id, status=SowStatus.APPROVED)
        .exclude(pk=version.pk)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    for older_pk in list(older_approved):
        # Moved on too: a page still open on the older version can no longer act on it.
        older = actions.lock(version_rows(), pk=older_pk, bump=True)
        superseded.append(
            {"field": older.label, "before": older.get_status_display(), "after": SowStatus.SUPERSEDED.label}
        )
        older.status = SowStatus.SUPERSEDED
        actions.save(older, actor=actor, action="approved", audit=False)
    before = actions.snapshot(version)
    version.status = SowStatus.APPROVED
    version.decided_at = now
    # One entry: the step's line (the delegate shown), the status change and the superseded versions.
    actions.save(version, actor=actor, action=decision.action, audit=False)
    changes = decision.changes + actions.diff(version, before) + superseded
    actions.record(actor=actor, action=decision.action, obj=version, changes=changes, note=comment)
    queue_render(actor=actor, version=version, kind=SowDocument.Kind.FINAL)
    scoping_services.scoping_issue_mark_approved(actor=actor, issue_id=version.sow.scoping_issue_id)
    tell(
        Kind.SOW_APPROVED,
        f"SOW approved: {version.sow.reference} {version.sow.title}",
        f"{version.sow.reference} {version.label} was approved by {_name(actor)}."
        f"{' Comment: ' + comment if comment else ''}",
        author_and_em(version),
        version=version,
        actor=actor,
    )
    return version


@transaction.atomic
def sow_request_changes(
    *, actor: User, version: SowVersion, expected_version: int, comment: str
) -> SowVersion:
    """Submitted → changes requested, with the approver's comment (required)."""
    version = _claim_for_decision(actor, version, expected_version)
    require_status(version, SowStatus.SUBMITTED, action="sent back")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ValidationError("Say what must change.", code="required")})
    now = timezone.now()
    # The decision and the status change are one audit entry, written by the move.
    decision = ladder_decide(actor=actor, subject=version, approve=False, comment=comment, record_last=False)
    _record_decision(
        version, actor=actor, decision=Approval.Decision.CHANGES_REQUESTED, comment=comment, at=now
    )
    _move(
        version,
        SowStatus.CHANGES_REQUESTED,
        actor=actor,
        action=decision.action,
        note=comment,
        decision=decision.changes,
        decided_at=now,
    )
    tell(
        Kind.SOW_CHANGES_REQUESTED,
        f"Changes requested: {version.sow.reference} {version.sow.title}",
        f"{_name(actor)} asked for changes to {version.sow.reference} {version.label}: {comment}",
        author_and_em(version),
        version=version,
        actor=actor,
    )
    return version


@transaction.atomic
def sow_reopen(*, actor: User, version: SowVersion, expected_version: int) -> SowVersion:
    """Changes requested → draft, for the EM to make the changes and submit again."""
    version = _claim_for_edit(actor, version, expected_version)
    require_status(version, SowStatus.CHANGES_REQUESTED, action="reopened")
    return _move(version, SowStatus.DRAFT, actor=actor, action="reopened")


@transaction.atomic
def sow_revise(*, actor: User, version: SowVersion, expected_version: int) -> SowVersion:
    """From an approved (or sent) version, a new draft version that needs approval again. The revised
    version moves on too, so a page opened on it before the revision is refused."""
    version = _claim_for_edit(actor, version, expected_version)
    require_status(version, SowStatus.APPROVED, SowStatus.SENT, action="revised")
    sow = version.sow
    if sow.versions.filter(status__in=IN_PROGRESS).exists():
        raise ValidationError("A newer version is already in progress.", code="in_progress")
    number = (sow.versions.aggregate(m=Max("number"))["m"] or 0) + 1
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
        effective_date=version.effective_date,
        non_standard_terms=version.non_standard_terms,
        non_standard_terms_note=version.non_standard_terms_note,
        **{name: getattr(version, name) for name in SECTION_FIELDS},
    )
    # One entry tells the revision: the new version, drafted from this one with its costs.
    actions.save(new, actor=actor, action="revised", audit=False)
    cost_estimate = actions.save(CostEstimate(sow_version=new), actor=actor, action="revised", audit=False)
    copy_costs(version, cost_estimate)
    actions.record(
        actor=actor,
        action="revised",
        obj=new,
        changes=[{"field": "version", "before": version.label, "after": new.label}],
    )
    return new


@transaction.atomic
def sow_withdraw(*, actor: User, version: SowVersion, expected_version: int, reason: str) -> SowVersion:
    """Withdraw a version at any state before signature, with a reason."""
    version = _claim_for_edit(actor, version, expected_version)
    require_status(version, *PRE_SIGNATURE, action="withdrawn")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("Say why the SOW is withdrawn.", code="required")})
    ladder_close_open_steps(version)
    return _move(
        version, SowStatus.WITHDRAWN, actor=actor, action="withdrew", note=reason, withdrawn_reason=reason
    )


@transaction.atomic
def sow_mark_sent(
    *, actor: User, version: SowVersion, expected_version: int, sent_on: dt.date, recipients: str
) -> SowVersion:
    """Approved → sent to the customer (date and recipients)."""
    version = _claim_for_edit(actor, version, expected_version)
    require_status(version, SowStatus.APPROVED, action="marked sent")
    recipients = clean_single_line(recipients, field="recipients")
    if not recipients:
        raise ValidationError({"recipients": ValidationError("Who received it?", code="required")})
    if version.decided_at and sent_on < (approved_on := timezone.localtime(version.decided_at).date()):
        raise ValidationError(
            {
                "sent_on": ValidationError(
                    f"{version.label} was approved on {approved_on:%d %b %Y}: "
                    "the date it was sent must be on or after that day.",
                    code="early",
                )
            }
        )
    if sent_on > timezone.localdate():
        raise ValidationError({"sent_on": ValidationError("That date is in the future.", code="future")})
    floor_problem = below_floor_problem(version)
    if floor_problem:
        raise ValidationError(floor_problem, code="below_floor")
    _move(version, SowStatus.SENT, actor=actor, action="marked sent", sent_at=sent_on, sent_to=recipients)
    tell(
        Kind.SOW_SENT,
        f"SOW sent to the customer: {version.sow.reference} {version.sow.title}",
        f"{_name(actor)} sent {version.sow.reference} {version.label} to {recipients} on {sent_on:%d %b %Y}.",
        [*author_and_em(version), *version_approvers(version)],
        version=version,
        actor=actor,
    )
    return version


@transaction.atomic
def sow_mark_signed(
    *,
    actor: User,
    version: SowVersion,
    expected_version: int,
    signed_on: dt.date,
    signed_copy: UploadedFile[bytes],
) -> SowVersion:
    """Sent → signed, with the signed copy (a PDF, checked by content, at most SIGNED_COPY_MAX_MB)."""
    version = _claim_for_edit(actor, version, expected_version)
    require_status(version, SowStatus.SENT, action="marked signed")
    if version.sent_at and signed_on < version.sent_at:
        raise ValidationError(
            {"signed_on": ValidationError("It cannot be signed before it was sent.", code="early")}
        )
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": ValidationError("That date is in the future.", code="future")})
    check_signed_copy(signed_copy)
    before = actions.snapshot(version)
    version.signed_copy.save("signed.pdf", signed_copy, save=False)  # stored under a random name
    version.status = SowStatus.SIGNED
    version.signed_at = signed_on
    actions.save(version, actor=actor, action="marked signed", before=before)
    tell(
        Kind.SOW_SIGNED,
        f"SOW signed: {version.sow.reference} {version.sow.title}",
        f"The customer signed {version.sow.reference} {version.label} "
        f"({version.currency} {version.total:,.2f}) on {signed_on:%d %b %Y}.",
        [*author_and_em(version), *version_approvers(version), *ps_operations()],
        version=version,
        actor=actor,
    )
    opportunity_services.opportunity_record_booking(
        actor=actor, opportunity_id=version.sow.opportunity_id, booked_on=signed_on
    )
    return version


HAND_OFF_FIELDS = ("delivery lead", "kickoff date", "staffing confirmed", "staffing override reason")


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
    staffing_override_reason: str = "",
) -> HandOff:
    """Signed → handed off to delivery (lead, kickoff date, staffing confirmed, notes).

    The delivery lead is an active person in a delivery role. "Staffing confirmed" needs every
    staffing requirement covered by confirmed assignments, or a reason for confirming anyway (kept).
    """
    version = _claim_for_edit(actor, version, expected_version)
    require_status(version, SowStatus.SIGNED, action="handed off")
    if not delivery_lead.active:
        raise ValidationError({"delivery_lead": ValidationError("Choose an active person.", code="inactive")})
    if delivery_lead.role not in DELIVERY_ROLES:
        roles = ", ".join(str(role.label) for role in DELIVERY_ROLES)
        raise ValidationError(
            {
                "delivery_lead": ValidationError(
                    f"{delivery_lead.name} is not in a delivery role; choose one of: {roles}.",
                    code="not_delivery",
                )
            }
        )
    notes = (notes or "").strip()
    override = (staffing_override_reason or "").strip()
    if not staffing_confirmed:
        override = ""
    else:
        gaps = handoff_checks.staffing_gaps(version.sow)
        if gaps and not override:
            raise ValidationError(
                {
                    "staffing_confirmed": ValidationError(
                        "Staffing is not covered by confirmed assignments: "
                        + " ".join(gaps)
                        + " Confirm the assignments first, or give a reason for confirming anyway.",
                        code="staffing_gaps",
                    )
                }
            )
        if not gaps:
            override = ""
    hand_off = HandOff(
        sow_version=version,
        delivery_lead=delivery_lead,
        kickoff_date=kickoff_date,
        staffing_confirmed=staffing_confirmed,
        staffing_override_reason=override,
        notes=notes,
        created_by=actor,
    )
    # The version's entry tells the hand-off, with what delivery was given.
    actions.save(hand_off, actor=actor, action="handed off", audit=False)
    given = [line for line in actions.diff(hand_off, None) if line["field"] in HAND_OFF_FIELDS]
    before = actions.snapshot(version)
    version.status = SowStatus.HANDED_OFF
    actions.save(version, actor=actor, action="handed off", before=before, note=notes, also_changed=given)
    tell(
        Kind.SOW_HANDED_OFF,
        f"Handed off to delivery: {version.sow.reference} {version.sow.title}",
        f"{_name(actor)} handed {version.sow.reference} {version.label} off to delivery: "
        f"{delivery_lead.name} leads it, kickoff {kickoff_date:%d %b %Y}."
        f"{' Notes: ' + notes if notes else ''}",
        [delivery_lead, *ps_operations(), version.sow.opportunity.engagement_manager],
        version=version,
        actor=actor,
    )
    return hand_off


def days_to_signature(version: SowVersion) -> int | None:
    """Days from approval to the customer's signature (None until both happened)."""
    if version.signed_at is None or version.decided_at is None:
        return None
    return (version.signed_at - timezone.localtime(version.decided_at).date()).days
