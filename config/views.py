"""The landing page (each role starts where its work is), the health endpoint and the admin's
System status page."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from config.health import health_report, may_see_details, recent_report
from core.types import HtmxHttpRequest
from engagements.views import home as pipeline_home
from sow.access import can_decide_sows


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """PS Directors land on their approval queue; leadership (no pipeline of their own to update)
    on the forecast; everyone else on their pipeline."""
    user = request.user
    if can_decide_sows(user) and not user.is_superuser:
        return redirect("admin:sow_approvalqueueitem_changelist")
    if user.has_perm("forecasting.view_dashboard") and not user.has_perm("engagements.change_em_fields"):
        return redirect("forecasting:dashboard")
    return pipeline_home(request)


@login_not_required
@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """Health for load balancers and the compose health check: 200 ok/degraded, 503 when down.
    Anyone sees the overall status; staff users and HEALTH_TOKEN holders also see each check."""
    report = recent_report.get()
    if may_see_details(user=request.user, token=_presented_token(request)):
        return JsonResponse(report.as_dict(), status=report.http_status)
    return JsonResponse({"status": report.status}, status=report.http_status)


def _presented_token(request: HttpRequest) -> str | None:
    """``Authorization: Bearer <token>`` (kept out of access logs), else ``?token=``."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.GET.get("token") or None


@staff_member_required
@never_cache
@require_GET
def admin_status(request: HttpRequest) -> HttpResponse:
    """System status in the admin: the health checks with links to where each is looked after."""
    context = {**admin.site.each_context(request), "title": "System status", "report": health_report()}
    return TemplateResponse(request, "admin/system_status.html", context)
