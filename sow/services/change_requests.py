"""Change requests on signed SOWs: drafted by the deal's EM from a signed (or handed-off) SOW, with
the scope that changes as lines (added, removed, changed; taken from a revised estimate of the same
scoping issue or entered by hand), each with its price and cost delta; approved by a PS Director
other than its author, sent to the customer and signed, like a SOW.

Every write claims the change request at the version the user saw (or locks it), checks the SOW's
access rules and writes one audit entry on the change request, as the SOW transitions do. Nothing
else writes `ChangeRequest.status`.

The SOW's current contract value is its signed version's total plus the price deltas of the change
requests a PS Director approved (approved, sent and signed ones: `CONTRACT_STATUSES`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from core import actions
from core.money import quantize_cents
from core.types import AnyUser
from core.validators import clean_single_line
from notifications.models import Kind
from notifications.services import notify
from scoping import calculator
from scoping import services as scoping_services
from scoping.models import DeliveryRole, Estimate, EstimateLine
from sow import access
from sow.change_request_totals import ChangeRequestTotals as ChangeRequestTotals  # re-exported
from sow.change_request_totals import change_request_totals as change_request_totals  # re-exported
from sow.change_request_totals import sum_lines
from sow.models import (
    Approval,
    ChangeRequest,
    ChangeRequestApproval,
    ChangeRequestDocument,
    ChangeRequestLine,
    ChangeRequestStatus,
    CostLine,
    LineKind,
    SowDocument,
    SowStatus,
    SowVersion,
)
from sow.services.costs import estimate_line_cost, expenses_cost, rate_card_roles
from sow.services.ladder import close_open_steps as ladder_close_open_steps
from sow.services.ladder import decide as ladder_decide
from sow.services.ladder import floor_problem as ladder_floor_problem
from sow.services.ladder import ladder_text
from sow.services.ladder import start as ladder_start
from sow.services.notifications import tell_change_request
from sow.services.signed_copy import check_signed_copy
from sow.services.versions import lock_version

Status = ChangeRequestStatus
Change = ChangeRequestLine.Change
ZERO = Decimal("0")
SIGNED_STATES = (SowStatus.SIGNED, SowStatus.HANDED_OFF)
# Change requests whose PDF carries the DRAFT watermark; the others get the final one.
DRAFT_STATES = (Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.WITHDRAWN)
BEFORE_SIGNATURE = (Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.APPROVED, Status.SENT)
STALE_MESSAGE = (
    "Someone else changed this change request since you opened the page (it is now {status}). "
    "Nothing was saved; reload the page and try again."
)
CONTINGENCY_NO_COST = "Contingency is priced risk; it has no cost of its own."
DISCOUNT_NO_COST = "A discount lowers the price only."


# --------------------------------------------------------------------------- reads and figures


def change_request_rows() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.select_related(
        "sow", "sow__opportunity", "sow__scoping_issue", "sow_version", "estimate", "author"
    )


@dataclass
class ContractRow:
    change_request: ChangeRequest
    price_delta: Decimal
    cost_delta: Decimal

    @property
    def counts(self) -> bool:
        return self.change_request.counts_in_contract


@dataclass
class ContractValue:
    """The SOW's signed value, its change requests and the current contract value."""

    currency: str
    original: Decimal
    rows: list[ContractRow] = field(default_factory=list)

    @property
    def approved_delta(self) -> Decimal:
        return sum((row.price_delta for row in self.rows if row.counts), ZERO)

    @property
    def current(self) -> Decimal:
        """Original + the change requests a PS Director approved (approved, sent or signed)."""
        return self.original + self.approved_delta

    @property
    def signed(self) -> Decimal:
        """Original + the change requests the customer has signed."""
        return self.original + sum(
            (row.price_delta for row in self.rows if row.change_request.status == Status.SIGNED), ZERO
        )


def contract_value(version: SowVersion) -> ContractValue:
    """The signed version's total, each of its SOW's change requests with its deltas (two queries)."""
    requests = list(ChangeRequest.objects.filter(sow_id=version.sow_id).order_by("number"))
    deltas: dict[int, list[ChangeRequestLine]] = {cr.pk: [] for cr in requests}
    for line in ChangeRequestLine.objects.filter(change_request__sow_id=version.sow_id):
        deltas[line.change_request_id].append(line)
    rows = [ContractRow(cr, *sum_lines(deltas[cr.pk])) for cr in requests]
    return ContractValue(currency=version.currency, original=version.total, rows=rows)


