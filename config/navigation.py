from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from core.fiscal import FiscalQuarter


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Menu entries the user may use (by permission) and the fiscal quarter for the footer.

    Lives in config because it reads every app; apps never import it.
    """
    user = getattr(request, "user", None)
    quarter = FiscalQuarter.current()
    nav: list[dict[str, str]] = []
    if user is not None and user.is_authenticated:
        from django.urls import reverse

        from engagements.selectors import available_scopes

        base = reverse("engagements:pipeline")
        for key, label in available_scopes(user):
            nav.append({"key": f"pipeline:{key}", "label": label, "url": f"{base}?scope={key}"})
    return {
        "nav_items": nav,
        "current_fiscal_quarter": quarter,
        "show_admin_link": bool(user is not None and user.is_authenticated and user.is_staff),
    }
