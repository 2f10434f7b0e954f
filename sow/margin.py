"""Margin = (price − COGS) / price, against the target for the SOW's offering category."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from core.money import quantize_cents
from scoping import calculator
from sow.models import CostLine, LineKind, MarginTarget, SowVersion

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Margin:
    price: Decimal
    cogs: Decimal
    target_percent: Decimal

    @property
    def amount(self) -> Decimal:
        return self.price - self.cogs

    @property
    def percent(self) -> Decimal | None:
        """Exact margin in percent, or None when there is no price to divide by."""
        if self.price == 0:
            return None
        return (self.price - self.cogs) / self.price * HUNDRED

    @property
    def below_target(self) -> bool:
        percent = self.percent
        return percent is None or percent < self.target_percent

    @property
    def cogs_display(self) -> Decimal:
        return quantize_cents(self.cogs)


def default_target_percent() -> Decimal:
    return Decimal(str(settings.SOW_DEFAULT_MARGIN_TARGET))


def target_for(category: str, targets: dict[str, Decimal] | None = None) -> Decimal:
    """The category's target (admin-maintained), else the global default from settings."""
    if targets is None:
        targets = dict(MarginTarget.objects.values_list("category", "target_percent"))
    return targets.get(category, default_target_percent())


def compute(*, price: Decimal, cogs: Decimal, target_percent: Decimal) -> Margin:
    return Margin(price=Decimal(price), cogs=Decimal(cogs), target_percent=Decimal(target_percent))


def version_margin(version: SowVersion) -> Margin:
    cogs = sum(
        (line.cost for line in CostLine.objects.filter(cost_estimate__sow_version=version)), Decimal("0")
    )
    return compute(price=version.total, cogs=cogs, target_percent=target_for(version.category))


@dataclass(frozen=True)
class KindMargin:
    """Price, cost and gross profit of one kind of line (labour, packaged, pass-through, travel)."""

    kind: str
    label: str
    price: Decimal
    cost: Decimal
    target_percent: Decimal

    @property
    def gross_profit(self) -> Decimal:
        return self.price - self.cost

    @property
    def percent(self) -> Decimal | None:
        if self.price <= 0:
            return None
        return (self.price - self.cost) / self.price * HUNDRED

    @property
    def below_target(self) -> bool:
        percent = self.percent
        return percent is not None and percent < self.target_percent


def kind_margins(version: SowVersion, lines: list[CostLine] | None = None) -> list[KindMargin]:
    """The version's price by kind from its estimate (labour with its contingency, packaged SKUs,
    pass-through lines, billed travel & expenses, the discount) against the cost lines of each kind;
    kinds with neither price nor cost are left out. The rows add up to the price and the COGS."""
    estimate = version.estimate
    priced = list(estimate.lines.all())
    totals = calculator.compute(
        priced,
        contingency_percent=estimate.contingency_percent,
        expenses=estimate.expenses,
        discount=estimate.discount,
    )
    price = {kind: Decimal("0") for kind in LineKind.values}
    price[LineKind.LABOUR] = totals.labour + totals.contingency
    price[LineKind.PACKAGED] = totals.packaged
    price[LineKind.PASS_THROUGH] = totals.other
    price[LineKind.EXPENSES] = totals.expenses
    price[LineKind.DISCOUNT] = -totals.discount
    if lines is None:
        lines = list(
            CostLine.objects.filter(cost_estimate__sow_version=version).select_related("estimate_line")
        )
    cost = {kind: Decimal("0") for kind in LineKind.values}
    for line in lines:
        cost[line.line_kind] += line.cost
    target = target_for(version.category)
    labels = dict(LineKind.choices)
    return [
        KindMargin(kind, labels[kind], price[kind], cost[kind], target)
        for kind in LineKind.values
        if price[kind] != 0 or cost[kind] != 0
    ]