# --------------------------------------------------------------------------- write helpers


def _claim(change_request: ChangeRequest, expected_version: int) -> ChangeRequest:
    return actions.claim(
        change_request_rows(),
        pk=change_request.pk,
        expected_version=expected_version,
        stale_message=lambda row: STALE_MESSAGE.format(status=row.get_status_display().lower()),
        current=lambda row: {"status": row.status, "version": row.version},
    )


def _lock(change_request: ChangeRequest) -> ChangeRequest:
    return actions.lock(change_request_rows(), pk=change_request.pk)


def _require_status(change_request: ChangeRequest, *allowed: str, action: str) -> None:
    if change_request.status not in allowed:
        raise ValidationError(
            f"{change_request.label} is {change_request.get_status_display().lower()}; "
            f"it cannot be {action}.",
            code="bad_state",
        )


def _claim_for_edit(actor: User, change_request: ChangeRequest, expected_version: int) -> ChangeRequest:
    access.can_edit.require(actor, change_request.sow)
    return _claim(change_request, expected_version)


def _move(
    change_request: ChangeRequest,
    status: str,
    *,
    actor: User,
    action: str,
    note: str = "",
    decision: list[dict[str, str]] | None = None,
    **fields: Any,
) -> ChangeRequest:
    before = actions.snapshot(change_request)
    change_request.status = status
    for name, value in fields.items():
        setattr(change_request, name, value)
    if not decision:
        return actions.save(change_request, actor=actor, action=action, before=before, note=note)
    # An approver's decision: its step's line (the delegate shown) leads the one entry.
    actions.save(change_request, actor=actor, action=action, audit=False)
    changes = decision + actions.diff(change_request, before)
    actions.record(actor=actor, action=action, obj=change_request, changes=changes, note=note)
    return change_request


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _link(change_request: ChangeRequest) -> str:
    return settings.SITE_URL.rstrip("/") + change_request.get_absolute_url()


def _review_link(change_request: ChangeRequest) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/admin/sow/approvalqueueitem/change-requests/{change_request.pk}/"


def _tell(
    kind: str, subject: str, body: str, *, to_directors: bool, change_request: ChangeRequest, actor: User
) -> None:
    """Through the notification service: the PS Directors hear of a submission (linked to its review
    in the approval queue), the author and the deal's EM of a decision."""
    link = (
        reverse("admin:sow_approvalqueueitem_cr_review", args=[change_request.pk])
        if to_directors
        else change_request.get_absolute_url()
    )
    tell_change_request(
        Kind(kind),
        subject,
        body,
        to_directors=to_directors,
        change_request=change_request,
        actor=actor,
        link=link,
    )


def _tell_signed(change_request: ChangeRequest, *, actor: User, signed_on: dt.date) -> None:
    """The author, the deal's EM and whoever approved it hear that the customer signed (the one who
    recorded it excepted)."""
    approved_by = User.objects.filter(
        pk__in=change_request.approvals.filter(decision=Approval.Decision.APPROVED).values("actor_id")
    )
    notify(
        recipients=[change_request.author, change_request.sow.opportunity.engagement_manager, *approved_by],
        kind=Kind.CR_SIGNED,
        title=f"Change request signed: {change_request}",
        body=f"The customer signed {change_request} “{change_request.title}” on {signed_on.isoformat()}.",
        link=change_request.get_absolute_url(),
        event_key=f"cr_signed:change_request:{change_request.pk}:{change_request.version}",
        actor=actor,
    )


# --------------------------------------------------------------------------- drafting


def _text(value: str | None, *, limit: int = 20000) -> str:
    return (value or "").strip()[:limit]


def _title(value: str) -> str:
    title = clean_single_line(value, field="title")
    if not title:
        raise ValidationError({"title": ValidationError("Name the change.", code="required")})
    return title[:200]


def _check_end_date(version: SowVersion, new_end_date: dt.date | None) -> None:
    if new_end_date is not None and version.signed_at is not None and new_end_date < version.signed_at:
        raise ValidationError(
            {"new_end_date": ValidationError("The new end date is before the SOW was signed.", code="early")}
        )


