"""Estimates and the services calculator: versions of an issue's estimate, their lines, and
sharing and agreeing them. Every write locks the issue, then the estimate, moves the estimate's
version on (so a calculator form opened before it is refused), saves the totals worked out from
the lines and writes one audit entry on the estimate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import actions
from core.validators import clean_single_line, parse_decimal
from scoping import access, calculator
from scoping.models import DeliveryRole, Estimate, EstimateLine, ScopingIssue, ServiceOffering
from scoping.services.amounts import check_decimal, check_hours, check_money, check_quantity
from scoping.services.issues import lock_issue, refresh_ta_state

STALE_ESTIMATE = (
    "Someone else changed this estimate while you were editing it. "
    "Nothing was saved; reload to see their changes."
)

Changes = list[dict[str, str]]


@dataclass
class LineChange:
    line_id: int
    description: str
    quantity: Any = None
    hours: Any = None
    unit_price: Any = None
    delete: bool = False


# --------------------------------------------------------------------------- the shape of a write


def _check_not_frozen(estimate: Estimate) -> None:
    if estimate.is_frozen:
        raise ValidationError(
            f"{estimate.label} is {estimate.get_status_display().lower()} and frozen; "
            "revise it to make changes.",
            code="frozen",
        )


def _lock(estimate: Estimate, *, expected_version: int | None = None) -> Estimate:
    """The estimate fresh and locked (its issue first: issues.lock_issue), its version moved on.
    With `expected_version` (the one the user saw) a write based on an older one is refused."""
    lock_issue(estimate.scoping_issue_id)
    queryset = Estimate.objects.select_related("scoping_issue", "scoping_issue__opportunity")
    if expected_version is not None:
        return actions.claim(
            queryset, pk=estimate.pk, expected_version=expected_version, stale_message=STALE_ESTIMATE
        )
    # Adding or removing a line carries no version from the page; it still makes an open
    # calculator form stale.
    return actions.lock(queryset, pk=estimate.pk, bump=True)


def _set_totals(estimate: Estimate, lines: list[EstimateLine]) -> calculator.Totals:
    totals = calculator.compute(
        lines,
        contingency_percent=estimate.contingency_percent,
        expenses=estimate.expenses,
        discount=estimate.discount,
    )
    estimate.total, estimate.total_hours = totals.total, totals.hours
    return totals


def _record(
    estimate: Estimate,
    *,
    actor: User,
    action: str,
    before: dict[str, Any] | None,
    lines: Changes | None = None,
    note: str = "",
) -> None:
    """The write's one audit entry: the estimate's changed fields, its lines, and the issue's TA
    review state when the new totals changed it."""
    changes = actions.diff(estimate, before) + (lines or [])
    changes += refresh_ta_state(estimate.scoping_issue, actor=actor)
    actions.record(actor=actor, action=action, obj=estimate, changes=changes, note=note)


def _save(
    estimate: Estimate, *, actor: User, action: str, before: dict[str, Any], lines: Changes | None = None
) -> calculator.Totals:
    """Save the estimate with its totals from its stored lines, and write the audit entry."""
    totals = _set_totals(estimate, list(estimate.lines.all()))
    actions.save(estimate, actor=actor, action=action, audit=False)
    _record(estimate, actor=actor, action=action, before=before, lines=lines)
    return totals


def _mirror(passed: Estimate, fresh: Estimate) -> None:
    """The caller's copy of the estimate shows the write too (a page or a script goes on using it)."""
    for name, value in actions.snapshot(fresh).items():
        setattr(passed, name, value)


def _in_words(line: EstimateLine) -> str:
    # A line built in this request may still hold its numbers as given (text or int).
    def two_places(value: Any) -> str:
        return f"{parse_decimal(value):,.2f}"

    if line.kind == EstimateLine.Kind.ACTIVITY:
        hours, rate = two_places(line.hours), two_places(line.bill_rate)
        return f"{line.description}: {line.role_name}, {hours} h at {rate}"
    return f"{line.description}: {int(line.quantity):,} × {two_places(line.unit_price)}"


