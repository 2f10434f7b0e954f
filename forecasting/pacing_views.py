"""Pacing: this quarter's Closed won to date against the same point of the four quarters before."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.fiscal import FiscalQuarter
from core.money import quantize_cents, quantize_percent
from core.types import HtmxHttpRequest
from forecasting import access
from forecasting import pacing as pacing_mod


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(quantize_cents(value))


def _p(value: Decimal | None) -> float | None:
    return None if value is None else float(quantize_percent(value))


@require_GET
def pacing(request: HtmxHttpRequest) -> HttpResponse:
    access.can_see_forecast.require(request.user)
    current = FiscalQuarter.current()
    choices = [current.shift(-n) for n in range(0, 5)]
    error = ""
    quarter = current
    value = request.GET.get("quarter", "").strip()
    if value:
        try:
            quarter = FiscalQuarter.parse(value)
        except ValueError:
            error = "Choose a fiscal quarter such as FY27-Q3."
        else:
            if quarter.start > timezone.localdate():
                error = "Choose this quarter or an earlier one: a quarter that has not started has no pace."
                quarter = current
    result = pacing_mod.pacing(None if error else quarter)
    weeks = pacing_mod.week_count(result.quarter)
    chart = {
        "currency": result.currency,
        "weeks": list(range(1, weeks + 1)),
        "current_week": result.week_number,
        "shares": [
            {"name": pace.quarter.label, "values": [_p(v) for v in pace.shares_by_week()]}
            for pace in result.earlier
        ],
        "amounts": [
            {"name": pace.quarter.label, "values": [_f(v) for v in pace.by_week]}
            for pace in [result.current, *result.earlier]
        ],
    }
    return render(
        request,
        "forecasting/pacing.html",
        {
            "result": result,
            "choices": choices,
            "error": error,
            "chart": chart,
            "active_nav": "forecasting:dashboard",
        },
        status=400 if error else 200,
    )
