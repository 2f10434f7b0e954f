"""Thin views for change requests on signed SOWs: drafting, scope lines, transitions, PDFs, the signed
copy. The PS Director decides in the admin's approval queue (sow.admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import Conflict
from core.service_errors import apply_to_form, flash
from core.types import HtmxHttpRequest
from sow import access, selectors, uploads
from sow.change_request_forms import ChangeRequestForm, ChangeRequestLineForm, FromEstimateForm
from sow.forms import SentForm, SignedForm, SubmitForm, TransitionForm, WithdrawForm
from sow.models import ChangeRequest, ChangeRequestDocument, ChangeRequestLine, SowDocument
from sow.services import change_requests as services

STALE_PAGE = "This page was out of date, so nothing was changed. Reload it and try again."


def _context(request: HtmxHttpRequest, change_request: ChangeRequest, **extra: Any) -> dict[str, Any]:
    can_edit = access.can_edit(request.user, change_request.sow)
    editable = can_edit and change_request.is_editable
    lines = list(change_request.lines.select_related("delivery_role"))
    totals = services.change_request_totals(change_request, lines)
    version = change_request.sow_version
    stamp = {"version": change_request.version}
    context: dict[str, Any] = {
        "cr": change_request,
        "sow": change_request.sow,
        "version": version,
        "opp": change_request.sow.opportunity,
        "issue": change_request.sow.scoping_issue,
        "lines": lines,
        "totals": totals,
        "contract": services.contract_value(version),
        "can_edit": can_edit,
        "editable": editable,
        "problems": services.submission_problems(change_request) if editable else [],
        "approvals": list(change_request.approvals.select_related("actor")),
        "documents": {d.kind: d for d in change_request.documents.all()},
        "line_form": ChangeRequestLineForm(change_request=change_request) if editable else None,
        "estimate_form": FromEstimateForm(version=version) if editable else None,
        "submit_form": SubmitForm(
            initial={"justification": change_request.below_target_justification, **stamp}
        ),
        "transition_form": TransitionForm(initial=stamp),
        "withdraw_form": WithdrawForm(initial=stamp),
        "sent_form": SentForm(initial=stamp),
        "signed_form": SignedForm(initial=stamp),
        "before_signature": change_request.status in services.BEFORE_SIGNATURE,
    }
    context.update(extra)
    return context


def _page(request: HtmxHttpRequest, change_request: ChangeRequest, **extra: Any) -> HttpResponse:
    return render(request, "sow/change_request.html", _context(request, change_request, **extra))


@require_http_methods(["GET", "POST"])
def cr_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A new change request on a signed (or handed-off) SOW version."""
    version = selectors.version_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, version.sow)
    form = ChangeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change_request = services.change_request_create(
                actor=request.user,
                version=version,
                title=data["title"],
                reason=data["reason"],
                schedule_impact=data["schedule_impact"],
                new_end_date=data["new_end_date"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, f"{change_request.label} drafted; add the scope that changes.")
            return redirect(change_request)
    return render(
        request,
        "sow/change_request_form.html",
        {"form": form, "version": version, "sow": version.sow, "cr": None},
    )


@require_GET
def cr_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    return _page(request, change_request)


@require_http_methods(["GET", "POST"])
def cr_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, change_request.sow)
    if not change_request.is_editable:
        messages.error(
            request,
            f"{change_request.label} is {change_request.get_status_display().lower()}; it cannot be edited.",
        )
        return redirect(change_request)
    initial = {
        "title": change_request.title,
        "reason": change_request.reason,
        "schedule_impact": change_request.schedule_impact,
        "new_end_date": change_request.new_end_date,
        "version": change_request.version,
    }
    form = ChangeRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_request_update(
                actor=request.user,
                change_request=change_request,
                expected_version=data["version"] or 0,
                title=data["title"],
                reason=data["reason"],
                schedule_impact=data["schedule_impact"],
                new_end_date=data["new_end_date"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Change request saved.")
            return redirect(change_request)
    return render(
        request,
        "sow/change_request_form.html",
        {
            "form": form,
            "version": change_request.sow_version,
            "sow": change_request.sow,
            "cr": change_request,
        },
    )


@require_POST
def cr_line_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, change_request.sow)
    form = ChangeRequestLineForm(request.POST, change_request=change_request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.change_request_line_add(
                actor=request.user,
                change_request=change_request,
                change=data["change"],
                kind=data["kind"],
                description=data["description"],
                delivery_role=data["delivery_role"],
                hours=data["hours"],
                price=data["price"],
                cost=data["cost"],
                no_cost_reason=data["no_cost_reason"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                flash(request, exc)
                return redirect(change_request)
            apply_to_form(form, exc)
        else:
            messages.success(request, "Scope line added.")
            return redirect(change_request)
    return _page(request, change_request, line_form=form)


@require_POST
def cr_line_delete(request: HtmxHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, change_request.sow)
    line = ChangeRequestLine.objects.filter(pk=line_pk, change_request=change_request).first()
    if line is None:
        raise Http404("No such line.")
    try:
        services.change_request_line_delete(actor=request.user, line=line)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, "Scope line removed.")
    return redirect(change_request)


@require_POST
def cr_from_estimate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, change_request.sow)
    form = FromEstimateForm(request.POST, version=change_request.sow_version)
    if form.is_valid():
        try:
            lines = services.change_request_from_estimate(
                actor=request.user, change_request=change_request, estimate=form.cleaned_data["estimate"]
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                flash(request, exc)
                return redirect(change_request)
            apply_to_form(form, exc)
        else:
            messages.success(request, f"{len(lines)} scope line(s) taken from the revised estimate.")
            return redirect(change_request)
    return _page(request, change_request, estimate_form=form)


# action -> the form it posts, and the name the page gives that form
TRANSITION_FORMS: dict[str, tuple[type[TransitionForm], str]] = {
    "submit": (SubmitForm, "submit_form"),
    "reopen": (TransitionForm, "transition_form"),
    "withdraw": (WithdrawForm, "withdraw_form"),
    "sent": (SentForm, "sent_form"),
    "signed": (SignedForm, "signed_form"),
}
FIELD_ERROR_ACTIONS = {"withdraw", "sent", "signed"}


@require_POST
def cr_transition(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in TRANSITION_FORMS:
        raise Http404("No such action.")
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, change_request.sow)
    form_class, context_name = TRANSITION_FORMS[action]
    form = form_class(request.POST, request.FILES) if action == "signed" else form_class(request.POST)
    valid = form.is_valid()
    if action == "signed" and uploads.upload_refused(request):
        form.errors.pop("signed_copy", None)
        form.add_error("signed_copy", ValidationError(uploads.too_large_message(), code="too_large"))
        valid = False
    elif "version" in form.errors:
        messages.error(request, STALE_PAGE)
        return redirect(change_request)
    if not valid:
        if action in FIELD_ERROR_ACTIONS:
            return _page(request, change_request, **{context_name: form})
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect(change_request)
    data = form.cleaned_data
    expected = data["version"]
    label = change_request.label
    try:
        if action == "submit":
            services.change_request_submit(
                actor=request.user,
                change_request=change_request,
                expected_version=expected,
                justification=data["justification"],
            )
            messages.success(request, f"{label} submitted for approval.")
        elif action == "reopen":
            services.change_request_reopen(
                actor=request.user, change_request=change_request, expected_version=expected
            )
            messages.success(request, f"{label} is a draft again.")
        elif action == "withdraw":
            services.change_request_withdraw(
                actor=request.user,
                change_request=change_request,
                expected_version=expected,
                reason=data["reason"],
            )
            messages.success(request, f"{label} withdrawn.")
        elif action == "sent":
            services.change_request_mark_sent(
                actor=request.user,
                change_request=change_request,
                expected_version=expected,
                sent_on=data["sent_on"],
                recipients=data["recipients"],
            )
            messages.success(request, f"{label} marked sent.")
        elif action == "signed":
            services.change_request_mark_signed(
                actor=request.user,
                change_request=change_request,
                expected_version=expected,
                signed_on=data["signed_on"],
                signed_copy=data["signed_copy"],
            )
            messages.success(request, f"{label} marked signed.")
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        if action not in FIELD_ERROR_ACTIONS:
            flash(request, exc)
            return redirect(change_request)
        apply_to_form(form, exc)
        change_request.refresh_from_db()
        return _page(request, change_request, **{context_name: form})
    return redirect(change_request)


@require_POST
def cr_request_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    document = services.change_request_request_pdf(actor=request.user, change_request=change_request)
    messages.info(request, f"The {document.get_kind_display().lower()} PDF is being rendered.")
    return redirect(change_request)


@require_GET
def cr_download_pdf(request: HtmxHttpRequest, pk: int, kind: str) -> FileResponse:
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    document = ChangeRequestDocument.objects.filter(
        change_request=change_request, kind=kind, status=SowDocument.Status.READY
    ).first()
    if document is None or not document.file:
        raise Http404("That PDF is not ready.")
    name = f"{change_request.sow.reference}-{change_request.label}{'-DRAFT' if kind == 'draft' else ''}.pdf"
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )


@require_GET
def cr_download_signed(request: HtmxHttpRequest, pk: int) -> FileResponse:
    change_request = selectors.change_request_for_user(user=request.user, pk=pk)
    if not change_request.signed_copy:
        raise Http404("No signed copy.")
    return FileResponse(
        change_request.signed_copy.open("rb"),
        as_attachment=True,
        filename=f"{change_request.sow.reference}-{change_request.label}-signed.pdf",
        content_type="application/pdf",
    )
