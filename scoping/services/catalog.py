"""The Practice Manager's catalog and rate card: what a rate-card role and an offering's default
activity must hold before they are saved, so a wrong entry is refused where it is made instead of
failing later in an estimate or a SOW's margin."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from scoping.models import DeliveryRole


def check_rates(*, bill_rate: Decimal | None, cost_rate: Decimal | None) -> None:
    """A rate-card role never bills below what it costs."""
    if bill_rate is None or cost_rate is None:
        return
    if bill_rate < cost_rate:
        raise ValidationError(
            {
                "bill_rate": ValidationError(
                    f"The bill rate ({bill_rate:,.2f}) is below the cost rate ({cost_rate:,.2f}): "
                    "every hour would lose money.",
                    code="below_cost",
                )
            }
        )


def rate_card_role_names() -> list[str]:
    """The names of the active rate-card roles (in any currency), alphabetically."""
    return list(
        DeliveryRole.objects.filter(active=True).order_by("name").values_list("name", flat=True).distinct()
    )


def check_activity_role(role_name: str) -> str:
    """An offering's default activity names a role that is on the rate card (active, any currency),
    since estimates price its hours from there."""
    name = (role_name or "").strip()
    if not DeliveryRole.objects.filter(name=name, active=True).exists():
        raise ValidationError(
            {
                "role_name": ValidationError(
                    f"“{name or '—'}” is not an active role on the rate card; "
                    "choose one, or add it to the rate card first.",
                    code="not_on_rate_card",
                )
            }
        )
    return name
