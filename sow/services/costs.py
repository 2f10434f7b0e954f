"""The cost of delivering a SOW version (COGS): lines prefilled from the agreed estimate, lines the
EM adds, changes and removes while the version is a draft. Each change locks the version first (a
cost line never lands on a version submitted in the meantime) and is told by one audit entry on the
version, with the line in words."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from core import actions
from core.money import quantize_cents
from core.validators import clean_single_line
from people.models import Person
from scoping import services as scoping_services
from scoping.models import DeliveryRole, Estimate, EstimateLine
from sow import access
from sow.models import CostEstimate, CostLine, SowStatus, SowVersion
from sow.services.versions import lock_version, require_status

HOURLY = (CostLine.Kind.ROLE, CostLine.Kind.PERSON)


def line_in_words(line: CostLine) -> str:
    """A cost line as the version page shows it."""
    if line.kind in HOURLY:
        who = line.person.name if line.person is not None else line.role_name
        words = f"{line.description}: {who}, {line.hours:,.2f} h at {line.cost_rate:,.2f}"
    else:
        words = f"{line.description}: {line.get_kind_display().lower()}, {line.amount:,.2f}"
    if line.no_cost_reason:
        words += f" (no cost: {line.no_cost_reason})"
    return words


def _percent(setting: str) -> Decimal:
    return Decimal(str(getattr(settings, setting))) / Decimal("100")


def prefill_costs(cost_estimate: CostEstimate, estimate: Estimate) -> None:
    """A cost line for every priced line of the estimate: labour at the rate card's current cost
    rates (copied onto the lines), packaged SKUs' delivery hours at the packaged delivery role's,
    pass-through lines (licences, partner fees) and travel & expenses at their price times the
    configured cost percentage. A priced line that would cost nothing still gets its line, at zero,
    for the EM to cost or to mark "no cost" with a reason before submitting."""
    roles = rate_card_roles(estimate.currency)
    lines = []
    position = 0
    for position, line in enumerate(estimate.lines.all(), start=1):
        cost = estimate_line_cost(line, roles)
        cost.cost_estimate, cost.position = cost_estimate, position
        lines.append(cost)
    if estimate.expenses > 0:
        lines.append(
            CostLine(
                cost_estimate=cost_estimate,
                kind=CostLine.Kind.TRAVEL,
                description="Travel & expenses",
                amount=expenses_cost(estimate.expenses),
                position=position + 1,
            )
        )
    CostLine.objects.bulk_create(lines)


def rate_card_roles(currency: str) -> dict[str, DeliveryRole]:
    """The rate card's active roles in `currency`, by name."""
    return {r.name: r for r in DeliveryRole.objects.filter(currency=currency, active=True)}


def expenses_cost(expenses: Decimal) -> Decimal:
    """What billed travel & expenses cost: their price times the configured percentage."""
    return quantize_cents(expenses * _percent("SOW_EXPENSES_COST_PERCENT"))


def estimate_line_cost(line: EstimateLine, roles: dict[str, DeliveryRole]) -> CostLine:
    """The (unsaved) cost line of one priced estimate line: labour at its role's cost rate on the rate
    card (else the rate copied onto the line), a packaged SKU's delivery hours at the packaged delivery
    role's, a pass-through line at its price times the configured cost percentage."""
    cost = CostLine(estimate_line=line)
    if line.kind == EstimateLine.Kind.ACTIVITY:
        role = roles.get(line.role_name)
        cost.kind, cost.description, cost.hours = CostLine.Kind.ROLE, line.description, line.hours
        cost.delivery_role, cost.role_name = role, line.role_name
        cost.cost_rate = role.cost_rate if role is not None else line.cost_rate
    elif line.kind == EstimateLine.Kind.SKU:
        packaged = roles.get(settings.SOW_PACKAGED_DELIVERY_ROLE)
        cost.kind, cost.hours = CostLine.Kind.ROLE, line.hours
        cost.description = f"Delivery of {line.description}"
        cost.delivery_role = packaged
        cost.role_name = packaged.name if packaged is not None else settings.SOW_PACKAGED_DELIVERY_ROLE
        cost.cost_rate = packaged.cost_rate if packaged is not None else Decimal("0")
    else:
        cost.kind, cost.description = CostLine.Kind.PASS_THROUGH, line.description
        cost.amount = quantize_cents(line.amount * _percent("SOW_PASS_THROUGH_COST_PERCENT"))
    return cost


