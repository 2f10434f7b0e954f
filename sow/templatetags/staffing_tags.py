"""The Staffing section of the SOW version page, included from templates/sow/_staffing_section.html."""

from __future__ import annotations

from typing import Any

from django import template

from sow import staffing_selectors
from sow.models import SowVersion

register = template.Library()


@register.inclusion_tag("sow/_staffing.html", takes_context=True)
def staffing_section(context: template.Context, version: SowVersion) -> dict[str, Any]:
    """Read once per page (a fixed number of queries), not in a loop."""
    user = context["request"].user
    return {"section": staffing_selectors.staffing_section(user, version.sow), "request": context["request"]}
