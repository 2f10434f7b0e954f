from django import template
from django.utils.safestring import SafeString

from sow.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


@register.filter
def percent(value: object) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} %"
