"""Staffing pages: a SOW's staffing requirements, the ranked candidates of one, and assignments.

Thin: permission → form → one service → redirect, or the page again with the errors next to the
fields they concern.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.exceptions import Conflict
from core.service_errors import apply_to_form
from core.types import HtmxHttpRequest
from people import selectors as people_selectors
from people.models import time_zone_names
from sow import selectors as sow_selectors
from staffing import access, services
from staffing import selectors as reads
from staffing.forms import AssignmentForm, CancelForm, ConfirmForm, RequirementForm
from staffing.models import Assignment, AssignmentStatus, StaffingRequirement


def _text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_GET
def staffing_list(request: HtmxHttpRequest) -> HttpResponse:
    access.can_use_staffing.require(request.user)
    return render(
        request,
        "staffing/list.html",
        {"requirements": reads.open_requirements(request.user), "active_nav": "staffing:list"},
    )


def _requirement_form_page(
    request: HtmxHttpRequest, form: RequirementForm, *, sow: Any, requirement: StaffingRequirement | None
) -> HttpResponse:
    return render(
        request,
        "staffing/requirement_form.html",
        {"form": form, "sow": sow, "requirement": requirement, "time_zones": sorted(time_zone_names())},
    )


@require_http_methods(["GET", "POST"])
def requirement_create(request: HtmxHttpRequest, sow_pk: int) -> HttpResponse:
    sow = sow_selectors.sow_for_user(user=request.user, pk=sow_pk)
    access.can_edit.require(request.user, sow)
    form = RequirementForm(request.POST or None, skills=people_selectors.skills())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        required, nice = form.skill_levels()
        try:
            requirement = services.staffing_requirement_create(
                actor=request.user,
                sow=sow,
                delivery_role=data["delivery_role"],
                title=data["title"],
                hours_per_week=data["hours_per_week"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                customer_time_zone=data["customer_time_zone"],
                overlap_hours=data["overlap_hours"],
                languages=data["languages"],
                required_skills=required,
                nice_skills=nice,
                notes=data["notes"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        else:
            messages.success(request, f"Staffing requirement “{requirement.label}” added.")
            return redirect(requirement)
    return _requirement_form_page(request, form, sow=sow, requirement=None)


@require_http_methods(["GET", "POST"])
def requirement_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    requirement = reads.requirement_for_user(user=request.user, pk=pk)
    access.can_edit.require(request.user, requirement.sow)
    form = RequirementForm(
        request.POST or None,
        skills=people_selectors.skills(),
        initial=RequirementForm.initial_for(requirement),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        required, nice = form.skill_levels()
        try:
            services.staffing_requirement_update(
                actor=request.user,
                requirement=requirement,
                expected_version=data["version"] or 0,
                delivery_role=data["delivery_role"],
                title=data["title"],
                hours_per_week=data["hours_per_week"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                customer_time_zone=data["customer_time_zone"],
                overlap_hours=data["overlap_hours"],
                languages=data["languages"],
                required_skills=required,
                nice_skills=nice,
                notes=data["notes"],
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Staffing requirement saved.")
            return redirect(requirement)
    return _requirement_form_page(request, form, sow=requirement.sow, requirement=requirement)


@require_POST
def requirement_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    requirement = reads.requirement_for_user(user=request.user, pk=pk)
    sow = requirement.sow
    access.can_edit.require(request.user, sow)
    try:
        services.staffing_requirement_delete(actor=request.user, requirement=requirement)
    except ValidationError as exc:
        messages.error(request, _text(exc))
        return redirect(requirement)
    messages.success(request, "Staffing requirement removed.")
    return redirect(sow)


def _detail(
    request: HtmxHttpRequest,
    requirement: StaffingRequirement,
    *,
    assignment_form: AssignmentForm | None = None,
    person_error: tuple[int, str] | None = None,
    assignment_error: tuple[int, str] | None = None,
) -> HttpResponse:
    sow = requirement.sow
    stage = reads.sow_stage(sow)
    can_edit = access.can_edit(request.user, sow)
    can_manage = access.can_manage(request.user)
    candidates = reads.candidates_for(requirement)
    assignments = reads.assignments_for_requirement(requirement)
    if person_error is not None:
        for candidate in [*candidates.ranked, *candidates.unqualified, *candidates.unavailable]:
            if candidate.person.pk == person_error[0]:
                candidate.error = person_error[1]
    if assignment_error is not None:
        for assignment in assignments:
            if assignment.pk == assignment_error[0]:
                assignment.error = assignment_error[1]  # type: ignore[attr-defined]  # shown on its row
    can_add = can_edit and not stage.closed and (can_manage or not stage.handed_off)
    return render(
        request,
        "staffing/requirement.html",
        {
            "requirement": requirement,
            "sow": sow,
            "opp": sow.opportunity,
            "stage": stage,
            "skills": list(requirement.skills.all()),
            "candidates": candidates,
            "assignments": assignments,
            "can_edit_requirement": can_edit and stage.requirements_open,
            "can_propose": can_add,
            "can_confirm": can_manage and stage.signed and not stage.closed,
            "can_manage": can_manage,
            "assignment_form": assignment_form or (AssignmentForm() if can_add else None),
            "active_nav": "staffing:list",
        },
    )


@require_GET
def requirement_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, reads.requirement_for_user(user=request.user, pk=pk))


@require_POST
def assignment_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Propose a person (action=propose) or, for PS Operations on a signed SOW, confirm them straight
    away (action=confirm)."""
    requirement = reads.requirement_for_user(user=request.user, pk=pk)
    action = request.POST.get("action", "propose")
    if action not in ("propose", "confirm"):
        action = "propose"
    access.can_propose.require(request.user, requirement.sow)
    if action == "confirm":
        access.can_confirm.require(request.user)
    form = AssignmentForm(request.POST)
    if not form.is_valid():
        return _detail(request, requirement, assignment_form=form)
    data = form.cleaned_data
    person = data["person"]
    terms = {
        "hours_per_week": data["hours_per_week"],
        "start_date": data["start_date"],
        "end_date": data["end_date"],
    }
    try:
        if action == "confirm":
            assignment = services.assignment_staff(
                actor=request.user,
                requirement=requirement,
                person=person,
                override_reason=data["override_reason"],
                **terms,
            )
        else:
            assignment = services.assignment_propose(
                actor=request.user, requirement=requirement, person=person, **terms
            )
    except ValidationError as exc:
        # Errors go next to the row's buttons, and onto the full form when that is what was used.
        from_form = request.POST.get("source") == "form"
        if from_form:
            apply_to_form(form, exc)
        return _detail(
            request,
            requirement,
            assignment_form=form if from_form else None,
            person_error=(person.pk, _text(exc)),
        )
    verb = "confirmed" if assignment.status == AssignmentStatus.CONFIRMED else "proposed"
    messages.success(request, f"{person.name} {verb} for {requirement.label}.")
    return redirect(requirement)


def _assignment_action(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    assignment = reads.assignment_for_user(user=request.user, pk=pk)
    requirement = reads.requirement_for_user(user=request.user, pk=assignment.requirement_id)
    if action == "confirm":
        access.can_confirm.require(request.user)
    else:
        access.require_may_cancel(request.user, assignment)
    form: ConfirmForm | CancelForm = (
        ConfirmForm(request.POST) if action == "confirm" else CancelForm(request.POST)
    )
    if not form.is_valid():
        return _detail(
            request, requirement, assignment_error=(assignment.pk, _text(ValidationError(form.errors)))
        )
    try:
        done: Assignment
        if action == "confirm":
            done = services.assignment_confirm(
                actor=request.user,
                assignment=assignment,
                override_reason=form.cleaned_data["override_reason"],
            )
        else:
            done = services.assignment_cancel(
                actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
            )
    except ValidationError as exc:
        return _detail(request, requirement, assignment_error=(assignment.pk, _text(exc)))
    messages.success(request, f"{done.person.name}: assignment {done.get_status_display().lower()}.")
    return redirect(requirement)


@require_POST
def assignment_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _assignment_action(request, pk, "confirm")


@require_POST
def assignment_cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _assignment_action(request, pk, "cancel")
