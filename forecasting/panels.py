"""The SOW state next to an opportunity (its page and the pipeline's rows), with what disagrees
with Salesforce (forecasting.mismatches)."""

from __future__ import annotations

from typing import Any

from core.panels import Panel
from core.types import AnyUser
from engagements.models import Opportunity
from forecasting import hygiene, mismatches


def opportunity_panel(user: AnyUser, opportunity: Opportunity) -> Panel | None:
    """On the opportunity page (the page has checked who may see the opportunity)."""
    state = mismatches.sow_states([opportunity])[opportunity.pk]
    return Panel("forecasting/_sow_state_panel.html", {"state": state, "opp": opportunity}, order=15)


def pipeline_rows(user: AnyUser, rows: list[Any]) -> dict[Any, Panel]:
    """The SOW cell of each pipeline row: one query for the page's rows, one for the rates."""
    states = mismatches.sow_states(rows)
    return {pk: Panel("forecasting/_sow_state_cell.html", {"state": state}) for pk, state in states.items()}


def hygiene_panel(user: AnyUser, opportunity: Opportunity) -> Panel | None:
    """Salesforce's forecast category beside the EM's colour, with the deal's hygiene flags."""
    return Panel(
        "forecasting/_hygiene_panel.html",
        {"hygiene": hygiene.for_opportunity(opportunity), "labels": hygiene.FLAGS},
        order=12,
    )


def hygiene_rows(user: AnyUser, rows: list[Any]) -> dict[Any, Panel]:
    """Hygiene badges for a page of pipeline rows (one query); rows without a flag get none."""
    flags = hygiene.flags_for_ids(row.pk for row in rows)
    return {
        pk: Panel(
            "forecasting/_hygiene_badges.html",
            {"flags": found, "short": hygiene.SHORT, "labels": hygiene.FLAGS},
        )
        for pk, found in flags.items()
        if found
    }
