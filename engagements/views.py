"""Thin views: check access, parse the form, call one service or selector, render or redirect."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import panels
from core.exceptions import Conflict
from core.redirects import safe_next_url
from core.service_errors import apply_to_form
from core.types import HtmxHttpRequest
from engagements import access, selectors, services
from engagements.filters import PipelineFilter
from engagements.forms import (
    AssignEmForm,
    EmFieldsForm,
    RiskEditForm,
    RiskForm,
    VersionForm,
)
from engagements.models import Opportunity
from people.selectors import engagement_managers, load_person_and_permissions


def _conflict_message(exc: Conflict) -> str:
    current = exc.current
    parts = [
        f"Confidence: {current.get('em_confidence') or '—'}",
        f"Rationale: {current.get('em_confidence_rationale') or '—'}",
        f"Scoping link: {current.get('scoping_issue_link') or '—'}",
    ]
    if current.get("engagement_manager"):
        parts.insert(0, f"EM: {current['engagement_manager']}")
    return f"{exc.message} Current values — " + "; ".join(parts) + "."


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    scope = selectors.default_scope(request.user)
    if scope is None:
        raise PermissionDenied("Your account has no role in PS Pipeline yet; ask an administrator.")
    return redirect(f"{reverse('engagements:pipeline')}?scope={scope}")


def _decorate_rows(request: HtmxHttpRequest, rows: list[Opportunity], scope: str) -> None:
    """Attach what each row's controls need, without a query per row."""
    candidates_by_region: dict[int | None, list[Any]] = {}
    suggestions: dict[int | None, selectors.EmLoad] = {}
    if scope == selectors.Scope.UNASSIGNED:
        loads = selectors.em_workload(user=request.user)
        for load in loads:
            candidates_by_region.setdefault(load.em.region_id, []).append(load)
        suggestions = selectors.suggested_ems(loads)
    for row in rows:
        row.can_edit = access.can_edit_em_fields(request.user, row)  # type: ignore[attr-defined]  # for the template
        row.can_assign = scope == selectors.Scope.UNASSIGNED and access.can_assign_em(  # type: ignore[attr-defined]  # for the template
            request.user, row
        )
        row.em_candidates = candidates_by_region.get(row.region_id, [])  # type: ignore[attr-defined]  # for the template
        suggestion = suggestions.get(row.region_id)
        row.suggested_em_id = suggestion.em.pk if suggestion else None  # type: ignore[attr-defined]  # for the template
    panels.attach_row_panels("pipeline", request.user, rows)


@require_GET
def pipeline(request: HtmxHttpRequest) -> HttpResponse:
    load_person_and_permissions(request.user)
    scopes = selectors.available_scopes(request.user)
    scope_keys = [key for key, _ in scopes]
    if not scope_keys:
        raise PermissionDenied("You have no pipeline to see.")
    scope = request.GET.get("scope") or selectors.default_scope(request.user) or scope_keys[0]
    if scope not in scope_keys:
        raise PermissionDenied("That view of the pipeline is not available to you.")

    base = selectors.pipeline_queryset(user=request.user, scope=scope)
    stages, regions = selectors.filter_options(base)
    filterset = PipelineFilter(request.GET, queryset=base, stages=stages, regions=regions)
    # Invalid filter values show their errors above an empty list rather than a wrong one.
    filtered = filterset.qs if filterset.is_valid() else base.none()

    totals = selectors.confidence_totals(filtered)
    total_count, total_amounts = selectors.grand_totals(totals)
    # The totals count every filtered row once, so the paginator need not count them again.
    paginator = Paginator(filtered, settings.PIPELINE_PAGE_SIZE)
    paginator.count = total_count
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _decorate_rows(request, rows, scope)

    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "scope": scope,
        "scopes": scopes,
        "filter": filterset,
        "page": page,
        "rows": rows,
        "totals": totals,
        "total_count": total_count,
        "total_amounts": total_amounts,
        "sort": filterset.sort_in_force,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "next_url": request.get_full_path(),
    }
    if request.htmx and request.GET.get("fragment") == "totals":
        return render(request, "engagements/_pipeline_totals.html", context)
    if request.htmx and request.htmx.target == "pipeline-results":
        return render(request, "engagements/_pipeline_results.html", context)
    return render(request, "engagements/pipeline.html", context)