def copy_costs(source: SowVersion, cost_estimate: CostEstimate) -> None:
    """The source version's cost lines, as they were, onto a new version's cost estimate."""
    CostLine.objects.bulk_create(
        [
            CostLine(
                cost_estimate=cost_estimate,
                kind=line.kind,
                description=line.description,
                delivery_role_id=line.delivery_role_id,
                role_name=line.role_name,
                person_id=line.person_id,
                estimate_line_id=line.estimate_line_id,
                hours=line.hours,
                cost_rate=line.cost_rate,
                amount=line.amount,
                no_cost_reason=line.no_cost_reason,
                position=line.position,
            )
            for line in CostLine.objects.filter(cost_estimate__sow_version=source)
        ]
    )


def cost_problems(version: SowVersion) -> list[str]:
    """Priced lines without a cost: every estimate line needs a cost line (and billed travel &
    expenses a travel line), and a line that costs nothing needs the reason it has none."""
    lines = list(CostLine.objects.filter(cost_estimate__sow_version=version))
    problems = []
    covered = {line.estimate_line_id for line in lines}
    for priced in version.estimate.lines.all():
        if priced.pk not in covered:
            problems.append(
                f"“{priced.description}” is priced but has no cost line: add its cost, "
                "or a line marked no cost with a reason."
            )
    if version.estimate.expenses > 0 and not any(line.kind == CostLine.Kind.TRAVEL for line in lines):
        problems.append(
            "Travel & expenses are billed but have no cost line: add their cost, "
            "or a travel line marked no cost with a reason."
        )
    for line in lines:
        if line.cost == 0 and not line.no_cost_reason.strip():
            problems.append(f"“{line.description}” costs nothing: enter its cost, or say why it has none.")
    return problems


def _lock_for_costs(actor: User, version: SowVersion) -> tuple[SowVersion, CostEstimate]:
    """The version locked and fresh, still a draft the actor may edit, and its cost estimate."""
    access.can_edit.require(actor, version.sow)
    fresh = lock_version(version)
    require_status(fresh, SowStatus.DRAFT, action="re-costed (revise it to make changes)")
    cost_estimate = CostEstimate.objects.filter(sow_version=fresh).first()
    if cost_estimate is None:
        cost_estimate = actions.save(
            CostEstimate(sow_version=fresh), actor=actor, action="added the cost estimate", audit=False
        )
    return fresh, cost_estimate


def _record(actor: User, version: SowVersion, action: str, *, before: str, after: str) -> None:
    actions.record(
        actor=actor,
        action=action,
        obj=version,
        changes=[{"field": "cost line", "before": before, "after": after}],
    )


def _description(description: str) -> str:
    description = clean_single_line(description, field="description")
    if not description:
        raise ValidationError({"description": ValidationError("Describe the cost.", code="required")})
    return description[:300]


def _positive_hours(value: Any) -> Decimal:
    return scoping_services.check_hours(value, field="hours")


def _no_cost_reason(value: str | None) -> str:
    return " ".join((value or "").split())[:1000]


def _check_cost(line: CostLine) -> None:
    """A line at zero says why it has no cost; a line with a cost has no such reason."""
    if line.cost == 0 and not line.no_cost_reason:
        field = "hours" if line.is_hourly else "amount"
        raise ValidationError(
            {
                field: ValidationError(
                    "This line costs nothing: enter its cost, or mark it no cost with a reason.",
                    code="no_cost",
                )
            }
        )
    if line.cost != 0:
        line.no_cost_reason = ""


def _rate_card_role(version: SowVersion, delivery_role: DeliveryRole | None, role_name: str) -> DeliveryRole:
    if delivery_role is None and role_name:
        delivery_role = DeliveryRole.objects.filter(name=role_name, currency=version.currency).first()
    if delivery_role is None:
        raise ValidationError(
            {"delivery_role": ValidationError("Choose a delivery role from the rate card.", code="required")}
        )
    if not delivery_role.active or delivery_role.currency != version.currency:
        raise ValidationError(
            {
                "delivery_role": ValidationError(
                    f"No {version.currency} cost rate for {delivery_role.name} on the rate card.",
                    code="no_rate",
                )
            }
        )
    return delivery_role


def _priced_line(version: SowVersion, estimate_line: EstimateLine | None) -> EstimateLine | None:
    if estimate_line is not None and estimate_line.estimate_id != version.estimate_id:
        raise ValidationError(
            {
                "estimate_line": ValidationError(
                    "That line is not in this SOW's estimate.", code="invalid_choice"
                )
            }
        )
    return estimate_line


