from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from core.money import format_money, quantize_percent

register = template.Library()

_CONFIDENCE_CLASSES = {
    "Green": "text-bg-success",
    "Amber": "text-bg-warning",
    "Red": "text-bg-danger",
    "Grey": "text-bg-secondary",
}


@register.filter
def confidence_class(value: str) -> str:
    return _CONFIDENCE_CLASSES.get(value, "text-bg-light")


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    return format_money(amount, currency)


@register.simple_tag
def sort_link(current: str, key: str, query: str) -> str:
    """The query string that sorts by key, toggling direction when it is already the sort."""
    direction = "-" if current == key else ""
    prefix = f"{query}&" if query else ""
    return f"?{prefix}sort={direction}{key}"


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.filter
def percent(value: Decimal | None) -> str:
    """ "42.5 %" (one decimal, half-up), or a dash when there is nothing to divide."""
    if value is None:
        return "—"
    return f"{quantize_percent(Decimal(value))} %"


@register.filter
def ratio(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):.2f}×"
