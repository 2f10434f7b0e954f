"""Thin views for SOW pages: drafting, costs, transitions, PDFs, signature and hand-off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import panels
from core.exceptions import Conflict
from core.service_errors import apply_to_form, flash
from core.types import HtmxHttpRequest
from scoping import selectors as scoping_selectors
from sow import access, selectors, services, uploads
from sow.forms import (
    CostLineForm,
    HandOffForm,
    SectionsForm,
    SentForm,
    SignedForm,
    SowListFilterForm,
    SubmitForm,
    TransitionForm,
    WithdrawForm,
)
from sow.models import SECTIONS, CostLine, SowDocument, SowStatus, SowVersion
from sow.pdf_status import document_statuses

PAGE_SIZE = 50


@require_GET
def sow_list(request: HtmxHttpRequest) -> HttpResponse:
    """The latest version of every SOW the user may read, newest first, filtered and paged in the
    database (so the oldest SOWs are as reachable as the newest)."""
    access.can_use_sows.require(request.user)
    form = SowListFilterForm(request.GET)
    versions = selectors.sow_list(request.user, status=form.cleaned_data["status"] if form.is_valid() else "")
    if form.errors:
        versions = versions.none()
    page = Paginator(versions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "sow/list.html",
        {
            "form": form,
            "page": page,
            "rows": selectors.margins_for(list(page.object_list)),
            "statuses": SowStatus.choices,
            "status": form.data.get("status", ""),
            "query": query.urlencode(),
            "active_nav": "sow:list",
        },
    )


@require_POST
def sow_create(request: HtmxHttpRequest, issue_pk: int) -> HttpResponse:
    issue = scoping_selectors.issue_for_user(user=request.user, pk=issue_pk)
    access.can_create.require(request.user, issue)
    try:
        sow = services.sow_create(actor=request.user, issue=issue)
    except ValidationError as exc:
        flash(request, exc)
        return redirect(issue)
    messages.success(request, f"{sow.reference} drafted from the agreed estimate.")
    return redirect(sow)


@require_GET
def sow_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    sow = selectors.sow_for_user(user=request.user, pk=pk)
    latest = selectors.latest_version(sow)
    if latest is None:
        raise Http404("This SOW has no version.")
    return redirect(latest)


def _version_context(request: HtmxHttpRequest, version: SowVersion, **extra: Any) -> dict[str, Any]:
    can_edit = access.can_edit(request.user, version.sow)
    lines = selectors.cost_lines(version)
    margin = services.version_margin(version)
    problems = services.submission_problems(version) if can_edit and version.status == SowStatus.DRAFT else []
    context: dict[str, Any] = {
        "version": version,
        "sow": version.sow,
        "opp": version.sow.opportunity,
        "issue": version.sow.scoping_issue,
        "versions": list(version.sow.versions.order_by("number")),
        "sections": [(label, getattr(version, name)) for name, label in SECTIONS],
        "cost_lines": lines,
        "margin": margin,
        "approvals": selectors.approvals(version),
        **_pdf_context(version),
        "can_edit": can_edit,
        "editable": can_edit and version.is_editable,
        "problems": problems,
        "last_approved": selectors.last_approved(version),
        "days_to_signature": services.days_to_signature(version),
        "cost_form": CostLineForm(version=version) if can_edit and version.is_editable else None,
        "kind_margins": services.kind_margins(version, lines),
        "submit_form": SubmitForm(
            initial={"justification": version.below_target_justification, "version": version.version}
        ),
        "transition_form": TransitionForm(initial={"version": version.version}),
        "withdraw_form": WithdrawForm(initial={"version": version.version}),
        "sent_form": SentForm(initial={"version": version.version}),
        "signed_form": SignedForm(initial={"version": version.version}),
        "handoff_form": HandOffForm(initial={"version": version.version}),
        "hand_off": getattr(version, "hand_off", None) if version.status == SowStatus.HANDED_OFF else None,
        "panels": panels.panels_for("sow_version", request.user, version),
    }
    context.update(extra)
    return context


@require_GET
def version_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    return render(request, "sow/version.html", _version_context(request, version))


def _check_edit(request: HtmxHttpRequest, version: SowVersion) -> None:
    access.can_edit.require(request.user, version.sow)


@require_http_methods(["GET", "POST"])
def version_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    _check_edit(request, version)
    if not version.is_editable:
        messages.error(
            request, f"{version.label} is {version.get_status_display().lower()}; revise it to change it."
        )
        return redirect(version)
    initial = {name: getattr(version, name) for name, _ in SECTIONS}
    initial.update(
        recommendation=version.recommendation,
        pricing_type=version.pricing_type,
        expiry_date=version.expiry_date,
        effective_date=version.effective_date,
        non_standard_terms=version.non_standard_terms,
        non_standard_terms_note=version.non_standard_terms_note,
        version=version.version,
    )
    form = SectionsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sections = {name: data[name] for name, _ in SECTIONS}
        try:
            services.sow_update_sections(
                actor=request.user,
                version=version,
                expected_version=data["version"],
                pricing_type=data["pricing_type"],
                expiry_date=data["expiry_date"],
                effective_date=data["effective_date"],
                recommendation=data["recommendation"],
                non_standard_terms=data["non_standard_terms"],
                non_standard_terms_note=data["non_standard_terms_note"],
                **sections,
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "SOW saved.")
            return redirect(version)
    return render(request, "sow/version_form.html", {"form": form, "version": version, "sow": version.sow})


@require_POST
def cost_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    _check_edit(request, version)
    form = CostLineForm(request.POST, version=version)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.cost_line_add(
                actor=request.user,
                version=version,
                kind=data["kind"],
                description=data["description"],
                delivery_role=data["delivery_role"],
                person=data["person"],
                hours=data["hours"],
                amount=data["amount"],
                estimate_line=data["estimate_line"],
                no_cost_reason=data["no_cost_reason"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, "Cost added.")
            return redirect(version)
    return render(request, "sow/version.html", _version_context(request, version, cost_form=form))


@require_POST
def cost_update(request: HtmxHttpRequest, pk: int, line_pk: int) -> HttpResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    _check_edit(request, version)
    line = CostLine.objects.filter(pk=line_pk, cost_estimate__sow_version=version).first()
    if line is None:
        raise Http404("No such cost line.")
    try:
        if request.POST.get("delete"):
            services.cost_line_delete(actor=request.user, line=line)
            messages.success(request, "Cost removed.")
        else:
            services.cost_line_update(
                actor=request.user,
                line=line,
                description=request.POST.get("description", ""),
                hours=request.POST.get("hours"),
                amount=request.POST.get("amount"),
                no_cost_reason=request.POST.get("no_cost_reason"),
            )
            messages.success(request, "Cost updated.")
    except ValidationError as exc:
        flash(request, exc)
    return redirect(version)


# action -> the form it posts, and the name the version page gives that form
TRANSITION_FORMS: dict[str, tuple[type[TransitionForm], str]] = {
    "submit": (SubmitForm, "submit_form"),
    "reopen": (TransitionForm, "transition_form"),
    "revise": (TransitionForm, "transition_form"),
    "withdraw": (WithdrawForm, "withdraw_form"),
    "sent": (SentForm, "sent_form"),
    "signed": (SignedForm, "signed_form"),
    "handoff": (HandOffForm, "handoff_form"),
}
# Forms whose fields carry their own errors on the page; the others report as messages.
FIELD_ERROR_ACTIONS = {"withdraw", "sent", "signed", "handoff"}
STALE_PAGE = "This page was out of date, so nothing was changed. Reload it and try again."


def _transition(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    _check_edit(request, version)
    form_class, context_name = TRANSITION_FORMS[action]
    form = form_class(request.POST, request.FILES) if action == "signed" else form_class(request.POST)
    valid = form.is_valid()
    if action == "signed" and uploads.upload_refused(request):
        form.errors.pop("signed_copy", None)
        form.add_error("signed_copy", ValidationError(uploads.too_large_message(), code="too_large"))
        valid = False
    elif "version" in form.errors:
        messages.error(request, STALE_PAGE)
        return redirect(version)
    if not valid:
        if action in FIELD_ERROR_ACTIONS:
            return _version_page_with(request, version, context_name, form)
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect(version)
    data = form.cleaned_data
    expected = data["version"]
    try:
        if action == "submit":
            services.sow_submit(
                actor=request.user,
                version=version,
                expected_version=expected,
                justification=data["justification"],
            )
            messages.success(request, f"{version.label} submitted for approval.")
        elif action == "reopen":
            services.sow_reopen(actor=request.user, version=version, expected_version=expected)
            messages.success(request, f"{version.label} is a draft again.")
        elif action == "revise":
            new = services.sow_revise(actor=request.user, version=version, expected_version=expected)
            messages.success(request, f"{new.label} drafted from {version.label}; it needs approval again.")
            return redirect(new)
        elif action == "withdraw":
            services.sow_withdraw(
                actor=request.user, version=version, expected_version=expected, reason=data["reason"]
            )
            messages.success(request, f"{version.label} withdrawn.")
        elif action == "sent":
            services.sow_mark_sent(
                actor=request.user,
                version=version,
                expected_version=expected,
                sent_on=data["sent_on"],
                recipients=data["recipients"],
            )
            messages.success(request, f"{version.label} marked sent.")
        elif action == "signed":
            services.sow_mark_signed(
                actor=request.user,
                version=version,
                expected_version=expected,
                signed_on=data["signed_on"],
                signed_copy=data["signed_copy"],
            )
            messages.success(request, f"{version.label} marked signed.")
        elif action == "handoff":
            services.sow_hand_off(
                actor=request.user,
                version=version,
                expected_version=expected,
                delivery_lead=data["delivery_lead"],
                kickoff_date=data["kickoff_date"],
                staffing_confirmed=data["staffing_confirmed"],
                notes=data["notes"],
                staffing_override_reason=data["staffing_override_reason"],
            )
            messages.success(request, f"{version.sow.reference} handed off to delivery.")
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        if action not in FIELD_ERROR_ACTIONS:
            flash(request, exc)
            return redirect(version)
        apply_to_form(form, exc)
        return _version_page_with(request, version, context_name, form)
    return redirect(version)


def _version_page_with(
    request: HtmxHttpRequest, version: SowVersion, context_name: str, form: TransitionForm
) -> HttpResponse:
    """The version page again, with the form the user sent and its errors next to the fields."""
    version.refresh_from_db()
    return render(request, "sow/version.html", _version_context(request, version, **{context_name: form}))


@require_POST
def version_transition(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in TRANSITION_FORMS:
        raise Http404("No such action.")
    return _transition(request, pk, action)


@require_POST
def pdf_request(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    document = services.sow_request_pdf(actor=request.user, version=version)
    messages.info(request, f"The {document.get_kind_display().lower()} PDF is queued: its state shows below.")
    return redirect(version)


@require_GET
def pdf_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The PDF panel alone, polled by the version page while a PDF is queued or rendering."""
    version = selectors.version_for_user(user=request.user, pk=pk)
    return render(request, "sow/_pdf_panel.html", _pdf_context(version))


