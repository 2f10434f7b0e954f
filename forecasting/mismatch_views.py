"""The opportunities behind each SOW/Salesforce mismatch count of the dashboard."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.types import HtmxHttpRequest
from forecasting import access, mismatches
from forecasting.figures import RateBook


@require_GET
def sow_mismatches(request: HtmxHttpRequest) -> HttpResponse:
    """One flag's opportunities, a page at a time, with their SOW state (a fixed number of queries)."""
    access.can_see_forecast.require(request.user)
    flag = request.GET.get("flag", "")
    if flag not in mismatches.FLAGS:
        return render(
            request,
            "forecasting/sow_mismatches.html",
            {"flags": mismatches.FLAGS, "flag": None, "error": "Choose one of the mismatches below."},
            status=400,
        )
    book = RateBook.load()
    page = Paginator(mismatches.flagged(flag, book=book), settings.PIPELINE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    states = mismatches.sow_states(rows, book=book)
    return render(
        request,
        "forecasting/sow_mismatches.html",
        {
            "flags": mismatches.FLAGS,
            "flag": flag,
            "label": mismatches.FLAGS[flag],
            "page": page,
            "rows": [(row, states[row.pk]) for row in rows],
            "active_nav": "forecasting:dashboard",
        },
    )
