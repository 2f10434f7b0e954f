"""The Staffing sections staffing adds to lower apps' pages (core/panels): the SOW version page and a
person's directory page."""

from __future__ import annotations

from core.panels import Panel
from core.types import AnyUser
from people.models import Person
from sow.models import SowVersion
from staffing import access, selectors


def sow_version_panel(user: AnyUser, version: SowVersion) -> Panel | None:
    """The SOW's staffing requirements and who is on them (a fixed number of queries)."""
    if not access.can_view(user, version.sow):
        return None
    return Panel(
        "staffing/_sow_panel.html", {"section": selectors.staffing_section(user, version.sow)}, order=10
    )


def person_panel(user: AnyUser, person: Person) -> Panel | None:
    if not access.can_see_assignments(user):
        return None
    assignments, hidden = selectors.person_assignments(user, person)
    return Panel("staffing/_person_panel.html", {"assignments": assignments, "hidden": hidden}, order=10)
