"""SOW sections on the opportunity and scoping issue pages."""

from __future__ import annotations

from core.panels import Panel
from core.types import AnyUser
from engagements.models import Opportunity
from scoping.models import ScopingIssue
from sow import access, selectors
from sow.models import Sow, SowVersion


def _latest_versions(sows: list[Sow]) -> list[tuple[Sow, SowVersion]]:
    rows = []
    for sow in sows:
        latest = next(iter(sow.versions.all()), None)
        if latest is not None:
            rows.append((sow, latest))
    selectors.margins_for([latest for _, latest in rows])
    return rows


def opportunity_panel(user: AnyUser, opportunity: Opportunity) -> Panel | None:
    if not access.can_use_sows(user):
        return None
    sows = list(selectors.sows_for_user(user).filter(opportunity=opportunity))
    return Panel("sow/_panel.html", {"rows": _latest_versions(sows), "issue": None}, order=20)


def scoping_issue_panel(user: AnyUser, issue: ScopingIssue) -> Panel | None:
    if not access.can_use_sows(user):
        return None
    sows = list(selectors.sows_for_user(user).filter(scoping_issue=issue))
    can_create = access.can_create(user, issue)
    return Panel(
        "sow/_panel.html",
        {"rows": _latest_versions(sows), "issue": issue, "can_create": can_create and not sows},
        order=5,
    )
