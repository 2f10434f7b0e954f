"""Thin views: check access, parse the form, call one service or selector, render or redirect."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import list_flags, panels
from core.csv import csv_response
from core.exceptions import Conflict
from core.redirects import safe_next_url
from core.service_errors import apply_to_form
from core.types import HtmxHttpRequest
from engagements import access, selectors, services
from engagements.filters import PipelineFilter
from engagements.forms import (
    AssignEmForm,
    BulkForm,
    EmFieldsForm,
    RiskEditForm,
    RiskForm,
    SavedFilterForm,
    VersionForm,
)
from engagements.models import PIPELINE_COLUMNS, Opportunity
from people.selectors import engagement_managers, load_person_and_permissions


def _conflict_message(exc: Conflict, change: selectors.LastChange | None = None) -> str:
    current = exc.current
    parts = [
        f"Confidence: {current.get('em_confidence') or '—'}",
        f"Rationale: {current.get('em_confidence_rationale') or '—'}",
        f"Scoping link: {current.get('scoping_issue_link') or '—'}",
    ]
    if current.get("engagement_manager"):
        parts.insert(0, f"EM: {current['engagement_manager']}")
    who = f" Last changed by {change.who} at {change.local_at}." if change else ""
    return f"{exc.message}{who} Current values — " + "; ".join(parts) + "."


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
    _attach_hygiene_badges(rows)
    _attach_row_urls(rows)


# A stand-in primary key: each row link is reversed once for the page and the row's pk put in its place.
_PK_MARK = 2147483647
_ROW_URLS = {
    "detail": "engagements:detail",
    "edit": "engagements:em_fields",
    "confirm": "engagements:confirm",
    "assign": "engagements:assign",
}


def _attach_row_urls(rows: list[Opportunity]) -> None:
    """Each row's links (its page, edit, confirm, assign), each URL reversed once, not once per row."""
    parts = {key: reverse(name, args=[_PK_MARK]).split(str(_PK_MARK)) for key, name in _ROW_URLS.items()}
    for row in rows:
        row.urls = {key: f"{head}{row.pk}{tail}" for key, (head, tail) in parts.items()}  # type: ignore[attr-defined]  # for the template


# Flags the row already shows as badges of its own (past due by the close date, stale by the review).
_OWN_BADGES = {"past_due", "stale"}


def _attach_hygiene_badges(rows: list[Opportunity]) -> None:
    """Each row's deal-hygiene badges (no query: the flags ride on the row)."""
    for row in rows:
        badges = []
        for flag in list_flags.flags_of("pipeline", row):
            if flag.key in _OWN_BADGES:
                continue
            pushes = getattr(row, "hygiene_pushes", 0) or 0
            label = f"{flag.short} ×{pushes}" if flag.key == "pushed" and pushes > 1 else flag.short
            badges.append({"key": flag.key, "label": label, "help": flag.label, "css": "text-bg-warning"})
        row.hygiene_badges = badges  # type: ignore[attr-defined]  # for the template


def _pipeline_scope(request: HtmxHttpRequest) -> tuple[str, list[tuple[str, str]]]:
    """The pipeline view asked for (or the user's default), refused when it is not theirs."""
    load_person_and_permissions(request.user)
    scopes = selectors.available_scopes(request.user)
    scope_keys = [key for key, _ in scopes]
    if not scope_keys:
        raise PermissionDenied("You have no pipeline to see.")
    scope = request.GET.get("scope") or selectors.default_scope(request.user) or scope_keys[0]
    if scope not in scope_keys:
        raise PermissionDenied("That view of the pipeline is not available to you.")
    return scope, scopes


def _filtered(
    request: HtmxHttpRequest, scope: str
) -> tuple[PipelineFilter, QuerySet[Opportunity], selectors.PipelineOptions]:
    base = selectors.pipeline_queryset(user=request.user, scope=scope)
    options = selectors.pipeline_options(base, user=request.user)
    filterset = PipelineFilter(request.GET, queryset=base, stages=options.stages, regions=options.regions)
    # Invalid filter values show their errors above an empty list rather than a wrong one.
    filtered = filterset.qs if filterset.is_valid() else base.none()
    return filterset, filtered, options


def _without(request: HtmxHttpRequest, *keys: str) -> str:
    """The list's query string without `keys` (and without the page): for links that set them."""
    query = request.GET.copy()
    for key in ("page", "fragment", *keys):
        query.pop(key, None)
    return query.urlencode()


def _filter_query(request: HtmxHttpRequest) -> str:
    """The list's filter as a query string (no page, no fragment): what a saved filter keeps."""
    query = request.GET.copy()
    for key in ("page", "fragment", "columns"):
        query.pop(key, None)
    return query.urlencode()