def _is_row(request: HtmxHttpRequest) -> bool:
    return request.GET.get("context") == "row" or request.POST.get("context") == "row"


def _render_em_form(
    request: HtmxHttpRequest,
    opportunity: Opportunity,
    form: EmFieldsForm,
    *,
    status: int = 200,
    conflict: str = "",
) -> HttpResponse:
    """The inline row form for the pipeline list, or the whole detail page with the form."""
    if _is_row(request):
        return render(
            request,
            "engagements/_row_form.html",
            {"opp": opportunity, "form": form, "conflict": conflict},
            status=status,
        )
    context = _detail_context(request, opportunity, form=form, conflict=conflict)
    return render(request, "engagements/detail.html", context, status=status)


def _render_row(request: HtmxHttpRequest, opportunity: Opportunity) -> HttpResponse:
    opportunity = selectors.opportunity_for_user(user=request.user, pk=opportunity.pk)
    opportunity.can_edit = access.can_edit_em_fields(request.user, opportunity)  # type: ignore[attr-defined]  # for the template
    panels.attach_row_panels("pipeline", request.user, [opportunity])
    response = render(
        request,
        "engagements/_row.html",
        {"row": opportunity, "next_url": safe_next_url(request, reverse("home"))},
    )
    response["HX-Trigger"] = "pipelineChanged"
    return response