def _added(lines: list[EstimateLine]) -> Changes:
    return [{"field": "line", "before": "", "after": _in_words(line)} for line in lines]


# --------------------------------------------------------------------------- versions


@transaction.atomic
def estimate_create(*, actor: User, issue: ScopingIssue) -> Estimate:
    """Start the issue's first estimate (v1), empty, in the opportunity's currency."""
    access.can_edit.require(actor, issue)
    fresh_issue = lock_issue(issue.pk)
    if fresh_issue.estimates.exists():
        raise ValidationError(
            "This issue already has an estimate; revise the latest version instead.", code="exists"
        )
    estimate = Estimate(
        scoping_issue=fresh_issue,
        number=1,
        currency=fresh_issue.opportunity.currency,
        created_by=actor,
        reason="Initial estimate",
    )
    return actions.create(estimate, actor=actor, action="started the estimate")


@transaction.atomic
def estimate_revise(*, actor: User, estimate: Estimate, reason: str) -> Estimate:
    """Create v(n+1) as a draft copy of this version (lines and rates as they were), with a reason."""
    access.can_edit_estimate.require(actor, estimate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError("Say why you are revising the estimate.", code="required")}
        )
    issue = lock_issue(estimate.scoping_issue_id)  # one v(n+1) at a time
    draft = issue.estimates.filter(status=Estimate.Status.DRAFT).first()
    if draft is not None:
        raise ValidationError(
            f"{draft.label} is still a draft; edit it instead of revising.", code="draft_exists"
        )
    source = Estimate.objects.get(pk=estimate.pk)
    revision = Estimate(
        scoping_issue=issue,
        number=(issue.estimates.aggregate(m=Max("number"))["m"] or 0) + 1,
        currency=source.currency,
        reason=reason,
        contingency_percent=source.contingency_percent,
        expenses=source.expenses,
        discount=source.discount,
        created_by=actor,
    )
    lines = [
        EstimateLine(
            kind=line.kind,
            position=line.position,
            offering_id=line.offering_id,
            role_name=line.role_name,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            hours=line.hours,
            bill_rate=line.bill_rate,
            cost_rate=line.cost_rate,
        )
        for line in source.lines.all()
    ]
    _set_totals(revision, lines)
    actions.save(revision, actor=actor, action="revised the estimate", audit=False)
    for line in lines:
        line.estimate = revision
    EstimateLine.objects.bulk_create(lines)
    _record(revision, actor=actor, action="revised the estimate", before=None, note=reason)
    return revision


def _check_has_lines(estimate: Estimate) -> None:
    if not estimate.lines.exists():
        raise ValidationError("Add at least one line first.", code="empty")


@transaction.atomic
def estimate_share(*, actor: User, estimate: Estimate) -> Estimate:
    """Share a draft with the customer or sales; it is frozen from now on."""
    access.can_edit_estimate.require(actor, estimate)
    fresh = _lock(estimate)
    if fresh.status != Estimate.Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be shared; {fresh.label} is {fresh.status}.", code="bad_state"
        )
    _check_has_lines(fresh)
    before = actions.snapshot(fresh)
    fresh.status = Estimate.Status.SHARED
    fresh.shared_at = timezone.now()
    actions.save(fresh, actor=actor, action="shared the estimate", before=before)
    _mirror(estimate, fresh)
    return fresh