@require_GET
def pipeline(request: HtmxHttpRequest) -> HttpResponse:
    scope, scopes = _pipeline_scope(request)
    filterset, filtered, options = _filtered(request, scope)

    totals, flag_counts = selectors.pipeline_totals(filtered)
    total_count, total_amounts = selectors.grand_totals(totals)
    # The totals count every filtered row once, so the paginator need not count them again.
    paginator = Paginator(filtered, settings.PIPELINE_PAGE_SIZE)
    paginator.count = total_count
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    _decorate_rows(request, rows, scope)

    query = request.GET.copy()
    query.pop("page", None)
    query.pop("fragment", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    filter_query = _filter_query(request)
    can_bulk_assign = scope in (selectors.Scope.TEAM, selectors.Scope.UNASSIGNED) and access.can_assign_any(
        request.user
    )
    context = {
        "scope": scope,
        "scopes": scopes,
        "filter": filterset,
        "page": page,
        "rows": rows,
        "totals": totals,
        "flag_counts": flag_counts,
        "hygiene_in_force": filterset.form.cleaned_data.get("hygiene") if filterset.is_valid() else "",
        "hygiene_query": _without(request, "hygiene"),
        "total_count": total_count,
        "total_amounts": total_amounts,
        "sort": filterset.sort_in_force,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "filter_query": filter_query,
        "next_url": request.get_full_path(),
        "saved_filters": options.saved_filters,
        "active_saved": next((f for f in options.saved_filters if f.query == filter_query), None),
        "columns": options.columns,
        "column_choices": PIPELINE_COLUMNS,
        "can_bulk_confirm": access.can_work_in_bulk(request.user),
        "can_bulk_assign": can_bulk_assign,
        "bulk_candidates": list(engagement_managers()) if can_bulk_assign else [],
        "active_nav": f"pipeline:{scope}",
    }
    if request.htmx and request.GET.get("fragment") == "totals":
        return render(request, "engagements/_pipeline_totals.html", context)
    if request.htmx and request.htmx.target == "pipeline-results":
        return render(request, "engagements/_pipeline_results.html", context)
    return render(request, "engagements/pipeline.html", context)


@require_GET
def pipeline_export(request: HtmxHttpRequest) -> HttpResponse:
    """The filtered list (every page of it) as a CSV download, formula-safe."""
    scope, _ = _pipeline_scope(request)
    _, filtered, _ = _filtered(request, scope)
    header = [
        "Opportunity",
        "Account",
        "Close date",
        "Stage",
        "Amount",
        "Currency",
        "EM",
        "EM confidence",
        "Rationale",
        "Last reviewed",
        "Stale",
        "Past due",
        "Pushed out of its quarter (times)",
        "Deal hygiene",
        "Status",
    ]
    rows: list[list[Any]] = [header]
    for opp in filtered.iterator(chunk_size=500):
        status = ("Won" if opp.is_won else "Lost") if opp.is_closed else "Open"
        rows.append(
            [
                opp.name,
                opp.account.name,
                opp.close_date.isoformat(),
                opp.stage,
                opp.amount if opp.amount is not None else "",
                opp.currency,
                opp.engagement_manager.name if opp.engagement_manager else "",
                opp.em_confidence,
                opp.em_confidence_rationale,
                selectors.local_time(opp.em_reviewed_at, request.user) if opp.em_reviewed_at else "never",
                "yes" if opp.is_stale else "no",  # type: ignore[attr-defined]  # selectors.annotate_badges
                "yes" if opp.is_past_due else "no",  # type: ignore[attr-defined]  # selectors.annotate_badges
                getattr(opp, "hygiene_pushes", 0) or 0,
                "; ".join(flag.label for flag in list_flags.flags_of("pipeline", opp)),
                status,
            ]
        )
    return csv_response(f"pipeline-{scope}-{timezone.localdate():%Y-%m-%d}.csv", rows)


def _bulk_items(request: HtmxHttpRequest) -> list[services.BulkItem]:
    """The rows picked on the page, each "pk:version" (anything else is dropped)."""
    items = []
    for value in request.POST.getlist("pick"):
        pk, _, version = value.partition(":")
        if pk.isdigit() and version.isdigit():
            items.append(services.BulkItem(int(pk), int(version)))
    return items


@require_POST
def pipeline_bulk(request: HtmxHttpRequest) -> HttpResponse:
    """Confirm many calls unchanged, or assign many opportunities to one EM, from the list."""
    access.can_work_in_bulk.require(request.user)
    back = safe_next_url(request, reverse("engagements:pipeline"))
    form = BulkForm(request.POST, candidates=engagement_managers())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back)
    items = _bulk_items(request)
    try:
        if form.cleaned_data["action"] == "assign":
            em = form.cleaned_data["engagement_manager"]
            result = services.opportunities_assign_em(actor=request.user, items=items, engagement_manager=em)
            verb = f"Assigned to {em.name}"
        else:
            result = services.opportunities_confirm_unchanged(actor=request.user, items=items)
            verb = "Confirmed unchanged"
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return HttpResponseRedirect(back)
    if result.done:
        names = ", ".join(opp.name for opp in result.done[:5])
        more = f" and {len(result.done) - 5} more" if len(result.done) > 5 else ""
        messages.success(request, f"{verb}: {_count(len(result.done))} ({names}{more}).")
    for refusal in result.refused:
        messages.error(request, f"Not saved — {refusal.name}: {refusal.reason}")
    return HttpResponseRedirect(back)


