from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html

from core.money import (
    format_money,
    format_money_compact,
    format_number,
    format_signed_money,
    quantize_percent,
)

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


# Numbers for people, in one place: every page formats amounts and counts through these.


@register.filter
def money_compact(amount: Decimal | None, currency: str = "") -> str:
    """ "USD 2.57 M" for headline figures (use `figure` to carry the exact value in a tooltip)."""
    return format_money_compact(amount, currency)


@register.simple_tag
def figure(amount: Decimal | None, currency: str = "") -> str:
    """A headline figure: compact with its currency inline, the exact amount in the tooltip."""
    return format_html(
        '<span class="figure" title="{}" data-exact="{}">{}</span>',
        format_money(amount, currency),
        "" if amount is None else str(amount),
        format_money_compact(amount, currency),
    )


@register.filter
def number(value: Decimal | int | None, places: int | None = None) -> str:
    """ "50,000.00", "1,234": thousands separators everywhere a number stands alone."""
    return format_number(value, places)


@register.filter
def signed_money(amount: Decimal | None, currency: str = "") -> str:
    """ "+197,812.00" added to a total, "−197,812.00" taken from it: the one sign convention of
    the change table and the waterfall."""
    return format_signed_money(amount, currency)


@register.filter
def unsigned_money(amount: Decimal | None, currency: str = "") -> str:
    """The size of an amount without its sign, for tables whose row label says the direction."""
    return format_money(None if amount is None else abs(Decimal(amount)), currency)


@register.filter
def counted(count: int | None, nouns: str) -> str:
    """ "1 opportunity", "3 opportunities": `nouns` is "singular,plural"."""
    singular, _, plural = nouns.partition(",")
    n = count or 0
    return f"{format_number(n)} {singular if n == 1 else (plural or singular + 's')}"
