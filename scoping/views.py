"""Thin views for scoping issues, the services calculator and TA review."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import panels
from core.csv import csv_response
from core.exceptions import Conflict
from core.money import quantize_cents
from core.redirects import safe_next_url
from core.service_errors import apply_to_form, flash
from core.types import HtmxHttpRequest
from core.validators import parse_integer
from engagements import selectors as opportunity_selectors
from scoping import access, selectors, services
from scoping.forms import (
    AddLineForm,
    AddOfferingForm,
    AssistanceForm,
    CommentForm,
    FilterForm,
    MoveForm,
    ReviseForm,
    ScopingIssueForm,
    parse_calculator,
)
from scoping.models import Estimate, EstimateLine, OfferingCategory, ScopingStatus


def _filtered(request: HtmxHttpRequest) -> tuple[FilterForm, Any]:
    form = FilterForm(request.GET or None)
    qs = selectors.issues_for_user(request.user)
    if form.is_valid():
        data = form.cleaned_data
        qs = selectors.filter_issues(
            qs,
            assignee=data["assignee"],
            region=data["region"],
            quarter=data["quarter"],
            status=data.get("status", ""),
            search=data["q"],
        )
    elif request.GET:
        qs = qs.none()
    return form, qs


@require_GET
def issue_list(request: HtmxHttpRequest) -> HttpResponse:
    access.can_use_scoping.require(request.user)
    form, qs = _filtered(request)
    return render(
        request,
        "scoping/list.html",
        {"filter_form": form, "issues": list(qs.order_by("-updated_at")[:500]), "active_nav": "scoping:list"},
    )


@require_GET
def board(request: HtmxHttpRequest) -> HttpResponse:
    access.can_use_scoping.require(request.user)
    form, qs = _filtered(request)
    columns = selectors.board(qs)
    editable = {
        issue.pk for column in columns for issue in column.issues if access.can_edit(request.user, issue)
    }
    return render(
        request,
        "scoping/board.html",
        {
            "filter_form": form,
            "columns": columns,
            "editable": editable,
            "statuses": ScopingStatus.choices,
            "active_nav": "scoping:board",
        },
    )


@require_http_methods(["GET", "POST"])
def issue_create(request: HtmxHttpRequest, opportunity_pk: int) -> HttpResponse:
    opportunity = opportunity_selectors.opportunity_for_user(user=request.user, pk=opportunity_pk)
    access.can_create_for.require(request.user, opportunity)
    form = ScopingIssueForm(
        request.POST or None,
        initial={
            "title": f"{opportunity.account.name} — scoping",
            "assignee": opportunity.engagement_manager_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issue = services.scoping_issue_create(
                actor=request.user,
                opportunity=opportunity,
                title=data["title"],
                assignee=data["assignee"],
                current_state=data["current_state"],
                constraints=data["constraints"],
                desired_outcomes=data["desired_outcomes"],
                requirements=data["requirements"],
                service_types=data["service_types"],
                external_link=data["external_link"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, f"Scoping issue “{issue.title}” opened.")
            return redirect(issue)
    return render(request, "scoping/issue_form.html", {"form": form, "opp": opportunity, "issue": None})


@require_GET
def issue_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    can_edit = access.can_edit(request.user, issue)
    return render(
        request,
        "scoping/detail.html",
        {
            "issue": issue,
            "opp": issue.opportunity,
            "can_edit": can_edit,
            "can_review": access.can_review(request.user),
            "estimates": list(issue.estimates.order_by("-number")),
            "reviews": list(issue.ta_reviews.select_related("actor", "estimate")),
            "statuses": ScopingStatus.choices,
            "service_type_labels": [
                str(dict(OfferingCategory.choices).get(value, value)) for value in issue.service_types or []
            ],
            "threshold": services.ta_review_threshold(),
            "assistance_form": AssistanceForm() if can_edit else None,
            "comment_form": CommentForm() if access.can_review(request.user) else None,
            "panels": panels.panels_for("scoping_issue", request.user, issue),
        },
    )


@require_http_methods(["GET", "POST"])
def issue_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, issue)
    initial = {
        "title": issue.title,
        "assignee": issue.assignee_id,
        "current_state": issue.current_state,
        "constraints": issue.constraints,
        "desired_outcomes": issue.desired_outcomes,
        "requirements": issue.requirements,
        "service_types": issue.service_types,
        "external_link": issue.external_link,
        "version": issue.version,
    }
    form = ScopingIssueForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.scoping_issue_update(
                actor=request.user,
                issue=issue,
                expected_version=data["version"] or 0,
                title=data["title"],
                assignee=data["assignee"],
                current_state=data["current_state"],
                constraints=data["constraints"],
                desired_outcomes=data["desired_outcomes"],
                requirements=data["requirements"],
                service_types=data["service_types"],
                external_link=data["external_link"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Discovery saved.")
            return redirect(issue)
    return render(
        request, "scoping/issue_form.html", {"form": form, "opp": issue.opportunity, "issue": issue}
    )


@require_POST
def issue_move(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, issue)
    form = MoveForm(request.POST)
    back = safe_next_url(request, issue.get_absolute_url())
    if not form.is_valid():
        messages.error(request, "Choose a status from the list.")
        return HttpResponseRedirect(back)
    try:
        moved = services.scoping_issue_move(
            actor=request.user, issue=issue, status=form.cleaned_data["status"]
        )
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, f"“{moved.title}” moved to {moved.get_status_display()}.")
    return HttpResponseRedirect(back)


@require_POST
def request_assistance(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, issue)
    form = AssistanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what you need help with.")
        return redirect(issue)
    try:
        services.ta_request_assistance(actor=request.user, issue=issue, note=form.cleaned_data["note"])
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, "A Technical Architect has been asked for help.")
    return redirect(issue)


@require_POST
def ta_decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    access.can_review.require(request.user)
    form = CommentForm(request.POST)
    decision = request.POST.get("decision")
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    actions = {
        "approve": services.ta_approve,
        "send_back": services.ta_send_back,
        "assisted": services.ta_mark_assisted,
    }
    if decision not in actions or not form.is_valid():
        messages.error(request, "Choose approve, send back or assisted (comments up to 4,000 characters).")
        return redirect(issue)
    try:
        actions[decision](actor=request.user, issue=issue, comment=comment)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(
            request,
            {
                "approve": "Estimate approved.",
                "send_back": "Sent back to the EM.",
                "assisted": "Assistance recorded.",
            }[decision],
        )
    return HttpResponseRedirect(safe_next_url(request, issue.get_absolute_url()))


@require_GET
def ta_queue(request: HtmxHttpRequest) -> HttpResponse:
    access.can_use_ta_queue.require(request.user)
    return render(
        request,
        "scoping/ta_queue.html",
        {
            "issues": list(selectors.ta_queue(request.user)),
            "comment_form": CommentForm(),
            "threshold": services.ta_review_threshold(),
            "active_nav": "scoping:ta_queue",
        },
    )


# --------------------------------------------------------------------------- estimates


@require_POST
def estimate_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    issue = selectors.issue_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, issue)
    try:
        estimate = services.estimate_create(actor=request.user, issue=issue)
    except ValidationError as exc:
        flash(request, exc)
        return redirect(issue)
    return redirect(estimate)


def _estimate_context(request: HtmxHttpRequest, estimate: Estimate, **extra: Any) -> dict[str, Any]:
    lines = selectors.estimate_lines(estimate)
    can_manage = access.can_edit_estimate(request.user, estimate)
    can_edit = can_manage and not estimate.is_frozen
    context = {
        "estimate": estimate,
        "issue": estimate.scoping_issue,
        "opp": estimate.scoping_issue.opportunity,
        "lines": lines,
        "totals": selectors.estimate_totals(estimate, lines),
        "can_edit": can_edit,
        "can_manage": can_manage,
        "versions": list(estimate.scoping_issue.estimates.order_by("number")),
        "previous": selectors.previous_version(estimate),
        "offering_form": AddOfferingForm(currency=estimate.currency) if can_edit else None,
        "line_form": AddLineForm(currency=estimate.currency) if can_edit else None,
        "revise_form": ReviseForm(),
        "errors": {},
        "values": {},
        "threshold": services.ta_review_threshold(),
        "panels": panels.panels_for("estimate", request.user, estimate),
        "ta_decisions": selectors.estimate_ta_decisions(estimate),
    }
    context.update(extra)
    values: Any = context["values"]
    errors: Any = context["errors"]
    _attach_inputs(lines, values, errors)
    context["field_values"] = {
        name: values.get(name, getattr(estimate, name))
        for name in ("contingency_percent", "expenses", "discount")
    }
    return context


def _attach_inputs(lines: list[EstimateLine], values: Any, errors: dict[str, list[str]]) -> None:
    """What each line's inputs show: the posted values after a refused save, else the saved ones."""
    for line in lines:
        prefix = f"line-{line.pk}-"
        line.inputs = {  # type: ignore[attr-defined]  # for the template
            name: values.get(prefix + name, getattr(line, name))
            for name in ("description", "quantity", "hours", "unit_price")
        }
        line.input_errors = {  # type: ignore[attr-defined]  # for the template
            name: errors.get(prefix + name, []) for name in ("description", "quantity", "hours", "unit_price")
        }


