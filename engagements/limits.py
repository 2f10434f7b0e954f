"""Length limits on the EM's text fields set by the system they are sent to. The salesforce app
registers a provider (the lengths its describe of Opportunity found); engagements only asks, so
the form and the service refuse text Salesforce would not accept, with the limit in the message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class TextLimit:
    length: int
    source: str  # who sets it, for the message: "Salesforce"
    field_label: str  # e.g. "EM_Confidence_Rationale__c"


LimitProvider = Callable[[], dict[str, TextLimit]]
_providers: dict[str, LimitProvider] = {}


def register_em_field_limits(name: str, provider: LimitProvider) -> None:
    """Register (or replace) a provider of limits by EM field name."""
    _providers[name] = provider


def em_field_limits() -> dict[str, TextLimit]:
    """The tightest registered limit per EM field."""
    limits: dict[str, TextLimit] = {}
    for provider in _providers.values():
        for field, limit in provider().items():
            if field not in limits or limit.length < limits[field].length:
                limits[field] = limit
    return limits


def check_em_text_length(
    field: str, value: str, *, limits: dict[str, TextLimit] | None = None, label: str
) -> ValidationError | None:
    """The error for text longer than a registered limit on `field`, else None."""
    limit = (em_field_limits() if limits is None else limits).get(field)
    if limit is None or len(value) <= limit.length:
        return None
    return ValidationError(
        f"{limit.source} accepts at most {limit.length:,} characters for the {label} "
        f"({limit.field_label}); this one has {len(value):,}. Shorten it to {limit.length:,}.",
        code="external_max_length",
    )
