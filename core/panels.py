"""Sections that higher apps add to a lower app's page without the lower app importing them.

A page names a slot ("opportunity", "scoping_issue"); an app registers a provider for that slot
in its AppConfig.ready(); the view calls `panels_for(slot, user, obj)` and the template includes
each returned template with the returned context as `panel`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.types import AnyUser


@dataclass
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


PanelProvider = Callable[[AnyUser, Any], Panel | None]
_providers: dict[str, list[PanelProvider]] = {}


def register(slot: str, provider: PanelProvider) -> None:
    providers = _providers.setdefault(slot, [])
    if provider not in providers:
        providers.append(provider)


def panels_for(slot: str, user: AnyUser, obj: Any) -> list[Panel]:
    panels = [panel for provider in _providers.get(slot, []) if (panel := provider(user, obj)) is not None]
    return sorted(panels, key=lambda p: p.order)


# Rows of a lower app's list (the pipeline's opportunities) can carry cells a higher app fills: a
# rows provider gets the whole page of rows at once (so it reads what it needs in one query, not one
# per row) and returns a panel per row it has something for, keyed by the row's pk.
RowsProvider = Callable[[AnyUser, list[Any]], dict[Any, Panel]]
_row_providers: dict[str, list[RowsProvider]] = {}


def register_rows(slot: str, provider: RowsProvider) -> None:
    providers = _row_providers.setdefault(slot, [])
    if provider not in providers:
        providers.append(provider)


def attach_row_panels(slot: str, user: AnyUser, rows: list[Any]) -> None:
    """Set `row_panels` on each row: the panels the slot's providers give it, in order."""
    found: dict[Any, list[Panel]] = {}
    for provider in _row_providers.get(slot, []):
        for pk, panel in provider(user, rows).items():
            found.setdefault(pk, []).append(panel)
    for row in rows:
        row.row_panels = sorted(found.get(row.pk, []), key=lambda p: p.order)