@require_GET
def estimate_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    return render(request, "scoping/estimate.html", _estimate_context(request, estimate))


@require_POST
def estimate_save(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    access.can_edit_estimate.require(request.user, estimate)
    values, changes = parse_calculator(request.POST, list(estimate.lines.values_list("pk", flat=True)))
    try:
        version = parse_integer(values["version"])
    except ValidationError:
        messages.error(request, "The form is out of date; reload the page.")
        return redirect(estimate)
    try:
        services.estimate_update(
            actor=request.user,
            estimate=estimate,
            expected_version=version,
            contingency_percent=values["contingency_percent"],
            expenses=values["expenses"],
            discount=values["discount"],
            lines=changes,
        )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            flash(request, exc)
            return redirect(estimate)
        errors = {key: [str(m) for e in errs for m in e.messages] for key, errs in exc.error_dict.items()}
        context = _estimate_context(request, estimate, errors=errors, values=request.POST)
        return render(request, "scoping/estimate.html", context, status=200)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(estimate)
    messages.success(request, "Estimate saved.")
    return redirect(estimate)


@require_POST
def estimate_preview(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Totals for what the EM is typing (htmx); nothing is saved."""
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    access.can_edit_estimate.require(request.user, estimate)
    values, changes = parse_calculator(request.POST, list(estimate.lines.values_list("pk", flat=True)))
    totals, errors = services.estimate_preview(
        estimate=estimate,
        contingency_percent=values["contingency_percent"],
        expenses=values["expenses"],
        discount=values["discount"],
        lines=changes,
    )
    return render(
        request,
        "scoping/_estimate_totals.html",
        {
            "estimate": estimate,
            "totals": totals,
            "preview_errors": errors,
            "preview": True,
        },
    )


@require_POST
def estimate_add_offering(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    access.can_edit_estimate.require(request.user, estimate)
    form = AddOfferingForm(request.POST, currency=estimate.currency)
    if form.is_valid():
        try:
            lines = services.estimate_add_offering(
                actor=request.user,
                estimate=estimate,
                offering=form.cleaned_data["offering"],
                quantity=form.cleaned_data["quantity"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, f"Added {len(lines)} line{'s' if len(lines) != 1 else ''}.")
            return redirect(estimate)
    return render(request, "scoping/estimate.html", _estimate_context(request, estimate, offering_form=form))


@require_POST
def estimate_add_line(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    access.can_edit_estimate.require(request.user, estimate)
    form = AddLineForm(request.POST, currency=estimate.currency)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.estimate_add_line(
                actor=request.user,
                estimate=estimate,
                kind=data["kind"],
                description=data["description"],
                role_name=data["role_name"],
                hours=data["hours"],
                quantity=data["quantity"] or "1",
                unit_price=data["unit_price"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, "Line added.")
            return redirect(estimate)
    return render(request, "scoping/estimate.html", _estimate_context(request, estimate, line_form=form))


@require_POST
def estimate_delete_line(request: HtmxHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    access.can_edit_estimate.require(request.user, estimate)
    line = EstimateLine.objects.filter(pk=line_pk, estimate=estimate).first()
    if line is None:
        messages.error(request, "That line no longer exists.")
        return redirect(estimate)
    try:
        services.estimate_delete_line(actor=request.user, line=line)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, "Line removed.")
    return redirect(estimate)


@require_POST
def estimate_revise(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    access.can_edit_estimate.require(request.user, estimate)
    form = ReviseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why you are revising the estimate.")
        return redirect(estimate)
    try:
        revision = services.estimate_revise(
            actor=request.user, estimate=estimate, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        flash(request, exc)
        return redirect(estimate)
    messages.success(request, f"{revision.label} created from {estimate.label}.")
    return redirect(revision)


def _transition(request: HtmxHttpRequest, pk: int, service: Any, done: str) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    access.can_edit_estimate.require(request.user, estimate)
    try:
        service(actor=request.user, estimate=estimate)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, f"{estimate.label} {done}.")
    return redirect(estimate)


@require_POST
def estimate_share(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.estimate_share, "shared and frozen")


@require_POST
def estimate_agree(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.estimate_agree, "marked agreed; other versions superseded")


@require_GET
def estimate_diff(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    previous = selectors.previous_version(estimate)
    if previous is None:
        messages.info(request, f"{estimate.label} is the first version; there is nothing to compare.")
        return redirect(estimate)
    diff = selectors.estimate_diff(previous, estimate)
    return render(
        request, "scoping/diff.html", {"diff": diff, "estimate": estimate, "issue": estimate.scoping_issue}
    )


@require_GET
def estimate_export(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    estimate = selectors.estimate_for_user(user=request.user, pk=pk)
    lines = selectors.estimate_lines(estimate)
    totals = selectors.estimate_totals(estimate, lines)
    header = [
        "Scoping issue",
        estimate.scoping_issue.title,
        "Version",
        estimate.label,
        "Status",
        estimate.get_status_display(),
        "Currency",
        estimate.currency,
    ]
    columns = ["Kind", "Description", "Role", "Quantity", "Hours", "Unit price", "Rate", "Amount"]
    rows = [
        [
            line.get_kind_display(),
            line.description,
            line.role_name,
            line.quantity if line.kind != "activity" else "",
            line.hours if line.kind == "activity" else "",
            line.unit_price if line.kind != "activity" else "",
            line.bill_rate if line.kind == "activity" else "",
            quantize_cents(line.amount),
        ]
        for line in lines
    ]
    summary = [
        ["", label, "", "", "", "", "", quantize_cents(amount)]
        for label, amount in (
            ("Labour", totals.labour),
            ("Contingency", totals.contingency),
            ("Packaged", totals.packaged),
            ("Other", totals.other),
            ("Expenses", totals.expenses),
            ("Discount", -totals.discount),
            ("Total", totals.total),
        )
    ]
    filename = f"estimate-{estimate.scoping_issue_id}-{estimate.label}.csv"
    return csv_response(filename, [header, columns, *rows, *summary])
