"""Margin = (price − COGS) / price, against the target for the SOW's offering category."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from core.money import quantize_cents
from sow.models import CostLine, MarginTarget, SowVersion

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