@transaction.atomic
def change_request_create(
    *,
    actor: User,
    version: SowVersion,
    title: str,
    reason: str = "",
    schedule_impact: str = "",
    new_end_date: dt.date | None = None,
) -> ChangeRequest:
    """A draft change request on a signed (or handed-off) version, numbered CR-1, CR-2… per SOW."""
    access.can_edit.require(actor, version.sow)
    fresh = lock_version(version)  # one number at a time per SOW
    if fresh.status not in SIGNED_STATES:
        raise ValidationError(
            f"{fresh.sow.reference} {fresh.label} is {fresh.get_status_display().lower()}; "
            "change requests are made on a signed SOW.",
            code="bad_state",
        )
    _check_end_date(fresh, new_end_date)
    number = (ChangeRequest.objects.filter(sow_id=fresh.sow_id).aggregate(m=Max("number"))["m"] or 0) + 1
    change_request = ChangeRequest(
        sow=fresh.sow,
        sow_version=fresh,
        number=number,
        title=_title(title),
        reason=_text(reason),
        schedule_impact=_text(schedule_impact),
        new_end_date=new_end_date,
        currency=fresh.currency,
        author=actor,
    )
    return actions.create(change_request, actor=actor, action="drafted the change request")


@transaction.atomic
def change_request_update(
    *,
    actor: User,
    change_request: ChangeRequest,
    expected_version: int,
    title: str,
    reason: str = "",
    schedule_impact: str = "",
    new_end_date: dt.date | None = None,
) -> ChangeRequest:
    fresh = _claim_for_edit(actor, change_request, expected_version)
    _require_status(fresh, Status.DRAFT, action="edited (reopen it first)")
    _check_end_date(fresh.sow_version, new_end_date)
    before = actions.snapshot(fresh)
    fresh.title = _title(title)
    fresh.reason = _text(reason)
    fresh.schedule_impact = _text(schedule_impact)
    fresh.new_end_date = new_end_date
    return actions.save(fresh, actor=actor, action="changed the change request", before=before)


def _lock_draft(actor: User, change_request: ChangeRequest) -> ChangeRequest:
    access.can_edit.require(actor, change_request.sow)
    fresh = _lock(change_request)
    _require_status(fresh, Status.DRAFT, action="changed (reopen it first)")
    return fresh


def line_in_words(line: ChangeRequestLine) -> str:
    words = f"{line.get_change_display()} {line.get_kind_display().lower()}: {line.description}"
    if line.role_name:
        words += f" ({line.role_name}, {line.hours_delta:+,.2f} h)"
    words += f", price {line.price_delta:+,.2f}, cost {line.cost_delta:+,.2f}"
    if line.no_cost_reason:
        words += f" (no cost: {line.no_cost_reason})"
    return words


def _record_line(actor: User, change_request: ChangeRequest, action: str, *, before: str, after: str) -> None:
    actions.record(
        actor=actor,
        action=action,
        obj=change_request,
        changes=[{"field": "scope line", "before": before, "after": after}],
    )


def _signed(value: Decimal, change: str) -> Decimal:
    """A removed line takes its (positive) amount off; an added one adds it; a change is as entered."""
    return -value if change == Change.REMOVED else value


def _role(change_request: ChangeRequest, delivery_role: DeliveryRole | None) -> DeliveryRole:
    if delivery_role is None:
        raise ValidationError(
            {"delivery_role": ValidationError("Choose a delivery role from the rate card.", code="required")}
        )
    if not delivery_role.active or delivery_role.currency != change_request.currency:
        raise ValidationError(
            {
                "delivery_role": ValidationError(
                    f"No {change_request.currency} rate for {delivery_role.name} on the rate card.",
                    code="no_rate",
                )
            }
        )
    return delivery_role


def _amount(value: Any, *, field: str, required: bool) -> Decimal | None:
    if value is None or str(value).strip() == "":
        if required:
            raise ValidationError({field: ValidationError("Enter an amount.", code="required")})
        return None
    return scoping_services.check_money(value, field=field)


def _signed_decimal(value: Any, *, field: str) -> Decimal:
    """A changed line's delta: any sign, not zero."""
    text = str(value if value is not None else "").strip()
    negative = text.startswith("-") or text.startswith("−")
    magnitude = text.lstrip("-−").strip()
    if not magnitude:
        raise ValidationError({field: ValidationError("Enter the change.", code="required")})
    number = scoping_services.check_decimal(magnitude, field=field)
    return -number if negative else number


