"""The "Scoping issues" section on the opportunity page."""

from __future__ import annotations

from core.panels import Panel
from core.types import AnyUser
from engagements.models import Opportunity
from scoping import access
from scoping.models import ScopingIssue


def opportunity_panel(user: AnyUser, opportunity: Opportunity) -> Panel | None:
    if not access.can_use_scoping(user):
        return None
    issues = list(
        ScopingIssue.objects.filter(opportunity=opportunity).select_related("assignee").order_by("created_at")
    )
    return Panel(
        template="scoping/_opportunity_panel.html",
        context={
            "issues": issues,
            "opp": opportunity,
            "can_create": access.can_create_for(user, opportunity),
        },
        order=10,
    )
