"""The landing page: each role starts where its work is."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from core.types import HtmxHttpRequest
from engagements.views import home as pipeline_home


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """Leadership and directors (no pipeline of their own to update) land on the forecast."""
    user = request.user
    if user.has_perm("forecasting.view_dashboard") and not user.has_perm("engagements.change_em_fields"):
        return redirect("forecasting:dashboard")
    return pipeline_home(request)
