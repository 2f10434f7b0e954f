"""The "Salesforce sync" section on the opportunity page: the outbox row (engagements' pending push),
conflicts waiting for the EM, when Salesforce was last checked, and a deletion there."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist

from core.panels import Panel
from core.types import AnyUser
from engagements import selectors as engagements_selectors
from engagements.models import Opportunity
from salesforce import access, selectors


def field_labels(names: list[str]) -> list[str]:
    """The opportunity's field names as the page calls them ("EM confidence", not em_confidence)."""
    labels = []
    for name in names:
        try:
            field = Opportunity._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        label = str(getattr(field, "verbose_name", "") or name.replace("_", " "))
        labels.append(label[:1].upper() + label[1:])
    return labels


def opportunity_panel(user: AnyUser, opportunity: Opportunity) -> Panel:
    """Shown to everyone who may open the opportunity; the Keep mine / Take Salesforce's buttons
    only to those who may resolve its conflicts."""
    pending_push = engagements_selectors.pending_push_for(opportunity=opportunity)
    return Panel(
        template="salesforce/_opportunity_panel.html",
        context={
            "opp": opportunity,
            "pending_push": pending_push,
            "pending_push_labels": field_labels(list(pending_push.fields)) if pending_push else [],
            "sync_state": selectors.opportunity_sync_state(opportunity=opportunity),
            "can_resolve": access.can_resolve_sync_conflict(user, opportunity),
            "salesforce_changes": selectors.salesforce_changes(opportunity=opportunity),
        },
        order=1,
    )
