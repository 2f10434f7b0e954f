"""Who may submit and read forecast calls. Each rule is defined once here and asked by the pages,
the menu and the services alike (core/rules.py)."""

from __future__ import annotations

from core.rules import rule, user_rule
from core.types import AnyUser
from forecasting.access import can_see_forecast
from people.models import Person


def person_of(user: AnyUser) -> Person | None:
    """The active Person record of a login (None without one). Cached on the user for the request."""
    if not user.is_authenticated:
        return None
    cached: Person | None
    if hasattr(user, "_call_person"):
        cached = user._call_person
    else:
        cached = Person.objects.filter(user_id=user.pk, active=True).first()
        setattr(user, "_call_person", cached)  # noqa: B010 (a per-request cache on the login)
    return cached


def may_call(user: AnyUser) -> bool:
    """By permission alone (for the menu): the roles that forecast."""
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm("calls.add_forecastcall")))


@user_rule("Forecast calls are made by Engagement Managers, their managers and leaders with a person record.")
def can_make_calls(user: AnyUser) -> bool:
    return may_call(user) and person_of(user) is not None


@rule("Only the person themselves submits their call; a manager adjusts only their own team call.")
def can_submit_call(user: AnyUser, person: Person) -> bool:
    own = person_of(user) if may_call(user) else None
    return own is not None and own.pk == person.pk


@rule("Team calls are for the team's manager and for forecast readers.")
def can_view_team(user: AnyUser, person: Person) -> bool:
    own = person_of(user)
    return (own is not None and own.pk == person.pk and person.reports.exists()) or can_see_forecast(user)


can_see_calls = can_see_forecast