def _pdf_context(version: SowVersion) -> dict[str, Any]:
    statuses = document_statuses(version)
    return {
        "version": version,
        "pdf_statuses": statuses,
        "pdf_polling": any(not status.final for _, status in statuses),
    }


@require_GET
def download_pdf(request: HtmxHttpRequest, pk: int, kind: str) -> FileResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    document = SowDocument.objects.filter(
        sow_version=version, kind=kind, status=SowDocument.Status.READY
    ).first()
    if document is None or not document.file:
        raise Http404("That PDF is not ready.")
    name = f"{version.sow.reference}-{version.label}{'-DRAFT' if kind == 'draft' else ''}.pdf"
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )


@require_GET
def download_signed(request: HtmxHttpRequest, pk: int) -> FileResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    if not version.signed_copy:
        raise Http404("No signed copy.")
    return FileResponse(
        version.signed_copy.open("rb"),
        as_attachment=True,
        filename=f"{version.sow.reference}-{version.label}-signed.pdf",
        content_type="application/pdf",
    )


@require_GET
def version_diff(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_for_user(user=request.user, pk=pk)
    base = selectors.last_approved(version)
    if base is None:
        messages.info(request, "There is no earlier approved version to compare with.")
        return redirect(version)
    old_margin, new_margin = services.version_margin(base), services.version_margin(version)
    return render(
        request,
        "sow/diff.html",
        {
            "version": version,
            "base": base,
            "sow": version.sow,
            "sections": selectors.version_diff(base, version),
            "old_margin": old_margin,
            "new_margin": new_margin,
        },
    )
