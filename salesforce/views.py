"""Thin views: resolving a sync conflict from the opportunity page, Sync now and Check the org."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.exceptions import Conflict
from core.redirects import safe_next_url
from core.types import HtmxHttpRequest
from salesforce import access, conflicts, selectors, services
from salesforce.forms import ConflictResolveForm


@require_POST
def conflict_resolve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    conflict = selectors.conflict_for_user(user=request.user, pk=pk)
    opportunity = conflict.opportunity
    access.can_resolve_sync_conflict.require(request.user, opportunity)
    form = ConflictResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to keep your value or take Salesforce's.")
        return redirect(opportunity)
    try:
        resolved = conflicts.sync_conflict_resolve(
            actor=request.user, conflict=conflict, choice=form.cleaned_data["choice"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        if resolved.resolution == resolved.Resolution.KEEP_LOCAL:
            messages.success(
                request, f"Kept your {resolved.get_field_display()}; it goes to Salesforce on the next sync."
            )
        else:
            messages.success(request, f"Took Salesforce's {resolved.get_field_display()}.")
    return redirect(opportunity)


@require_POST
def sync_now(request: HtmxHttpRequest) -> HttpResponse:
    access.can_run_salesforce_sync.require(request.user)
    back = safe_next_url(request, reverse("admin:salesforce_syncrun_health"))
    try:
        services.salesforce_sync_request(actor=request.user, full=request.POST.get("full") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            "Salesforce sync queued: its progress shows below, and its run in the table when it ends.",
        )
    return HttpResponseRedirect(back)


@require_POST
def org_check(request: HtmxHttpRequest) -> HttpResponse:
    access.can_run_salesforce_sync.require(request.user)
    back = safe_next_url(request, reverse("admin:salesforce_syncrun_health"))
    try:
        services.salesforce_org_check_request(actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Checking the org's Opportunity fields; the result appears below.")
    return HttpResponseRedirect(back)
