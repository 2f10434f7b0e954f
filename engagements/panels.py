"""Sections that higher apps add to the opportunity page without engagements importing them.

An app registers a provider in its AppConfig.ready(); the detail view calls each provider and
the template includes the returned template with the returned context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.types import AnyUser
from engagements.models import Opportunity


@dataclass
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


PanelProvider = Callable[[AnyUser, Opportunity], Panel | None]
_providers: list[PanelProvider] = []


def register(provider: PanelProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def panels_for(user: AnyUser, opportunity: Opportunity) -> list[Panel]:
    panels = [panel for provider in _providers if (panel := provider(user, opportunity)) is not None]
    return sorted(panels, key=lambda p: p.order)