@require_http_methods(["GET", "POST"])
def em_fields(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_for_user(user=request.user, pk=pk)
    access.can_edit_em_fields.require(request.user, opportunity)
    if request.method == "GET":
        if request.GET.get("cancel") and request.GET.get("context") == "row":
            return _render_row(request, opportunity)
        return _render_em_form(request, opportunity, EmFieldsForm.for_opportunity(opportunity))

    form = EmFieldsForm(request.POST)
    if not form.is_valid():
        return _render_em_form(request, opportunity, form)
    try:
        updated = services.opportunity_update_em_fields(
            actor=request.user,
            opportunity=opportunity,
            expected_version=form.cleaned_data["version"],
            em_confidence=form.cleaned_data["em_confidence"],
            em_confidence_rationale=form.cleaned_data["em_confidence_rationale"],
            scoping_issue_link=form.cleaned_data["scoping_issue_link"],
        )
    except ValidationError as exc:
        apply_to_form(form, exc)
        return _render_em_form(request, opportunity, form)
    except Conflict as exc:
        fresh = selectors.opportunity_for_user(user=request.user, pk=pk)
        return _render_em_form(
            request,
            fresh,
            EmFieldsForm.for_opportunity(fresh),
            status=200 if request.htmx else 409,
            conflict=_conflict_message(exc),
        )

    if request.htmx and _is_row(request):
        return _render_row(request, updated)
    messages.success(request, f"Saved {updated.name}: {updated.em_confidence}.")
    return HttpResponseRedirect(safe_next_url(request, updated.get_absolute_url()))


@require_POST
def confirm_unchanged(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_for_user(user=request.user, pk=pk)
    access.can_edit_em_fields.require(request.user, opportunity)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "The confirmation was missing the opportunity's version; reload and try again."
        )
        return HttpResponseRedirect(safe_next_url(request, opportunity.get_absolute_url()))
    try:
        updated = services.opportunity_confirm_unchanged(
            actor=request.user,
            opportunity=opportunity,
            expected_version=form.cleaned_data["version"],
        )
    except Conflict as exc:
        messages.error(request, _conflict_message(exc))
        return HttpResponseRedirect(safe_next_url(request, opportunity.get_absolute_url()))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(safe_next_url(request, opportunity.get_absolute_url()))
    if request.htmx and _is_row(request):
        return _render_row(request, updated)
    messages.success(request, f"Confirmed {updated.em_confidence} on {updated.name}.")
    return HttpResponseRedirect(safe_next_url(request, updated.get_absolute_url()))


@require_POST
def assign_em(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_for_user(user=request.user, pk=pk)
    access.can_assign_em.require(request.user, opportunity)
    form = AssignEmForm(request.POST, candidates=engagement_managers())
    back = safe_next_url(request, opportunity.get_absolute_url())
    if not form.is_valid():
        messages.error(request, "Choose an Engagement Manager from the list.")
        return HttpResponseRedirect(back)
    try:
        updated = services.opportunity_assign_em(
            actor=request.user,
            opportunity=opportunity,
            engagement_manager=form.cleaned_data["engagement_manager"],
            expected_version=form.cleaned_data["version"],
        )
    except Conflict as exc:
        messages.error(request, _conflict_message(exc))
        return HttpResponseRedirect(back)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    messages.success(request, f"{updated.name} assigned to {updated.engagement_manager}.")
    return HttpResponseRedirect(back)


def _suggestion(request: HtmxHttpRequest, opportunity: Opportunity) -> selectors.EmLoad | None:
    """For an unassigned opportunity, the least-loaded EM of its region."""
    if opportunity.engagement_manager_id or not access.can_assign_em(request.user, opportunity):
        return None
    loads = selectors.em_workload(user=request.user, region_id=opportunity.region_id)
    return selectors.suggested_ems(loads).get(opportunity.region_id)


def _detail_context(request: HtmxHttpRequest, opportunity: Opportunity, **extra: Any) -> dict[str, Any]:
    can_edit = access.can_edit_em_fields(request.user, opportunity)
    context = {
        "opp": opportunity,
        "can_edit": can_edit,
        "can_assign": access.can_assign_em(request.user, opportunity),
        "form": EmFieldsForm.for_opportunity(opportunity) if can_edit else None,
        "risk_form": RiskForm() if can_edit else None,
        "risks": list(selectors.opportunity_risks(opportunity=opportunity)),
        "timeline": list(selectors.confidence_timeline(opportunity=opportunity)),
        "em_candidates": list(engagement_managers())
        if access.can_assign_em(request.user, opportunity)
        else [],
        "suggested_em": _suggestion(request, opportunity),
        "next_url": opportunity.get_absolute_url(),
        "panels": panels.panels_for("opportunity", request.user, opportunity),
    }
    context.update(extra)
    return context


@require_GET
def detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_for_user(user=request.user, pk=pk)
    return render(request, "engagements/detail.html", _detail_context(request, opportunity))


@require_POST
def risk_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_for_user(user=request.user, pk=pk)
    access.can_change_risks.require(request.user, opportunity)
    form = RiskForm(request.POST)
    if form.is_valid():
        try:
            services.risk_create(
                actor=request.user,
                opportunity=opportunity,
                description=form.cleaned_data["description"],
                severity=form.cleaned_data["severity"],
                mitigation=form.cleaned_data["mitigation"],
                owner=form.cleaned_data["owner"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, "Risk added.")
            return redirect(opportunity)
    return render(request, "engagements/detail.html", _detail_context(request, opportunity, risk_form=form))


@require_http_methods(["GET", "POST"])
def risk_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    risk = selectors.risk_for_user(user=request.user, pk=pk)
    access.can_change_risks.require(request.user, risk.opportunity)
    form = RiskEditForm(request.POST or None, instance=risk)
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_update(
                actor=request.user,
                risk=risk,
                **{
                    k: form.cleaned_data[k]
                    for k in ("description", "severity", "mitigation", "owner", "status")
                },
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, "Risk updated.")
            return redirect(risk.opportunity)
    return render(
        request, "engagements/risk_form.html", {"form": form, "risk": risk, "opp": risk.opportunity}
    )


@require_POST
def risk_close(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    risk = selectors.risk_for_user(user=request.user, pk=pk)
    services.risk_close(actor=request.user, risk=risk)
    messages.success(request, "Risk closed.")
    return redirect(risk.opportunity)


@require_GET
def workload(request: HtmxHttpRequest) -> HttpResponse:
    """EM Managers balance the pipeline: open opportunities, amount and stale calls per EM."""
    access.can_see_workload.require(request.user)
    loads = selectors.em_workload(user=request.user)
    return render(
        request,
        "engagements/workload.html",
        {
            "loads": loads,
            "suggested": {load.em.pk for load in selectors.suggested_ems(loads).values()},
            "active_nav": "pipeline:workload",
        },
    )
