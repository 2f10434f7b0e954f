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
        return f"{line.description}: {who}, {line.hours:,.2f} h at {line.cost_rate:,.2f}"
    return f"{line.description}: {line.get_kind_display().lower()}, {line.amount:,.2f}"


def prefill_costs(cost_estimate: CostEstimate, estimate: Estimate) -> None:
    """COGS from the estimate's hours at the rate card's current cost rates (copied onto lines)."""
    rates = {
        r.name: r.cost_rate for r in DeliveryRole.objects.filter(currency=estimate.currency, active=True)
    }
    packaged_role = settings.SOW_PACKAGED_DELIVERY_ROLE
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


def copy_costs(source: SowVersion, cost_estimate: CostEstimate) -> None:
    """The source version's cost lines, as they were, onto a new version's cost estimate."""
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
            for line in CostLine.objects.filter(cost_estimate__sow_version=source)
        ]
    )


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
    fresh, cost_estimate = _lock_for_costs(actor, version)
    description = _description(description)
    position = (cost_estimate.lines.aggregate(m=Max("position"))["m"] or 0) + 1
    line = CostLine(cost_estimate=cost_estimate, kind=kind, description=description, position=position)
    if kind == CostLine.Kind.ROLE:
        role = DeliveryRole.objects.filter(name=role_name, currency=fresh.currency, active=True).first()
        if role is None:
            raise ValidationError(
                {
                    "role_name": ValidationError(
                        f"No {fresh.currency} cost rate for that role on the rate card.", code="no_rate"
                    )
                }
            )
        line.role_name, line.cost_rate, line.hours = role.name, role.cost_rate, _positive_hours(hours)
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
        line.person, line.cost_rate, line.hours = person, person.cost_rate, _positive_hours(hours)
        line.role_name = person.get_role_display()
    elif kind in (CostLine.Kind.PARTNER, CostLine.Kind.TRAVEL):
        line.amount = scoping_services.check_money(amount, field="amount")
        if line.amount <= 0:
            raise ValidationError({"amount": ValidationError("Enter an amount above zero.", code="range")})
    else:
        raise ValidationError({"kind": ValidationError("Choose a kind of cost.", code="invalid_choice")})
    actions.save(line, actor=actor, action="added a cost line", audit=False)
    _record(actor, fresh, "added a cost line", before="", after=line_in_words(line))
    return line


def _lock_line(actor: User, line: CostLine) -> tuple[SowVersion, CostLine]:
    fresh, _ = _lock_for_costs(actor, line.cost_estimate.sow_version)
    stored = CostLine.objects.select_related("person").filter(pk=line.pk, cost_estimate__sow_version=fresh)
    if (found := stored.first()) is None:
        raise ValidationError("That cost line was removed in the meantime; reload the page.", code="gone")
    return fresh, found


@transaction.atomic
def cost_line_update(
    *, actor: User, line: CostLine, description: str, hours: Any = None, amount: Any = None
) -> CostLine:
    """Change a line's description and its hours (role and person lines) or amount (the others)."""
    fresh, stored = _lock_line(actor, line)
    was = line_in_words(stored)
    stored.description = _description(description)
    if stored.kind in HOURLY:
        stored.hours = _positive_hours(hours)
    else:
        stored.amount = scoping_services.check_money(amount, field="amount")
    actions.save(stored, actor=actor, action="changed a cost line", audit=False)
    _record(actor, fresh, "changed a cost line", before=was, after=line_in_words(stored))
    return stored


@transaction.atomic
def cost_line_delete(*, actor: User, line: CostLine) -> None:
    """Remove a line; the audit entry keeps it as it was stored."""
    fresh, stored = _lock_line(actor, line)
    _record(actor, fresh, "removed a cost line", before=line_in_words(stored), after="")
    actions.delete(stored, actor=actor, action="removed a cost line", audit=False)