@transaction.atomic
def cost_line_add(
    *,
    actor: User,
    version: SowVersion,
    kind: str,
    description: str,
    delivery_role: DeliveryRole | None = None,
    role_name: str = "",
    person: Person | None = None,
    hours: Any = None,
    amount: Any = None,
    estimate_line: EstimateLine | None = None,
    no_cost_reason: str = "",
) -> CostLine:
    """Add a COGS line: a rate-card delivery role or a named person × hours at their cost rate
    (copied now), or a partner/subcontractor, travel or pass-through cost; optionally for one priced
    line of the estimate. A line at zero needs the reason it has no cost."""
    fresh, cost_estimate = _lock_for_costs(actor, version)
    description = _description(description)
    position = (cost_estimate.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    line = CostLine(
        cost_estimate=cost_estimate,
        kind=kind,
        description=description,
        position=position,
        estimate_line=_priced_line(fresh, estimate_line),
        no_cost_reason=_no_cost_reason(no_cost_reason),
    )
    zero_allowed = bool(line.no_cost_reason)
    if kind == CostLine.Kind.ROLE:
        role = _rate_card_role(fresh, delivery_role, role_name)
        line.delivery_role, line.role_name, line.cost_rate = role, role.name, role.cost_rate
        line.hours = _hours(hours, zero_allowed=zero_allowed)
    elif kind == CostLine.Kind.PERSON:
        if person is None:
            raise ValidationError({"person": ValidationError("Choose a person.", code="required")})
        if person.cost_currency != fresh.currency:
            raise ValidationError(
                {
                    "person": ValidationError(
                        f"{person.name}'s cost rate is in {person.cost_currency}; "
                        f"this SOW is in {fresh.currency}.",
                        code="currency_mismatch",
                    )
                }
            )
        line.person, line.cost_rate = person, person.cost_rate
        line.hours = _hours(hours, zero_allowed=zero_allowed)
        line.role_name = person.get_role_display()
    elif kind in (CostLine.Kind.PARTNER, CostLine.Kind.TRAVEL, CostLine.Kind.PASS_THROUGH):
        raw = "0" if zero_allowed and (amount is None or str(amount).strip() == "") else amount
        line.amount = scoping_services.check_money(raw, field="amount")
        if line.amount == 0 and not zero_allowed:
            raise ValidationError(
                {
                    "amount": ValidationError(
                        "Enter an amount above zero, or mark the line no cost with a reason.", code="range"
                    )
                }
            )
    else:
        raise ValidationError({"kind": ValidationError("Choose a kind of cost.", code="invalid_choice")})
    _check_cost(line)
    actions.save(line, actor=actor, action="added a cost line", audit=False)
    _record(actor, fresh, "added a cost line", before="", after=line_in_words(line))
    return line


def _hours(value: Any, *, zero_allowed: bool) -> Decimal:
    """Hours above zero; zero (or nothing) too when the line is marked no cost."""
    if zero_allowed:
        if value is None or str(value).strip() == "":
            return Decimal("0")
        if scoping_services.check_decimal(value, field="hours") == 0:
            return Decimal("0")
    return _positive_hours(value)


def _lock_line(actor: User, line: CostLine) -> tuple[SowVersion, CostLine]:
    fresh, _ = _lock_for_costs(actor, line.cost_estimate.sow_version)
    stored = CostLine.objects.select_related("person").filter(pk=line.pk, cost_estimate__sow_version=fresh)
    if (found := stored.first()) is None:
        raise ValidationError("That cost line was removed in the meantime; reload the page.", code="gone")
    return fresh, found


@transaction.atomic
def cost_line_update(
    *,
    actor: User,
    line: CostLine,
    description: str,
    hours: Any = None,
    amount: Any = None,
    no_cost_reason: str | None = None,
) -> CostLine:
    """Change a line's description and its hours (role and person lines) or amount (the others);
    a line brought to zero needs the reason it has no cost (kept only while it costs nothing)."""
    fresh, stored = _lock_line(actor, line)
    was = line_in_words(stored)
    stored.description = _description(description)
    if no_cost_reason is not None:
        stored.no_cost_reason = _no_cost_reason(no_cost_reason)
    zero_allowed = bool(stored.no_cost_reason)
    if stored.kind in HOURLY:
        stored.hours = _hours(hours, zero_allowed=zero_allowed)
    else:
        stored.amount = scoping_services.check_money(amount, field="amount")
    _check_cost(stored)
    actions.save(stored, actor=actor, action="changed a cost line", audit=False)
    _record(actor, fresh, "changed a cost line", before=was, after=line_in_words(stored))
    return stored


@transaction.atomic
def cost_line_delete(*, actor: User, line: CostLine) -> None:
    """Remove a line; the audit entry keeps it as it was stored."""
    fresh, stored = _lock_line(actor, line)
    _record(actor, fresh, "removed a cost line", before=line_in_words(stored), after="")
    actions.delete(stored, actor=actor, action="removed a cost line", audit=False)
