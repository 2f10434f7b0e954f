"""Who may read the forecast and capacity pages, take a snapshot by hand and import plans. Each rule
is defined once here and asked by the pages, the admin, the menu and the services alike
(core/rules.py)."""

from __future__ import annotations

from core.rules import user_rule
from core.types import AnyUser


def _allowed(user: AnyUser, permission: str) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.has_perm(permission)))


@user_rule("The forecast dashboard is for leadership, PS Directors and EM Managers.")
def can_see_forecast(user: AnyUser) -> bool:
    """The dashboard, its drill-downs and exports, and EM calibration."""
    return _allowed(user, "forecasting.view_dashboard")


@user_rule("The capacity page is for PS Operations, managers and leadership.")
def can_see_capacity(user: AnyUser) -> bool:
    return _allowed(user, "forecasting.view_capacity")


@user_rule("Only administrators take forecast snapshots by hand.")
def can_take_snapshot(user: AnyUser) -> bool:
    """By hand, from the admin; the weekly run (beat, the management command) acts as the system."""
    return _allowed(user, "forecasting.add_forecastsnapshot")


@user_rule("Only plan owners import bookings plans.")
def can_import_plans(user: AnyUser) -> bool:
    return _allowed(user, "forecasting.add_bookingsplan")
