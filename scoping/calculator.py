"""The services calculator's arithmetic. Exact Decimal throughout; the total is rounded once,
half-up, to cents. Works on anything shaped like an EstimateLine (saved or not). Values are read
with core.validators.parse_decimal, so text in other scripts' digits or exponents never counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from core.money import quantize_cents
from core.validators import parse_decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")


class LineLike(Protocol):
    kind: str
    role_name: str
    quantity: int
    unit_price: Decimal
    hours: Decimal
    bill_rate: Decimal


@dataclass
class RoleTotal:
    role_name: str
    hours: Decimal = ZERO
    price: Decimal = ZERO


@dataclass
class Totals:
    labour: Decimal = ZERO  # activity lines: hours × bill rate
    contingency: Decimal = ZERO  # labour × contingency %
    packaged: Decimal = ZERO  # SKU lines: quantity × unit price
    other: Decimal = ZERO  # free lines: quantity × unit price
    expenses: Decimal = ZERO
    discount: Decimal = ZERO
    hours: Decimal = ZERO  # the estimate's hours: activity hours + packaged SKUs' included hours
    by_role: list[RoleTotal] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        """Everything before the discount (exact)."""
        return self.labour + self.contingency + self.packaged + self.other + self.expenses

    @property
    def total(self) -> Decimal:
        return quantize_cents(self.subtotal - self.discount)


def line_amount(line: LineLike) -> Decimal:
    if line.kind == "activity":
        return parse_decimal(line.hours) * parse_decimal(line.bill_rate)
    return parse_decimal(line.quantity) * parse_decimal(line.unit_price)


def compute(
    lines: Iterable[LineLike], *, contingency_percent: Decimal, expenses: Decimal, discount: Decimal
) -> Totals:
    totals = Totals(expenses=parse_decimal(expenses), discount=parse_decimal(discount))
    roles: dict[str, RoleTotal] = {}
    for line in lines:
        amount = line_amount(line)
        if line.kind == "activity":
            totals.labour += amount
            totals.hours += parse_decimal(line.hours)
            role = roles.setdefault(line.role_name, RoleTotal(line.role_name))
            role.hours += parse_decimal(line.hours)
            role.price += amount
        elif line.kind == "sku":
            totals.packaged += amount
            # A packaged SKU's included hours are delivery hours like an activity's.
            totals.hours += parse_decimal(line.hours)
        else:
            totals.other += amount
    totals.contingency = totals.labour * parse_decimal(contingency_percent) / HUNDRED
    totals.by_role = sorted(roles.values(), key=lambda r: r.role_name)
    return totals
