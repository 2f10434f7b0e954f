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
