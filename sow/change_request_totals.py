"""A change request's figures: its price and COGS deltas, and the contract's margin once it counts.
Kept apart from the change request services so the approval ladder can read them without importing
the services (which import the ladder)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sow import margin
from sow.margin import Margin
from sow.models import CONTRACT_STATUSES, ChangeRequest, ChangeRequestLine, CostLine, SowVersion

ZERO = Decimal("0")


@dataclass(frozen=True)
class ChangeRequestTotals:
    """A change request's price and COGS deltas, and the SOW's margin once it counts."""

    price_delta: Decimal
    cost_delta: Decimal
    contract_price: Decimal  # the contract value with this change request (and every approved one)
    contract_cogs: Decimal
    target_percent: Decimal

    @property
    def margin(self) -> Margin:
        """The change request's own margin: (price delta − COGS delta) / price delta."""
        return margin.compute(
            price=self.price_delta, cogs=self.cost_delta, target_percent=self.target_percent
        )

    @property
    def new_margin(self) -> Margin:
        """The whole contract's margin with this change request, against the SOW's target."""
        return margin.compute(
            price=self.contract_price, cogs=self.contract_cogs, target_percent=self.target_percent
        )


def sum_lines(lines: list[ChangeRequestLine]) -> tuple[Decimal, Decimal]:
    return sum((x.price_delta for x in lines), ZERO), sum((x.cost_delta for x in lines), ZERO)


def _version_cogs(version: SowVersion) -> Decimal:
    return sum((line.cost for line in CostLine.objects.filter(cost_estimate__sow_version=version)), ZERO)


def change_request_totals(
    change_request: ChangeRequest, lines: list[ChangeRequestLine] | None = None
) -> ChangeRequestTotals:
    """Price and COGS deltas from the lines; the contract's price and COGS from the signed version,
    every other change request that counts (approved, sent, signed) and this one."""
    if lines is None:
        lines = list(change_request.lines.all())
    price, cost = sum_lines(lines)
    version = change_request.sow_version
    others = ChangeRequestLine.objects.filter(
        change_request__sow_id=change_request.sow_id, change_request__status__in=CONTRACT_STATUSES
    ).exclude(change_request_id=change_request.pk)
    other_price, other_cost = sum_lines(list(others))
    return ChangeRequestTotals(
        price_delta=price,
        cost_delta=cost,
        contract_price=version.total + other_price + price,
        contract_cogs=_version_cogs(version) + other_cost + cost,
        target_percent=margin.target_for(version.category),
    )
