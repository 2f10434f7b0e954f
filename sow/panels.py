"""SOW sections on the opportunity and scoping issue pages."""

from __future__ import annotations

from core.panels import Panel
from core.types import AnyUser
from engagements.models import Opportunity
from scoping.models import ScopingIssue
from sow import access, selectors


def opportunity_panel(user: AnyUser, opportunity: Opportunity) -> Panel | None:
    if not access.can_use_sows(user):
        return None
    rows = selectors.margins_for(
        list(selectors.latest_versions(selectors.sows_for_user(user).filter(opportunity=opportunity)))
    )
    return Panel("sow/_panel.html", {"rows": rows, "issue": None}, order=20)


def scoping_issue_panel(user: AnyUser, issue: ScopingIssue) -> Panel | None:
    if not access.can_use_sows(user):
        return None
    rows = selectors.margins_for(
        list(selectors.latest_versions(selectors.sows_for_user(user).filter(scoping_issue=issue)))
    )
    return Panel(
        "sow/_panel.html",
        {"rows": rows, "issue": issue, "can_create": access.can_create(user, issue) and not rows},
        order=5,
    )
