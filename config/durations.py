"""Durations as people say them ("15 minutes", "1 hour", "90 minutes"), for the lockout page.

A template library (``{% load durations %}``), registered in TEMPLATES' ``libraries``.
"""

from __future__ import annotations

import datetime as dt
import math

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration(delta: dt.timedelta) -> str:
    """The largest whole unit that says ``delta`` exactly (days, hours, else minutes), rounded up to
    a minute; under a minute, seconds."""
    seconds = max(0, math.ceil(delta.total_seconds()))
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
