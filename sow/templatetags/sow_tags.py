from django import template
from django.utils.safestring import SafeString

from core.templatetags import pipeline_tags
from sow.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


register.filter("percent", pipeline_tags.percent)