@transaction.atomic
def change_request_line_add(
    *,
    actor: User,
    change_request: ChangeRequest,
    change: str,
    kind: str,
    description: str,
    delivery_role: DeliveryRole | None = None,
    hours: Any = None,
    price: Any = None,
    cost: Any = None,
    no_cost_reason: str = "",
) -> ChangeRequestLine:
    """A scope line entered by hand. Labour: a rate-card role × hours at its bill and cost rates (copied
    now). Other kinds: the price, and the cost (blank: pass-through and travel at their configured cost
    percentage of the price). Added and removed lines take positive figures (a removal is taken off);
    a changed line takes the signed change (−10 hours). A priced line that costs nothing says why."""
    fresh = _lock_draft(actor, change_request)
    if change not in Change.values:
        raise ValidationError(
            {"change": ValidationError("Choose added, removed or changed.", code="invalid")}
        )
    if kind not in LineKind.values:
        raise ValidationError({"kind": ValidationError("Choose a kind of line.", code="invalid")})
    text = clean_single_line(description, field="description")
    if not text:
        raise ValidationError({"description": ValidationError("Describe the line.", code="required")})
    line = ChangeRequestLine(
        change_request=fresh,
        change=change,
        kind=kind,
        description=text[:300],
        no_cost_reason=" ".join((no_cost_reason or "").split())[:1000],
    )
    if kind == LineKind.LABOUR:
        role = _role(fresh, delivery_role)
        if change == Change.CHANGED:
            hours_delta = _signed_decimal(hours, field="hours")
        else:
            hours_delta = _signed(scoping_services.check_hours(hours, field="hours"), change)
        if hours_delta == 0:
            raise ValidationError({"hours": ValidationError("Enter the hours that change.", code="range")})
        line.delivery_role, line.role_name = role, role.name
        line.bill_rate, line.cost_rate, line.hours_delta = role.bill_rate, role.cost_rate, hours_delta
        line.price_delta = quantize_cents(hours_delta * role.bill_rate)
        line.cost_delta = quantize_cents(hours_delta * role.cost_rate)
    else:
        if change == Change.CHANGED:
            price_value = _signed_decimal(price, field="price")
            cost_text = "" if cost is None else str(cost).strip()
            cost_value = _signed_decimal(cost_text, field="cost") if cost_text else None
        else:
            magnitude = _amount(price, field="price", required=True)
            assert magnitude is not None
            price_value = _signed(magnitude, change)
            cost_magnitude = _amount(cost, field="cost", required=False)
            cost_value = None if cost_magnitude is None else _signed(cost_magnitude, change)
        if kind == LineKind.DISCOUNT:
            # A discount lowers the price: an added discount is a negative price.
            price_value = -price_value
        if cost_value is None:
            cost_value = _default_cost(kind, price_value)
        line.price_delta, line.cost_delta = quantize_cents(price_value), quantize_cents(cost_value)
        if line.price_delta == 0 and line.cost_delta == 0:
            raise ValidationError({"price": ValidationError("Enter the price that changes.", code="range")})
    if line.cost_delta != 0:
        line.no_cost_reason = ""
    elif line.price_delta > 0 and not line.no_cost_reason:
        raise ValidationError(
            {
                "cost": ValidationError(
                    "This line adds a price but no cost: enter its cost, or say why it has none.",
                    code="no_cost",
                )
            }
        )
    line.position = (fresh.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    actions.save(line, actor=actor, action="added a scope line", audit=False)
    _record_line(actor, fresh, "added a scope line", before="", after=line_in_words(line))
    return line


def _default_cost(kind: str, price: Decimal) -> Decimal:
    """The configured cost of a pass-through or travel price (as the SOW's generated COGS costs them);
    a discount and a packaged price without a cost entered have none."""
    if kind == LineKind.EXPENSES:
        return expenses_cost(price)
    if kind == LineKind.PASS_THROUGH:
        percent = Decimal(str(settings.SOW_PASS_THROUGH_COST_PERCENT)) / Decimal("100")
        return quantize_cents(price * percent)
    return ZERO


@transaction.atomic
def change_request_line_delete(*, actor: User, line: ChangeRequestLine) -> None:
    fresh = _lock_draft(actor, line.change_request)
    stored = ChangeRequestLine.objects.filter(pk=line.pk, change_request=fresh).first()
    if stored is None:
        raise ValidationError("That line was removed in the meantime; reload the page.", code="gone")
    _record_line(actor, fresh, "removed a scope line", before=line_in_words(stored), after="")
    actions.delete(stored, actor=actor, action="removed a scope line", audit=False)


def _key(line: EstimateLine) -> tuple[str, str]:
    return (line.kind, line.description)


def _size(line: EstimateLine) -> tuple[Decimal, Decimal, Decimal]:
    return (Decimal(line.quantity), line.hours, line.amount)


def estimate_delta_lines(version: SowVersion, estimate: Estimate) -> list[ChangeRequestLine]:
    """The (unsaved) scope lines that take the signed version's estimate to `estimate`: every priced
    line added, removed or changed (matched by kind and description), and the change in contingency,
    travel & expenses and discount. Prices are the estimates' own; a new or changed line is costed as
    the SOW's generated COGS costs it (sow.services.costs), and what goes away takes off what the SOW
    costed for it (its cost lines), or its generated cost when it had none."""
    base = version.estimate
    roles = rate_card_roles(version.currency)
    costed: dict[int, Decimal] = {}
    for cost_line in CostLine.objects.filter(cost_estimate__sow_version=version, estimate_line__isnull=False):
        assert cost_line.estimate_line_id is not None
        costed[cost_line.estimate_line_id] = costed.get(cost_line.estimate_line_id, ZERO) + cost_line.cost

    def old_cost(line: EstimateLine) -> Decimal:
        return costed.get(line.pk, estimate_line_cost(line, roles).cost)

    def new_cost(line: EstimateLine) -> Decimal:
        return estimate_line_cost(line, roles).cost

    kinds: dict[str, str] = {
        EstimateLine.Kind.ACTIVITY: LineKind.LABOUR,
        EstimateLine.Kind.SKU: LineKind.PACKAGED,
        EstimateLine.Kind.FREE: LineKind.PASS_THROUGH,
    }
    before = {_key(line): line for line in base.lines.all()}
    after = {_key(line): line for line in estimate.lines.all()}
    lines: list[ChangeRequestLine] = []

    def add(change: str, line: EstimateLine, price: Decimal, cost: Decimal, hours: Decimal) -> None:
        lines.append(
            ChangeRequestLine(
                change=change,
                kind=kinds.get(line.kind, LineKind.LABOUR),
                description=line.description,
                role_name=line.role_name if line.kind == EstimateLine.Kind.ACTIVITY else "",
                hours_delta=hours,
                bill_rate=line.bill_rate,
                cost_rate=line.cost_rate,
                price_delta=quantize_cents(price),
                cost_delta=quantize_cents(cost),
                from_estimate=True,
            )
        )

    for key, line in after.items():
        old = before.get(key)
        if old is None:
            add(Change.ADDED, line, line.amount, new_cost(line), line.hours)
        elif _size(old) != _size(line):
            add(
                Change.CHANGED,
                line,
                line.amount - old.amount,
                new_cost(line) - old_cost(old),
                line.hours - old.hours,
            )
    for key, old in before.items():
        if key not in after:
            add(Change.REMOVED, old, -old.amount, -old_cost(old), -old.hours)

    old_totals = calculator.compute(
        list(before.values()),
        contingency_percent=base.contingency_percent,
        expenses=base.expenses,
        discount=base.discount,
    )
    new_totals = calculator.compute(
        list(after.values()),
        contingency_percent=estimate.contingency_percent,
        expenses=estimate.expenses,
        discount=estimate.discount,
    )
    # (kind, description, before, after, price delta, cost delta or None for none, why none)
    extras: list[tuple[str, str, Decimal, Decimal, Decimal, Decimal | None, str]] = [
        (
            LineKind.LABOUR,
            "Contingency",
            old_totals.contingency,
            new_totals.contingency,
            new_totals.contingency - old_totals.contingency,
            None,
            CONTINGENCY_NO_COST,
        ),
        (
            LineKind.EXPENSES,
            "Travel & expenses",
            old_totals.expenses,
            new_totals.expenses,
            new_totals.expenses - old_totals.expenses,
            expenses_cost(new_totals.expenses) - _old_expenses_cost(version, old_totals.expenses),
            "",
        ),
        (
            LineKind.DISCOUNT,
            "Discount",
            old_totals.discount,
            new_totals.discount,
            old_totals.discount - new_totals.discount,
            None,
            DISCOUNT_NO_COST,
        ),
    ]
    for kind, description, was, now, price, cost, reason in extras:
        price = quantize_cents(price)
        if price == 0:
            continue
        change = Change.ADDED if was == 0 else Change.REMOVED if now == 0 else Change.CHANGED
        lines.append(
            ChangeRequestLine(
                change=change,
                kind=kind,
                description=description,
                price_delta=price,
                cost_delta=quantize_cents(cost) if cost is not None else ZERO,
                no_cost_reason=reason if cost is None else "",
                from_estimate=True,
            )
        )
    return lines


def _old_expenses_cost(version: SowVersion, billed: Decimal) -> Decimal:
    """What the SOW costed its travel for: its travel lines, else the generated cost of what it billed."""
    travel = [
        line.cost
        for line in CostLine.objects.filter(cost_estimate__sow_version=version, kind=CostLine.Kind.TRAVEL)
    ]
    return sum(travel, ZERO) if travel else expenses_cost(billed)


@transaction.atomic
def change_request_from_estimate(
    *, actor: User, change_request: ChangeRequest, estimate: Estimate
) -> list[ChangeRequestLine]:
    """Replace the lines taken from an estimate with those of a revised estimate of the same scoping
    issue (shared or agreed, newer than the signed version's); lines entered by hand stay."""
    fresh = _lock_draft(actor, change_request)
    version = fresh.sow_version
    if estimate.scoping_issue_id != fresh.sow.scoping_issue_id:
        raise ValidationError(
            {"estimate": ValidationError("That estimate is not of this SOW's scoping issue.", code="invalid")}
        )
    if estimate.number <= version.estimate.number:
        raise ValidationError(
            {
                "estimate": ValidationError(
                    f"Choose a revision newer than {version.estimate.label}, "
                    "the estimate the SOW was signed on.",
                    code="not_newer",
                )
            }
        )
    if estimate.status == Estimate.Status.DRAFT:
        raise ValidationError(
            {"estimate": ValidationError("Share or agree the revised estimate first.", code="draft")}
        )
    if estimate.currency != fresh.currency:
        raise ValidationError(
            {"estimate": ValidationError(f"That estimate is not in {fresh.currency}.", code="currency")}
        )
    lines = estimate_delta_lines(version, estimate)
    if not lines:
        raise ValidationError(
            {"estimate": ValidationError(f"{estimate.label} changes nothing in scope or price.", code="same")}
        )
    removed = list(fresh.lines.filter(from_estimate=True))
    ChangeRequestLine.objects.filter(pk__in=[x.pk for x in removed]).delete()
    start = (fresh.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    for position, line in enumerate(lines, start=start):
        line.change_request, line.position = fresh, position
    ChangeRequestLine.objects.bulk_create(lines)
    before = actions.snapshot(fresh)
    fresh.estimate = estimate
    actions.save(
        fresh,
        actor=actor,
        action=f"took the scope lines from estimate {estimate.label}",
        before=before,
        also_changed=[{"field": "scope line", "before": line_in_words(x), "after": ""} for x in removed]
        + [{"field": "scope line", "before": "", "after": line_in_words(x)} for x in lines],
    )
    return lines


# --------------------------------------------------------------------------- transitions


def submission_problems(change_request: ChangeRequest, *, justification: str = "") -> list[str]:
    """What stops a draft change request from being submitted (empty when it may go)."""
    problems = []
    lines = list(change_request.lines.all())
    if not lines:
        problems.append("Add the scope that changes (from a revised estimate or by hand).")
    if not change_request.reason.strip():
        problems.append("Say why the scope changes.")
    for line in lines:
        if line.price_delta > 0 and line.cost_delta == 0 and not line.no_cost_reason.strip():
            problems.append(
                f"“{line.description}” adds a price but no cost: cost it, or say why it has none."
            )
    totals = change_request_totals(change_request, lines)
    result = totals.new_margin
    if (
        lines
        and result.below_target
        and not (justification or change_request.below_target_justification).strip()
    ):
        shown = "n/a" if result.percent is None else f"{result.percent:.1f} %"
        problems.append(
            f"The contract's margin with this change, {shown}, is below the {result.target_percent:.1f} % "
            "target: write a justification."
        )
    return problems


@transaction.atomic
def change_request_submit(
    *, actor: User, change_request: ChangeRequest, expected_version: int, justification: str = ""
) -> ChangeRequest:
    """Draft → submitted: scope lines, a reason, every priced line costed, justification below target."""
    fresh = _claim_for_edit(actor, change_request, expected_version)
    _require_status(fresh, Status.DRAFT, action="submitted")
    problems = submission_problems(fresh, justification=justification)
    if problems:
        raise ValidationError(problems, code="not_ready")
    fields: dict[str, Any] = {"submitted_at": timezone.now()}
    if justification.strip():
        fields["below_target_justification"] = justification.strip()[:4000]
    _move(fresh, Status.SUBMITTED, actor=actor, action="submitted the change request for approval", **fields)
    steps = ladder_start(actor=actor, subject=fresh)
    queue_render(actor=actor, change_request=fresh, kind=SowDocument.Kind.DRAFT)
    totals = change_request_totals(fresh)
    shown = totals.new_margin.percent
    _tell(
        "cr_submitted",
        f"Change request for approval: {fresh}",
        f"{_name(actor)} submitted {fresh} “{fresh.title}” (price {totals.price_delta:+,.2f} "
        f"{fresh.currency}, contract margin {'n/a' if shown is None else f'{shown:.1f} %'}) for approval."
        f"\n\nApproval ladder: {ladder_text(steps)}."
        f"\n\nReview it in the approval queue: {_review_link(fresh)}",
        to_directors=True,
        change_request=fresh,
        actor=actor,
    )
    return fresh


def _claim_for_decision(actor: User, change_request: ChangeRequest, expected_version: int) -> ChangeRequest:
    access.require_change_request_decider(actor, change_request)
    return _claim(change_request, expected_version)


def _record_decision(
    change_request: ChangeRequest, *, actor: User, decision: str, comment: str, at: dt.datetime
) -> None:
    row = ChangeRequestApproval(
        change_request=change_request, actor=actor, at=at, decision=decision, comment=comment
    )
    actions.save(row, actor=actor, action="decided", audit=False)


@transaction.atomic
def change_request_approve(
    *, actor: User, change_request: ChangeRequest, expected_version: int, comment: str = ""
) -> ChangeRequest:
    """Submitted → approved by a PS Director other than its author; its price now counts in the
    contract value, and its final PDF renders."""
    fresh = _claim_for_decision(actor, change_request, expected_version)
    _require_status(fresh, Status.SUBMITTED, action="approved")
    comment = (comment or "").strip()
    now = timezone.now()
    # The last step's decision and the status change are one audit entry, written by the move.
    decision = ladder_decide(actor=actor, subject=fresh, approve=True, comment=comment, record_last=False)
    _record_decision(fresh, actor=actor, decision=Approval.Decision.APPROVED, comment=comment, at=now)
    if not decision.last:
        return fresh
    _move(
        fresh,
        Status.APPROVED,
        actor=actor,
        action=decision.action,
        note=comment,
        decision=decision.changes,
        decided_at=now,
    )
    queue_render(actor=actor, change_request=fresh, kind=SowDocument.Kind.FINAL)
    _tell(
        "cr_approved",
        f"Change request approved: {fresh}",
        f"{fresh} “{fresh.title}” was approved by {_name(actor)}."
        f"{' Comment: ' + comment if comment else ''}\n\n{_link(fresh)}",
        to_directors=False,
        change_request=fresh,
        actor=actor,
    )
    return fresh


@transaction.atomic
def change_request_request_changes(
    *, actor: User, change_request: ChangeRequest, expected_version: int, comment: str
) -> ChangeRequest:
    """Submitted → changes requested, with the PS Director's comment (required)."""
    fresh = _claim_for_decision(actor, change_request, expected_version)
    _require_status(fresh, Status.SUBMITTED, action="sent back")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": ValidationError("Say what must change.", code="required")})
    now = timezone.now()
    # The decision and the status change are one audit entry, written by the move.
    decision = ladder_decide(actor=actor, subject=fresh, approve=False, comment=comment, record_last=False)
    _record_decision(
        fresh, actor=actor, decision=Approval.Decision.CHANGES_REQUESTED, comment=comment, at=now
    )
    _move(
        fresh,
        Status.CHANGES_REQUESTED,
        actor=actor,
        action=decision.action,
        note=comment,
        decision=decision.changes,
        decided_at=now,
    )
    _tell(
        "cr_changes_requested",
        f"Changes requested: {fresh}",
        f"{_name(actor)} asked for changes to {fresh} “{fresh.title}”: {comment}\n\n{_link(fresh)}",
        to_directors=False,
        change_request=fresh,
        actor=actor,
    )
    return fresh


@transaction.atomic
def change_request_reopen(
    *, actor: User, change_request: ChangeRequest, expected_version: int
) -> ChangeRequest:
    """Changes requested → draft, for the EM to make the changes and submit again."""
    fresh = _claim_for_edit(actor, change_request, expected_version)
    _require_status(fresh, Status.CHANGES_REQUESTED, action="reopened")
    return _move(fresh, Status.DRAFT, actor=actor, action="reopened the change request")


@transaction.atomic
def change_request_withdraw(
    *, actor: User, change_request: ChangeRequest, expected_version: int, reason: str
) -> ChangeRequest:
    """Withdraw a change request at any state before the customer signs it, with a reason."""
    fresh = _claim_for_edit(actor, change_request, expected_version)
    _require_status(fresh, *BEFORE_SIGNATURE, action="withdrawn")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("Say why it is withdrawn.", code="required")})
    ladder_close_open_steps(fresh)
    return _move(
        fresh,
        Status.WITHDRAWN,
        actor=actor,
        action="withdrew the change request",
        note=reason,
        withdrawn_reason=reason,
    )


