"""The SOW state next to an opportunity (its page and the pipeline's rows), with what disagrees
with Salesforce (forecasting.mismatches)."""

from __future__ import annotations

from typing import Any

from core.panels import Panel
from core.types import AnyUser
from engagements.models import Opportunity
from forecasting import mismatches


def opportunity_panel(user: AnyUser, opportunity: Opportunity) -> Panel | None:
    """On the opportunity page (the page has checked who may see the opportunity)."""
    state = mismatches.sow_states([opportunity])[opportunity.pk]
    return Panel("forecasting/_sow_state_panel.html", {"state": state, "opp": opportunity}, order=15)


def pipeline_rows(user: AnyUser, rows: list[Any]) -> dict[Any, Panel]:
    """The SOW cell of each pipeline row: one query for the page's rows, one for the rates."""
    states = mismatches.sow_states(rows)
    return {pk: Panel("forecasting/_sow_state_cell.html", {"state": state}) for pk, state in states.items()}
