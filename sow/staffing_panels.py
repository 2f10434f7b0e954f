"""The Assignments section on a person's directory page (people cannot import sow)."""

from __future__ import annotations

from core.panels import Panel
from core.types import AnyUser
from people.models import Person
from sow import staffing_selectors


def person_panel(user: AnyUser, person: Person) -> Panel | None:
    if not (user.has_perm("staffing.view_assignment") or user.has_perm("staffing.manage_staffing")):
        return None
    assignments, hidden = staffing_selectors.person_assignments(user, person)
    return Panel("sow/_person_assignments.html", {"assignments": assignments, "hidden": hidden}, order=10)