@transaction.atomic
def change_request_mark_sent(
    *, actor: User, change_request: ChangeRequest, expected_version: int, sent_on: dt.date, recipients: str
) -> ChangeRequest:
    """Approved → sent to the customer (date and recipients)."""
    fresh = _claim_for_edit(actor, change_request, expected_version)
    _require_status(fresh, Status.APPROVED, action="marked sent")
    recipients = clean_single_line(recipients, field="recipients")
    if not recipients:
        raise ValidationError({"recipients": ValidationError("Who received it?", code="required")})
    if fresh.decided_at and sent_on < timezone.localtime(fresh.decided_at).date():
        raise ValidationError(
            {"sent_on": ValidationError("It cannot be sent before it was approved.", code="early")}
        )
    if sent_on > timezone.localdate():
        raise ValidationError({"sent_on": ValidationError("That date is in the future.", code="future")})
    floor_problem = ladder_floor_problem(fresh)
    if floor_problem:
        raise ValidationError(floor_problem, code="below_floor")
    return _move(
        fresh,
        Status.SENT,
        actor=actor,
        action="marked the change request sent",
        sent_at=sent_on,
        sent_to=recipients,
    )


@transaction.atomic
def change_request_mark_signed(
    *,
    actor: User,
    change_request: ChangeRequest,
    expected_version: int,
    signed_on: dt.date,
    signed_copy: UploadedFile[bytes],
) -> ChangeRequest:
    """Sent → signed, with the customer's signed copy (a PDF, checked like a SOW's)."""
    fresh = _claim_for_edit(actor, change_request, expected_version)
    _require_status(fresh, Status.SENT, action="marked signed")
    if fresh.sent_at and signed_on < fresh.sent_at:
        raise ValidationError(
            {"signed_on": ValidationError("It cannot be signed before it was sent.", code="early")}
        )
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": ValidationError("That date is in the future.", code="future")})
    check_signed_copy(signed_copy)
    before = actions.snapshot(fresh)
    fresh.signed_copy.save("signed.pdf", signed_copy, save=False)
    fresh.status = Status.SIGNED
    fresh.signed_at = signed_on
    actions.save(fresh, actor=actor, action="marked the change request signed", before=before)
    _tell_signed(fresh, actor=actor, signed_on=signed_on)
    return fresh


