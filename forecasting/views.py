"""The leadership dashboard, its drill-downs and exports, and EM calibration (read-only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from core.csv import csv_response
from core.fiscal import FiscalQuarter
from core.money import quantize_cents, quantize_percent
from core.types import HtmxHttpRequest
from core.validators import parse_integer
from forecasting import access, figures, fragments, mismatches, selectors
from forecasting import calibration as calibration_mod
from forecasting import capacity as capacity_mod
from forecasting import changes as changes_mod
from forecasting.forms import DashboardForm, DrillForm


def _selection(request: HtmxHttpRequest, weeks: list[dt.date]) -> tuple[FiscalQuarter, dt.date | None]:
    form = DashboardForm(request.GET, weeks=weeks)
    if form.is_valid():
        return form.cleaned_data["quarter"], form.cleaned_data["week"]
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    quarter = form.cleaned_data.get("quarter") or FiscalQuarter.current()
    return quarter, form.cleaned_data.get("week")


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(quantize_cents(value))


def _dashboard_data(
    request: HtmxHttpRequest, changes_limit: int | None = changes_mod.SHOWN
) -> dict[str, Any]:
    """The dashboard's figures; the changes list each kind's `changes_limit` largest items (every
    one when None), their counts and totals covering them all."""
    snapshots = selectors.snapshots()
    weeks = [snapshot.week for snapshot in snapshots]
    quarter, week = _selection(request, weeks)
    book = figures.RateBook.load()
    source = figures.source_for(week, snapshots)
    # Only quarters the chosen week's snapshot holds every deal of are offered and shown.
    quarters = [q for q in selectors.quarter_options() if source.answers(q)]
    week_quarter = FiscalQuarter.for_date(week) if week else None
    if week_quarter is not None and week_quarter not in quarters:
        quarters = sorted([*quarters, week_quarter], key=lambda q: q.start)
    scope_note = ""
    if not source.answers(quarter):
        assert week_quarter is not None
        scope_note = (
            f"{source.scope_text()} It cannot show {quarter.label} as it stood that week, "
            f"so {week_quarter.label} is shown instead."
        )
        quarter = week_quarter
    board = figures.dashboard(quarter, source, book)
    previous_week = changes_mod.previous_week(week, weeks)
    previous = figures.source_for(previous_week, snapshots) if previous_week else None
    changes = None
    changes_note = ""
    if previous is not None and previous.answers(quarter):
        changes = changes_mod.compare(quarter, previous, source, book, limit=changes_limit)
    elif previous is not None:
        changes_note = (
            f"{previous.scope_text()} It cannot be compared for {quarter.label} without calling deals "
            "new or removed that did not change."
        )
    trend = figures.trend(quarter, board.overall.plan, book, snapshots)
    closing = board.closing
    # The drill-down links: the URL reversed and the common query encoded once, not once per link.
    prefix = f"{reverse('forecasting:drill')}?" + urlencode(
        {"quarter": quarter.label, "week": week.isoformat() if week else "live"}
    )

    def links(**extra: Any) -> dict[str, str]:
        rest = urlencode({k: v for k, v in extra.items() if v not in (None, "")})
        suffix = f"&{rest}" if rest else ""
        return {key: f"{prefix}&metric={key}{suffix}" for key in figures.METRICS}

    for breakdown in board.by_region:
        breakdown.links = links(  # type: ignore[attr-defined]  # for the template
            region=breakdown.key, scope="" if breakdown.key else "no_region"
        )
    for breakdown in board.by_em:
        breakdown.links = links(  # type: ignore[attr-defined]  # for the template
            em=breakdown.key, scope="" if breakdown.key else "unassigned"
        )
    return {
        "board": board,
        "quarter": quarter,
        "week": week,
        "weeks": weeks,
        "quarters": quarters,
        "scope_note": scope_note,
        "previous_week": previous_week,
        "changes": changes,
        "changes_note": changes_note,
        "snapshot": source.snapshot,
        "trend": trend,
        "closing": closing,
        "links": links(),
        "query": urlencode({"quarter": quarter.label, "week": week.isoformat() if week else "live"}),
        "charts": {
            "trend": {
                "weeks": [p.week.isoformat() for p in trend],
                "closed_won": [_f(p.closed_won) for p in trend],
                "forecast": [_f(p.forecast) for p in trend],
                "best_case_forecast": [_f(p.best_case_forecast) for p in trend],
                "plan": [_f(p.plan) for p in trend],
            },
            "closing": {
                "weeks": [w.isoformat() for w, _, _ in closing],
                "won": [_f(won) for _, won, _ in closing],
                "open": [_f(open_) for _, _, open_ in closing],
            },
            "waterfall": {
                "labels": [
                    "Last week's Commit",
                    *[label for _, label, _ in changes.waterfall],
                    "This week's Commit",
                ],
                "measures": ["absolute", *["relative" for _ in changes.waterfall], "total"],
                "values": [
                    _f(changes.waterfall_start),
                    *[_f(v) for _, _, v in changes.waterfall],
                    _f(changes.waterfall_end),
                ],
            }
            if changes
            else None,
            "currency": board.corporate_currency,
        },
    }


@require_GET
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    access.can_see_forecast.require(request.user)
    context = _dashboard_data(request)
    context["forecast_html"] = fragments.render_sections(context)
    context["active_nav"] = "forecasting:dashboard"
    return render(request, "forecasting/dashboard.html", context)


@require_GET
def drill(request: HtmxHttpRequest) -> HttpResponse:
    """The opportunities behind one figure; their total equals the figure."""
    access.can_see_forecast.require(request.user)
    snapshots = selectors.snapshots()
    form = DrillForm(request.GET, weeks=[snapshot.week for snapshot in snapshots])
    if not form.is_valid():
        return render(request, "forecasting/drill.html", {"form": form, "rows": None}, status=400)
    data = form.cleaned_data
    source = figures.source_for(data["week"], snapshots)
    if not source.answers(data["quarter"]):
        form.add_error("quarter", f"{source.scope_text()} It cannot show {data['quarter'].label}.")
        return render(request, "forecasting/drill.html", {"form": form, "rows": None}, status=400)
    rows, total = figures.drill_down(
        data["quarter"],
        source,
        data["metric"],
        region=data["region"],
        em=data["em"],
        unassigned=data["scope"] == "unassigned",
        no_region=data["scope"] == "no_region",
    )
    if request.GET.get("format") == "csv":
        return _csv(
            f"{data['metric']}-{data['quarter'].label}.csv",
            [
                "Opportunity",
                "Account",
                "Close date",
                "Stage",
                "Confidence",
                "Amount",
                "Currency",
                f"Amount ({figures.corporate_currency()})",
            ],
            [
                [
                    r.name,
                    r.account,
                    r.close_date.isoformat(),
                    r.stage,
                    r.confidence,
                    r.amount,
                    r.currency,
                    "" if r.converted is None else quantize_cents(r.converted),
                ]
                for r in rows
            ],
        )
    return render(
        request,
        "forecasting/drill.html",
        {
            "form": form,
            "rows": rows,
            # A past week's drill-down is that week's record and never changes; where each SOW
            # stands today belongs to the live view only.
            "show_sow": source.snapshot is None,
            "sow_states": mismatches.sow_states_for_ids(row.opportunity_id for row in rows)
            if source.snapshot is None
            else {},
            "total": total,
            "metric": figures.METRICS[data["metric"]],
            "quarter": data["quarter"],
            "source": source,
            "currency": figures.corporate_currency(),
            "back": _dashboard_url(data["quarter"], data["week"]),
            "csv_url": f"{request.get_full_path()}&format=csv",
        },
    )


def _dashboard_url(quarter: FiscalQuarter, week: dt.date | None) -> str:
    params = {"quarter": quarter.label, "week": week.isoformat() if week else "live"}
    return f"{reverse('forecasting:dashboard')}?{urlencode(params)}"


def _csv(filename: str, header: list[str], rows: list[list[Any]]) -> HttpResponse:
    return csv_response(filename, [header, *rows])


def _money(value: Decimal | None) -> Any:
    return "" if value is None else quantize_cents(value)


def _percent(value: Decimal | None) -> Any:
    return "" if value is None else quantize_percent(value)


@require_GET
def export(request: HtmxHttpRequest, table: str) -> HttpResponse:
    """CSV of one dashboard table (formula-like cells neutralised)."""
    access.can_see_forecast.require(request.user)
    data = _dashboard_data(request, changes_limit=None if table == "changes" else changes_mod.SHOWN)
    board, quarter = data["board"], data["quarter"]
    name = f"{table}-{quarter.label}.csv"
    if table in ("regions", "ems"):
        header = [
            "Name",
            "Closed won",
            "Commit",
            "Best case",
            "Pipeline",
            "Forecast (Closed won + Commit)",
            "Best-case forecast (Closed won + Best case)",
            "Plan",
            "Attainment %",
            "Gap",
            "Green",
            "Amber",
            "Red",
            "Grey",
            "Grey share %",
            "Stale",
        ]
        rows = [
            [
                b.name,
                _money(b.figures["closed_won"].amount),
                _money(b.figures["commit"].amount),
                _money(b.figures["best_case"].amount),
                _money(b.figures["pipeline"].amount),
                _money(b.figures["forecast"].amount),
                _money(b.figures["best_case_forecast"].amount),
                _money(b.figures.plan),
                _percent(b.figures.attainment_percent),
                _money(b.figures.gap),
                *[b.figures.colour_counts.get(c, 0) for c in figures.COLOURS],
                _percent(b.figures.grey_share_percent),
                b.figures.stale_count,
            ]
            for b in (board.by_region if table == "regions" else board.by_em)
        ]
        return _csv(name, header, rows)
    if table == "changes":
        changes = data["changes"]
        rows = (
            []
            if changes is None
            else [
                [
                    category.label,
                    item.name,
                    item.account,
                    _money(item.amount),
                    _money(item.native_amount),
                    item.currency,
                    item.detail,
                ]
                for category in changes.categories
                for item in category.items
            ]
        )
        return _csv(
            name,
            [
                "Change",
                "Opportunity",
                "Account",
                f"Amount ({board.corporate_currency})",
                "Amount",
                "Currency",
                "Detail",
            ],
            rows,
        )
    if table == "waterfall":
        changes = data["changes"]
        rows = (
            []
            if changes is None
            else [
                ["Last week's Commit", _money(changes.waterfall_start)],
                *[[label, _money(value)] for _, label, value in changes.waterfall],
                ["This week's Commit", _money(changes.waterfall_end)],
            ]
        )
        return _csv(name, ["Step", f"Amount ({board.corporate_currency})"], rows)
    if table == "trend":
        return _csv(
            name,
            [
                "Week",
                "Closed won",
                "Commit",
                "Best case",
                "Forecast (Closed won + Commit)",
                "Best-case forecast (Closed won + Best case)",
                "Plan",
            ],
            [
                [
                    p.week.isoformat(),
                    _money(p.closed_won),
                    _money(p.commit),
                    _money(p.best_case),
                    _money(p.forecast),
                    _money(p.best_case_forecast),
                    _money(p.plan),
                ]
                for p in data["trend"]
            ],
        )
    if table == "closing":
        return _csv(
            name,
            ["Week", "Closed won", "Open"],
            [[w.isoformat(), _money(won), _money(open_)] for w, won, open_ in data["closing"]],
        )
    if table == "past-due":
        return _csv(
            name,
            [
                "Opportunity",
                "Account",
                "Close date",
                "Stage",
                "Confidence",
                "Amount",
                "Currency",
                f"Amount ({board.corporate_currency})",
            ],
            [
                [
                    r.name,
                    r.account,
                    r.close_date.isoformat(),
                    r.stage,
                    r.confidence,
                    r.amount,
                    r.currency,
                    _money(r.converted),
                ]
                for r in figures.drill_down(board.quarter, board.source, "past_due")[0]
            ],
        )
    raise PermissionDenied("No such table.")


@require_GET
def calibration(request: HtmxHttpRequest) -> HttpResponse:
    access.can_see_forecast.require(request.user)
    try:
        requested = parse_integer(request.GET.get("week_number", calibration_mod.DEFAULT_WEEK))
        week_number = min(13, max(1, requested))
    except ValidationError:
        week_number = calibration_mod.DEFAULT_WEEK
    result = calibration_mod.calibration(week_number=week_number)
    if request.GET.get("format") == "csv":
        rows = [
            [
                row.name,
                *[
                    v
                    for c in calibration_mod.CALLS
                    for v in (row.calls[c].called, row.calls[c].won, _percent(row.calls[c].percent))
                ],
            ]
            for row in [result.overall, *result.by_em]
        ]
        header = ["EM", *[f"{c} {k}" for c in calibration_mod.CALLS for k in ("called", "won", "won %")]]
        return _csv("em-calibration.csv", header, rows)
    chart = {
        "names": [row.name for row in [result.overall, *result.by_em]],
        "series": {
            c: [_f(row.calls[c].percent) for row in [result.overall, *result.by_em]]
            for c in calibration_mod.CALLS
        },
        # How many calls each bar stands on: bars on fewer than MIN_SAMPLE are greyed, not evidence.
        "counts": {
            c: [row.calls[c].called for row in [result.overall, *result.by_em]] for c in calibration_mod.CALLS
        },
        "min_sample": calibration_mod.MIN_SAMPLE,
    }
    return render(
        request,
        "forecasting/calibration.html",
        {
            "result": result,
            "calls": calibration_mod.CALLS,
            "chart": chart,
            "min_sample": calibration_mod.MIN_SAMPLE,
            "week_number": week_number,
            "week_choices": range(1, 14),
            "active_nav": "forecasting:calibration",
        },
    )


@require_GET
def capacity(request: HtmxHttpRequest) -> HttpResponse:
    """The next 12 weeks: capacity, confirmed, proposed and weighted pipeline demand, with a heat map."""
    access.can_see_capacity.require(request.user)
    dimension = request.GET.get("by", "region")
    if dimension not in dict(capacity_mod.DIMENSIONS):
        messages.error(request, "Group by region, role, skill, language or time-zone band.")
        dimension = "region"
    result = capacity_mod.capacity(start=timezone.localdate(), dimension=dimension)
    if request.GET.get("format") == "csv":
        return _capacity_csv(result, people=request.GET.get("table") == "people")
    return render(
        request,
        "forecasting/capacity.html",
        {
            "result": result,
            "dimensions": capacity_mod.DIMENSIONS,
            "demand_rule": capacity_mod.DEMAND_RULE,
            "currency": figures.corporate_currency(),
            "active_nav": "forecasting:capacity",
        },
    )


def _hours(value: Decimal) -> Decimal:
    return quantize_cents(value)


def _capacity_csv(result: capacity_mod.Capacity, *, people: bool) -> HttpResponse:
    """The capacity page's tables as CSV: one line per group (or person) and week, in hours."""
    if people:
        header = [
            "Person",
            "Role",
            "Region",
            "Target %",
            "Week",
            "Capacity",
            "Confirmed",
            "Proposed",
            "Utilization %",
        ]
        rows = [
            [
                row.person.name,
                row.person.get_role_display(),
                row.person.region.code if row.person.region else "",
                _percent(row.target),
                week.isoformat(),
                _hours(cell.capacity),
                _hours(cell.confirmed),
                _hours(cell.proposed),
                _percent(cell.utilization),
            ]
            for row in result.people
            for week, cell in zip(result.weeks, row.cells, strict=True)
        ]
        return _csv("capacity-people.csv", header, rows)
    header = [
        dict(capacity_mod.DIMENSIONS)[result.dimension],
        "Week",
        "Capacity",
        "Confirmed",
        "Proposed",
        "Weighted demand",
        "Outlook %",
    ]
    groups = [(group.label, group.cells) for group in result.groups] + [("All", result.totals)]
    rows = [
        [
            label,
            week.isoformat(),
            _hours(cell.capacity),
            _hours(cell.confirmed),
            _hours(cell.proposed),
            _hours(cell.demand),
            _percent(cell.outlook),
        ]
        for label, cells in groups
        for week, cell in zip(result.weeks, cells, strict=True)
    ]
    return _csv(f"capacity-by-{result.dimension}.csv", header, rows)
