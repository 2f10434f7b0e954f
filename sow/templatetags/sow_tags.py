from decimal import Decimal
from typing import Any

from django import template
from django.utils.safestring import SafeString

from core.money import format_money
from core.templatetags import pipeline_tags
from sow.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


register.filter("percent", pipeline_tags.percent)


@register.filter
def signed_money(amount: Decimal | None, currency: str = "") -> str:
    """A change in money with its sign: "+USD 1,200.00", "−USD 300.00", "USD 0.00"."""
    if amount is None:
        return "—"
    text = format_money(abs(Decimal(amount)), currency)
    return f"+{text}" if amount > 0 else f"−{text}" if amount < 0 else text


@register.filter
def signed_number(value: Decimal | None) -> str:
    """Hours that change, with their sign: "+12.00", "−8.50"."""
    if value is None:
        return ""
    text = f"{abs(Decimal(value)):,.2f}"
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


@register.simple_tag
def approvals_closing(quarter: Any) -> list[Any]:
    """SOWs in approval whose deal closes in `quarter` (the dashboard's), longest waiting first."""
    from sow.selectors import approvals_closing_in

    return approvals_closing_in(quarter)