# --------------------------------------------------------------------------- PDFs


def queue_render(*, actor: AnyUser | None, change_request: ChangeRequest, kind: str) -> ChangeRequestDocument:
    """Mark the change request's document of `kind` queued and render it once the transaction commits."""
    from sow.tasks import render_change_request_pdf

    document = (
        ChangeRequestDocument.objects.select_for_update()
        .filter(change_request=change_request, kind=kind)
        .first()
    )
    if document is None:
        document = ChangeRequestDocument(change_request=change_request, kind=kind)
    document.status = SowDocument.Status.QUEUED
    document.error = ""
    fields = None if document.pk is None else ["status", "error", "updated_at"]
    actions.save(document, actor=actor, action="asked for the PDF", update_fields=fields, audit=False)
    document_id = document.pk
    transaction.on_commit(lambda: render_change_request_pdf.delay(document_id))
    return document


@transaction.atomic
def change_request_request_pdf(*, actor: User, change_request: ChangeRequest) -> ChangeRequestDocument:
    """On demand (or to retry a failure): DRAFT-watermarked before approval, final after."""
    access.can_view.require(actor, change_request.sow)
    fresh = _lock(change_request)
    kind = SowDocument.Kind.DRAFT if fresh.status in DRAFT_STATES else SowDocument.Kind.FINAL
    document = queue_render(actor=actor, change_request=fresh, kind=kind)
    actions.record(actor=actor, action=f"asked for the {kind} PDF", obj=fresh)
    return document
