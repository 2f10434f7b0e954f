"""Forecast call pages: my call (submit and revise), team calls, the organisation's roll-up and the
CSV export. Views check access, parse the form and call one service or selector."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from calls import access, selectors, services
from calls.forms import CallForm, WeekForm
from core.csv import csv_response
from core.exceptions import Conflict
from core.fiscal import FiscalQuarter
from core.money import quantize_cents, quantize_percent
from core.types import HtmxHttpRequest
from people.models import Person


def _week_selection(request: HtmxHttpRequest) -> tuple[FiscalQuarter, dt.date, WeekForm]:
    this_week = selectors.current_week()
    form = WeekForm(request.GET, default_week=this_week)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    quarter = form.cleaned_data.get("quarter") or FiscalQuarter.current()
    week = form.cleaned_data.get("week") or this_week
    return quarter, week, form


def drill_link(quarter: FiscalQuarter, week: dt.date, em_id: int) -> str:
    """The forecast drill-down of an EM's Commit (Closed won + Green) for the quarter."""
    as_of = "live" if week >= selectors.current_week() else week.isoformat()
    query = urlencode({"quarter": quarter.label, "week": as_of, "metric": "forecast", "em": str(em_id)})
    return f"{reverse('forecasting:drill')}?{query}"


def table_context(rollup: selectors.Rollup, lines: list[selectors.CallLine]) -> dict[str, Any]:
    team_url = reverse("calls:team")
    base = urlencode({"quarter": rollup.quarter.label, "week": rollup.week.isoformat()})
    for line in lines:
        line.drill_url = (  # type: ignore[attr-defined]  # for the template
            f"{team_url}?{base}&person={line.pk}"
            if line.reports
            else drill_link(rollup.quarter, rollup.week, line.pk)
        )
    return {"rollup": rollup, "lines": lines, "currency": rollup.currency}