@transaction.atomic
def estimate_agree(*, actor: User, estimate: Estimate) -> Estimate:
    """Mark this version agreed; every other version of the issue becomes superseded."""
    access.can_edit_estimate.require(actor, estimate)
    fresh = _lock(estimate)
    if fresh.status not in (Estimate.Status.DRAFT, Estimate.Status.SHARED):
        raise ValidationError(f"{fresh.label} is {fresh.status} and cannot be agreed.", code="bad_state")
    _check_has_lines(fresh)
    superseded: Changes = []
    others = Estimate.objects.filter(scoping_issue_id=fresh.scoping_issue_id).exclude(pk=fresh.pk)
    for other in others.exclude(status=Estimate.Status.SUPERSEDED).select_for_update(of=("self",)):
        superseded.append({"field": other.label, "before": other.get_status_display(), "after": "Superseded"})
        other.status = Estimate.Status.SUPERSEDED
        other.version += 1
        actions.save(other, actor=actor, action="", audit=False)
    before = actions.snapshot(fresh)
    now = timezone.now()
    fresh.status = Estimate.Status.AGREED
    fresh.agreed_at = now
    if fresh.shared_at is None:
        fresh.shared_at = now
    actions.save(fresh, actor=actor, action="marked the estimate agreed", audit=False)
    _record(fresh, actor=actor, action="marked the estimate agreed", before=before, lines=superseded)
    _mirror(estimate, fresh)
    return fresh


# --------------------------------------------------------------------------- lines


def _next_position(estimate: Estimate) -> int:
    return (estimate.lines.aggregate(m=Max("position"))["m"] or 0) + 1


def _rate_for(role_name: str, currency: str) -> DeliveryRole:
    role = DeliveryRole.objects.filter(name=role_name, currency=currency, active=True).first()
    if role is None:
        raise ValidationError(
            f"The rate card has no active {currency} rate for {role_name}; "
            "ask a Practice Manager to add one.",
            code="no_rate",
        )
    return role


def _offering_lines(estimate: Estimate, offering: ServiceOffering, quantity: Any) -> list[EstimateLine]:
    if not offering.active:
        raise ValidationError(
            {"offering": ValidationError("That offering is no longer sold.", code="inactive")}
        )
    position = _next_position(estimate)
    if offering.kind == ServiceOffering.Kind.PACKAGED:
        quantity = check_quantity(quantity, field="quantity")
        if offering.currency != estimate.currency:
            raise ValidationError(
                {
                    "offering": ValidationError(
                        f"{offering.name} is priced in {offering.currency}; "
                        f"this estimate is in {estimate.currency}.",
                        code="currency_mismatch",
                    )
                }
            )
        return [
            EstimateLine(
                estimate=estimate,
                kind=EstimateLine.Kind.SKU,
                position=position,
                offering=offering,
                description=f"{offering.code} — {offering.name}",
                quantity=quantity,
                unit_price=offering.unit_price or Decimal("0"),
                hours=offering.included_hours * quantity,
            )
        ]
    activities = list(offering.activities.all())
    if not activities:
        raise ValidationError(
            {
                "offering": ValidationError(
                    f"{offering.name} has no default activities; add lines by hand.", code="no_activities"
                )
            }
        )
    lines = []
    for index, activity in enumerate(activities):
        role = _rate_for(activity.role_name, estimate.currency)
        lines.append(
            EstimateLine(
                estimate=estimate,
                kind=EstimateLine.Kind.ACTIVITY,
                position=position + index,
                offering=offering,
                role_name=role.name,
                description=f"{offering.name}: {activity.description}",
                hours=activity.hours,
                bill_rate=role.bill_rate,
                cost_rate=role.cost_rate,
            )
        )
    return lines


@transaction.atomic
def estimate_add_offering(
    *, actor: User, estimate: Estimate, offering: ServiceOffering, quantity: int = 1
) -> list[EstimateLine]:
    """A packaged SKU adds quantity × its unit price; a custom offering adds its default activities
    as role × hours lines at the rate card's current rates (copied onto the lines)."""
    access.can_edit_estimate.require(actor, estimate)
    _check_not_frozen(estimate)
    fresh = _lock(estimate)
    _check_not_frozen(fresh)
    before = actions.snapshot(fresh)
    lines = _offering_lines(fresh, offering, quantity)
    EstimateLine.objects.bulk_create(lines)
    _save(fresh, actor=actor, action="added an offering", before=before, lines=_added(lines))
    _mirror(estimate, fresh)
    return lines


