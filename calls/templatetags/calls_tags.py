"""The forecast dashboard's calls section, read from the figures the dashboard already holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from calls import selectors
from calls.views import table_context
from core.fiscal import FiscalQuarter
from forecasting.figures import Dashboard

register = template.Library()


@register.simple_tag
def dashboard_calls(board: Dashboard, quarter: FiscalQuarter, week: dt.date | None) -> dict[str, Any]:
    """The week's roll-up for the dashboard (live: this week's calls; a past week: that week's), in
    two queries (the hierarchy and the calls): system numbers and plans come from `board`."""
    call_week = week if week is not None else selectors.current_week()
    systems, plans = selectors.from_dashboard(board)
    rollup = selectors.rollup(quarter, call_week, systems=systems, plans=plans)
    context = table_context(rollup, rollup.lines)
    context["live"] = week is None
    context["any_call"] = rollup.submitted_count > 0
    return context
