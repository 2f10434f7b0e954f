from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from calls.access import may_call
from core.access import can_read_audit_trail
from core.fiscal import FiscalQuarter
from engagements.access import can_see_workload
from engagements.selectors import available_scopes
from forecasting.access import can_see_capacity, can_see_forecast
from sow.access import can_decide_sows
from sow.selectors import queue_summary


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Menu entries the user may use (by permission) and the fiscal quarter for the footer.

    Lives in config because it reads every app; apps never import it.
    """
    user = getattr(request, "user", None)
    quarter = FiscalQuarter.current()
    nav: list[dict[str, str]] = []
    if user is not None and user.is_authenticated:
        base = reverse("engagements:pipeline")
        for key, label in available_scopes(user):
            nav.append({"key": f"pipeline:{key}", "label": label, "url": f"{base}?scope={key}"})
        if can_read_audit_trail(user):
            nav.append({"key": "audit", "label": "Audit", "url": reverse("audit")})
        if can_see_workload(user):
            nav.append(
                {"key": "pipeline:workload", "label": "EM workload", "url": reverse("engagements:workload")}
            )
        if can_see_capacity(user):
            nav.append(
                {"key": "forecasting:capacity", "label": "Capacity", "url": reverse("forecasting:capacity")}
            )
        if can_see_forecast(user):
            nav.append(
                {"key": "forecasting:dashboard", "label": "Forecast", "url": reverse("forecasting:dashboard")}
            )
        if may_call(user):
            nav.append({"key": "calls:mine", "label": "My call", "url": reverse("calls:mine")})
        if can_see_forecast(user):
            nav.append({"key": "calls:org", "label": "Calls", "url": reverse("calls:org")})
        if user.has_perm("scoping.view_scopingissue"):
            nav.append({"key": "scoping:board", "label": "Scoping board", "url": reverse("scoping:board")})
            nav.append({"key": "scoping:list", "label": "Scoping issues", "url": reverse("scoping:list")})
        if user.has_perm("people.view_directory"):
            nav.append({"key": "people:list", "label": "People", "url": reverse("people:list")})
        if user.has_perm("staffing.manage_staffing"):
            nav.append({"key": "staffing:list", "label": "Staffing", "url": reverse("staffing:list")})
        if user.has_perm("sow.view_sow"):
            nav.append({"key": "sow:list", "label": "SOWs", "url": reverse("sow:list")})
        if can_decide_sows(user):
            # One query however many wait: the count and the oldest submission.
            queue = queue_summary()
            item = {
                "key": "sow:queue",
                "label": "Approval queue",
                "url": reverse("admin:sow_approvalqueueitem_changelist"),
                "badge": str(queue.waiting),
            }
            if queue.waiting:
                age = queue.oldest_age(timezone.now())
                item["detail"] = f"oldest {age}"
                item["title"] = f"{queue.waiting} SOW(s) waiting for approval; the oldest for {age}"
            else:
                item["title"] = "No SOW is waiting for approval"
            nav.append(item)
        if user.is_superuser or user.has_perm("scoping.review_scopingissue"):
            nav.append({"key": "scoping:ta_queue", "label": "TA queue", "url": reverse("scoping:ta_queue")})
    return {
        "nav_items": nav,
        "current_fiscal_quarter": quarter,
        "show_admin_link": bool(user is not None and user.is_authenticated and user.is_staff),
    }