@transaction.atomic
def estimate_add_line(
    *,
    actor: User,
    estimate: Estimate,
    kind: str,
    description: str,
    role_name: str = "",
    hours: Any = None,
    quantity: Any = 1,
    unit_price: Any = None,
) -> EstimateLine:
    """Add an activity line (role × hours at the current rate) or a free line (quantity × price)."""
    access.can_edit_estimate.require(actor, estimate)
    _check_not_frozen(estimate)
    description = clean_single_line(description, field="description")
    if not description:
        raise ValidationError({"description": ValidationError("Describe the line.", code="required")})
    fresh = _lock(estimate)
    _check_not_frozen(fresh)
    before = actions.snapshot(fresh)
    line = EstimateLine(estimate=fresh, position=_next_position(fresh), description=description[:300])
    if kind == EstimateLine.Kind.ACTIVITY:
        role = _rate_for(role_name, fresh.currency)
        line.kind = EstimateLine.Kind.ACTIVITY
        line.role_name, line.hours = role.name, check_hours(hours, field="hours")
        line.bill_rate, line.cost_rate = role.bill_rate, role.cost_rate
    elif kind == EstimateLine.Kind.FREE:
        line.kind = EstimateLine.Kind.FREE
        line.quantity = check_quantity(quantity, field="quantity")
        line.unit_price = check_money(unit_price, field="unit_price")
    else:
        raise ValidationError(
            {"kind": ValidationError("Choose an activity or another line.", code="invalid_choice")}
        )
    line.save()
    _save(fresh, actor=actor, action="added a line", before=before, lines=_added([line]))
    _mirror(estimate, fresh)
    return line


@transaction.atomic
def estimate_delete_line(*, actor: User, line: EstimateLine) -> None:
    """Remove a line from a draft."""
    estimate = line.estimate
    access.can_edit_estimate.require(actor, estimate)
    _check_not_frozen(estimate)
    fresh = _lock(estimate)
    _check_not_frozen(fresh)
    before = actions.snapshot(fresh)
    stored = fresh.lines.filter(pk=line.pk).first()
    removed = None
    if stored is not None:
        removed = [{"field": "line", "before": _in_words(stored), "after": ""}]
        stored.delete()
    _save(fresh, actor=actor, action="removed a line", before=before, lines=removed)
    _mirror(estimate, fresh)


# --------------------------------------------------------------------------- the calculator