def _count(n: int) -> str:
    return f"{n} opportunity" if n == 1 else f"{n} opportunities"


@require_POST
def saved_filter_save(request: HtmxHttpRequest) -> HttpResponse:
    form = SavedFilterForm(request.POST)
    back = safe_next_url(request, reverse("engagements:pipeline"))
    if not form.is_valid():
        messages.error(request, "Name the filter (one line, at most 80 characters).")
        return HttpResponseRedirect(back)
    try:
        saved = services.saved_filter_save(
            actor=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return HttpResponseRedirect(back)
    messages.success(request, f"Saved the filter “{saved.name}”.")
    return HttpResponseRedirect(f"{reverse('engagements:pipeline')}?{saved.query}")


@require_POST
def saved_filter_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    saved = selectors.saved_filter_for_user(user=request.user, pk=pk)
    services.saved_filter_delete(actor=request.user, saved_filter=saved)
    messages.success(request, f"Deleted the filter “{saved.name}”.")
    return HttpResponseRedirect(safe_next_url(request, reverse("engagements:pipeline")))


@require_POST
def pipeline_columns(request: HtmxHttpRequest) -> HttpResponse:
    services.pipeline_columns_set(actor=request.user, columns=request.POST.getlist("columns"))
    messages.success(request, "Columns saved.")
    return HttpResponseRedirect(safe_next_url(request, reverse("engagements:pipeline")))


def _is_row(request: HtmxHttpRequest) -> bool:
    return request.GET.get("context") == "row" or request.POST.get("context") == "row"


def _render_em_form(
    request: HtmxHttpRequest,
    opportunity: Opportunity,
    form: EmFieldsForm,
    *,
    status: int = 200,
    conflict: str = "",
    current: dict[str, Any] | None = None,
    changed_by: selectors.LastChange | None = None,
) -> HttpResponse:
    """The inline row form for the pipeline list, or the whole detail page with the form. After a
    refused save `form` holds what the user typed; `current` the values saved meanwhile."""
    extra = {"conflict": conflict, "current": current, "changed_by": changed_by}
    if _is_row(request):
        return render(
            request,
            "engagements/_row_form.html",
            {"opp": opportunity, "form": form, **extra},
            status=status,
        )
    context = _detail_context(request, opportunity, form=form, **extra)
    return render(request, "engagements/detail.html", context, status=status)


def _current_for_display(opportunity: Opportunity) -> dict[str, str]:
    """The saved EM fields, as the refused form shows them beside what the user typed."""
    em = opportunity.engagement_manager
    return {
        "EM": em.name if em else "Unassigned",
        "EM confidence": opportunity.em_confidence,
        "Rationale": opportunity.em_confidence_rationale or "—",
        "Scoping issue link": opportunity.scoping_issue_link or "—",
    }


def _render_row(request: HtmxHttpRequest, opportunity: Opportunity, *, error: str = "") -> HttpResponse:
    opportunity = selectors.opportunity_for_user(user=request.user, pk=opportunity.pk)
    opportunity.can_edit = access.can_edit_em_fields(request.user, opportunity)  # type: ignore[attr-defined]  # for the template
    panels.attach_row_panels("pipeline", request.user, [opportunity])
    _attach_hygiene_badges([opportunity])
    _attach_row_urls([opportunity])
    response = render(
        request,
        "engagements/_row.html",
        {
            "row": opportunity,
            "next_url": safe_next_url(request, reverse("home")),
            "row_error": error,
            "columns": selectors.columns_for(user=request.user),
            "can_bulk_confirm": access.can_work_in_bulk(request.user),
            "can_bulk_assign": False,
        },
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
        # What the user typed stays in the form, now at the current version, so saving it again
        # (after reading the current values beside it) is a deliberate overwrite.
        typed = request.POST.copy()
        typed["version"] = str(fresh.version)
        return _render_em_form(
            request,
            fresh,
            EmFieldsForm(typed),
            status=200 if request.htmx else 409,
            conflict=exc.message,
            current=_current_for_display(fresh),
            changed_by=selectors.last_change(opportunity_id=fresh.pk, viewer=request.user),
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
        change = selectors.last_change(opportunity_id=opportunity.pk, viewer=request.user)
        if request.htmx and _is_row(request):
            who = f"{change.who} changed it at {change.local_at}. " if change else ""
            return _render_row(
                request, opportunity, error=f"Not confirmed: {who}Check the values shown and confirm again."
            )
        messages.error(request, _conflict_message(exc, change))
        return HttpResponseRedirect(safe_next_url(request, opportunity.get_absolute_url()))
    except ValidationError as exc:
        if request.htmx and _is_row(request):
            return _render_row(request, opportunity, error=" ".join(exc.messages))
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
        change = selectors.last_change(opportunity_id=opportunity.pk, viewer=request.user)
        messages.error(request, _conflict_message(exc, change))
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