@require_http_methods(["GET", "POST"])
def mine(request: HtmxHttpRequest) -> HttpResponse:
    """The person's own call for this week (a manager's is their team call), prefilled."""
    access.can_make_calls.require(request.user)
    person = access.person_of(request.user)
    assert person is not None
    open_quarters = selectors.quarters_open()
    quarter = open_quarters[0]
    asked = request.POST.get("quarter") or request.GET.get("quarter")
    if asked:
        quarter = next((q for q in open_quarters if q.label == asked), quarter)
    week = selectors.current_week()
    form: CallForm | None = None
    if request.method == "POST":
        form = CallForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.call_submit(
                    actor=request.user,
                    person=person,
                    quarter=data["quarter"],
                    commit=data["commit"],
                    best_case=data["best_case"],
                    note=data["note"],
                    expected_version=data["version"],
                    week=data["week"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            except Conflict as conflict:
                messages.error(request, conflict.message)
                return redirect(f"{reverse('calls:mine')}?quarter={quarter.label}")
            else:
                messages.success(request, f"Your {data['quarter'].label} call for this week is saved.")
                return redirect(f"{reverse('calls:mine')}?quarter={data['quarter'].label}")
    rollup = selectors.rollup(quarter, week)
    line = next((x for x in rollup.lines if x.pk == person.pk), None)
    context: dict[str, Any] = {
        "person": person,
        "quarter": quarter,
        "quarters": open_quarters,
        "week": week,
        "line": line,
        "deadline": rollup.deadline,
        "late_now": selectors.is_late(week, timezone.now()),
        "active_nav": "calls:mine",
    }
    if line is not None:
        call = line.call
        if form is None:
            form = CallForm(
                initial={
                    "quarter": quarter.label,
                    "week": week,
                    "version": call.version if call else 0,
                    "commit": call.commit if call else quantize_cents(line.below_commit or Decimal("0")),
                    "best_case": call.best_case
                    if call
                    else quantize_cents(line.below_best_case or Decimal("0")),
                    "note": call.note if call else "",
                }
            )
        context.update(
            form=form,
            revisions=selectors.revisions_of(call),
            team=table_context(rollup, rollup.team(person.pk)[1:]) if line.reports else None,
        )
    status = 400 if form is not None and form.errors else 200
    return render(request, "calls/mine.html", context, status=status)


@require_GET
def team(request: HtmxHttpRequest) -> HttpResponse:
    """A manager's team: each report's status, system number, call, note and change from last week."""
    quarter, week, form = _week_selection(request)
    person_id = form.cleaned_data.get("person")
    own = access.person_of(request.user)
    if person_id:
        target = Person.objects.filter(pk=person_id).first()
        if target is None:
            raise Http404("No such person.")
    elif own is not None:
        target = own
    else:
        raise PermissionDenied(access.can_view_team.message)
    access.can_view_team.require(request.user, target)
    rollup = selectors.rollup(quarter, week)
    line = next((x for x in rollup.lines if x.pk == target.pk), None)
    lines = rollup.team(target.pk) if line is not None else []
    context = {
        "target": target,
        "line": line,
        "quarter": quarter,
        "week": week,
        "weeks": selectors.weeks_with_calls(),
        "is_own": own is not None and own.pk == target.pk,
        "active_nav": "calls:team",
        **table_context(rollup, lines),
        "manager_url": f"{reverse('calls:team')}?"
        + urlencode({"quarter": quarter.label, "week": week.isoformat(), "person": str(line.manager_id)})
        if line is not None and line.manager_id
        else "",
    }
    return render(request, "calls/team.html", context)


@require_GET
def organisation(request: HtmxHttpRequest) -> HttpResponse:
    """Every level's call, from the organisation down to the EMs."""
    access.can_see_calls.require(request.user)
    quarter, week, _form = _week_selection(request)
    rollup = selectors.rollup(quarter, week)
    context = {
        "quarter": quarter,
        "week": week,
        "weeks": selectors.weeks_with_calls(),
        "query": urlencode({"quarter": quarter.label, "week": week.isoformat()}),
        "active_nav": "calls:org",
        **table_context(rollup, rollup.lines),
    }
    return render(request, "calls/org.html", context)


def _money(value: Decimal | None) -> Any:
    return "" if value is None else quantize_cents(value)


@require_GET
def export(request: HtmxHttpRequest) -> HttpResponse:
    """CSV of the calls of one week, every level or one (formula-like cells neutralised)."""
    access.can_see_calls.require(request.user)
    quarter, week, form = _week_selection(request)
    level = form.cleaned_data.get("level") or ""
    rollup = selectors.rollup(quarter, week)
    names = {line.pk: line.name for line in rollup.lines}
    rows: list[list[Any]] = [
        [
            "Quarter",
            "Week",
            "Level",
            "Person",
            "Manager",
            "Status",
            f"System commit ({rollup.currency})",
            "System best case",
            "Commit call",
            "Best case call",
            "Sum below (commit)",
            "Adjustment (commit)",
            "Adjustment (best case)",
            "Plan",
            "Attainment of call %",
            "Change in commit since last week",
            "Change in best case since last week",
            "Note",
            "Submitted at (UTC)",
        ]
    ]
    for line in rollup.lines:
        if level and line.level != level:
            continue
        call = line.call
        rows.append(
            [
                quarter.label,
                week.isoformat(),
                line.level_label,
                line.name,
                names.get(line.manager_id or 0, ""),
                line.status,
                _money(line.system_commit),
                _money(line.system_best_case),
                _money(call.commit if call else None),
                _money(call.best_case if call else None),
                _money(line.below_commit),
                _money(line.adjustment_commit),
                _money(line.adjustment_best_case),
                _money(line.plan),
                "" if line.attainment_percent is None else quantize_percent(line.attainment_percent),
                _money(line.change_commit),
                _money(line.change_best_case),
                call.note if call else "",
                call.submitted_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if call else "",
            ]
        )
    suffix = f"-{level}" if level else ""
    return csv_response(f"calls-{quarter.label}-{week.isoformat()}{suffix}.csv", rows)