@transaction.atomic
def estimate_update(
    *,
    actor: User,
    estimate: Estimate,
    expected_version: int,
    contingency_percent: Any,
    expenses: Any,
    discount: Any,
    lines: list[LineChange],
) -> calculator.Totals:
    """Save the calculator: line edits and deletions, contingency, expenses and discount.

    All values are checked first; on any error nothing is saved. The discount may not exceed
    the subtotal. A save based on a stale version is refused.
    """
    access.can_edit_estimate.require(actor, estimate)
    _check_not_frozen(estimate)
    errors: dict[str, list[ValidationError]] = {}

    def collect(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            for key, errs in exc.error_dict.items():
                errors.setdefault(key, []).extend(errs)
            return None

    contingency = collect(check_decimal, contingency_percent, field="contingency_percent")
    if contingency is not None and not (Decimal("0") <= contingency <= Decimal("100")):
        errors.setdefault("contingency_percent", []).append(
            ValidationError("Contingency must be between 0 and 100 %.", code="range")
        )
    expenses_amount = collect(check_money, expenses, field="expenses")
    discount_amount = collect(check_money, discount, field="discount")

    existing = {line.pk: line for line in estimate.lines.all()}
    words_before = {pk: _in_words(line) for pk, line in existing.items()}
    kept: list[EstimateLine] = []
    to_delete: list[int] = []
    for change in lines:
        line = existing.get(change.line_id)
        if line is None:
            continue
        if change.delete:
            to_delete.append(line.pk)
            continue
        prefix = f"line-{line.pk}-"
        description = collect(clean_single_line, change.description, field=prefix + "description")
        if description is None:
            description = ""
        elif not description:
            errors.setdefault(prefix + "description", []).append(
                ValidationError("Describe the line.", code="required")
            )
        line.description = description[:300]
        if line.kind == EstimateLine.Kind.ACTIVITY:
            hours = collect(check_hours, change.hours, field=prefix + "hours")
            if hours is not None:
                line.hours = hours
        else:
            quantity = collect(check_quantity, change.quantity, field=prefix + "quantity")
            if quantity is not None:
                if line.kind == EstimateLine.Kind.SKU and line.offering is not None:
                    line.hours = line.offering.included_hours * quantity
                line.quantity = quantity
            if line.kind == EstimateLine.Kind.FREE:
                price = collect(check_money, change.unit_price, field=prefix + "unit_price")
                if price is not None:
                    line.unit_price = price
        kept.append(line)
    untouched = [
        line for pk, line in existing.items() if pk not in to_delete and all(c.line_id != pk for c in lines)
    ]

    if not errors:
        totals = calculator.compute(
            kept + untouched, contingency_percent=contingency, expenses=expenses_amount, discount=Decimal("0")
        )
        if discount_amount > totals.subtotal:
            errors["discount"] = [
                ValidationError(
                    f"The discount may not exceed the subtotal ({estimate.currency} {totals.subtotal:,.2f}).",
                    code="discount_too_large",
                )
            ]
    if errors:
        raise ValidationError(errors)

    fresh = _lock(estimate, expected_version=expected_version)
    _check_not_frozen(fresh)
    before = actions.snapshot(fresh)
    line_changes: Changes = [
        {"field": "line", "before": words_before[pk], "after": ""} for pk in to_delete
    ] + [
        {"field": "line", "before": words_before[line.pk], "after": _in_words(line)}
        for line in kept
        if _in_words(line) != words_before[line.pk]
    ]
    EstimateLine.objects.filter(pk__in=to_delete, estimate=fresh).delete()
    EstimateLine.objects.bulk_update(kept, ["description", "quantity", "hours", "unit_price"])
    fresh.contingency_percent = contingency
    fresh.expenses = expenses_amount
    fresh.discount = discount_amount
    totals = _save(fresh, actor=actor, action="saved the calculator", before=before, lines=line_changes)
    _mirror(estimate, fresh)
    return totals


def estimate_preview(
    *, estimate: Estimate, contingency_percent: Any, expenses: Any, discount: Any, lines: list[LineChange]
) -> tuple[calculator.Totals | None, dict[str, list[str]]]:
    """Totals for unsaved calculator input (as the EM types), with field errors; saves nothing."""
    errors: dict[str, list[str]] = {}
    existing = {line.pk: line for line in estimate.lines.all()}
    preview_lines = []
    for change in lines:
        line = existing.get(change.line_id)
        if line is None or change.delete:
            continue
        prefix = f"line-{line.pk}-"
        try:
            if line.kind == EstimateLine.Kind.ACTIVITY:
                line.hours = check_hours(change.hours, field=prefix + "hours")
            else:
                line.quantity = check_quantity(change.quantity, field=prefix + "quantity")
                if line.kind == EstimateLine.Kind.FREE:
                    line.unit_price = check_money(change.unit_price, field=prefix + "unit_price")
        except ValidationError as exc:
            for key, errs in exc.message_dict.items():
                errors.setdefault(key, []).extend(errs)
        preview_lines.append(line)
    parsed: dict[str, Decimal] = {}
    for field_name, value, check in (
        ("expenses", expenses, check_money),
        ("discount", discount, check_money),
        ("contingency_percent", contingency_percent, check_decimal),
    ):
        try:
            parsed[field_name] = check(value, field=field_name)
        except ValidationError as exc:
            errors.setdefault(field_name, []).extend(exc.message_dict[field_name])
    if errors:
        return None, errors
    contingency = parsed["contingency_percent"]
    if not Decimal("0") <= contingency <= Decimal("100"):
        return None, {"contingency_percent": ["Contingency must be between 0 and 100 %."]}
    totals = calculator.compute(
        preview_lines,
        contingency_percent=contingency,
        expenses=parsed["expenses"],
        discount=parsed["discount"],
    )
    if totals.discount > totals.subtotal:
        return None, {"discount": ["The discount may not exceed the subtotal."]}
    return totals, {}
