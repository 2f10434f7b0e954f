"""Call accuracy: each person's week-by-week Commit call against the quarter's actual Closed won."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from calls import access
from calls import accuracy as accuracy_mod
from calls.models import Level
from core.fiscal import FiscalQuarter
from core.money import quantize_percent
from core.types import HtmxHttpRequest


def _p(value: Decimal | None) -> float | None:
    return None if value is None else float(quantize_percent(value))


LEVELS = [("", "Every level"), *Level.choices]


@require_GET
def call_accuracy(request: HtmxHttpRequest) -> HttpResponse:
    access.can_see_calls.require(request.user)
    result = accuracy_mod.accuracy()
    errors: list[str] = []
    quarter = result.quarters[0]
    value = request.GET.get("quarter", "").strip()
    if value:
        try:
            parsed = FiscalQuarter.parse(value)
        except ValueError:
            errors.append("Choose a fiscal quarter such as FY27-Q3.")
        else:
            if parsed in result.quarters:
                quarter = parsed
            else:
                errors.append("Choose one of the last four closed quarters.")
    level = request.GET.get("level", "")
    if level not in dict(LEVELS):
        errors.append("Choose a level from the list.")
        level = ""
    people = [p for p in result.people if not level or p.level == level]
    weeks = len(accuracy_mod.quarter_weeks(quarter))
    rows = [(person, person.percent_by_week(quarter, weeks)) for person in people]
    chart = {
        "weeks": list(range(1, weeks + 1)),
        "series": [
            {"name": person.name, "values": [_p(v) for v in percents]}
            for person, percents in rows
            if any(v is not None for v in percents)
        ],
    }
    return render(
        request,
        "calls/accuracy.html",
        {
            "result": result,
            "quarter": quarter,
            "level": level,
            "levels": LEVELS,
            "rows": rows,
            "week_numbers": range(1, weeks + 1),
            "errors": errors,
            "chart": chart,
            "band": accuracy_mod.BIAS_BAND_PERCENT,
            "active_nav": "forecasting:calibration",
        },
        status=400 if errors else 200,
    )
