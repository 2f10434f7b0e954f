"""Deal hygiene: the opportunities behind each flag of the dashboard, filterable."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.types import HtmxHttpRequest
from forecasting import access, hygiene
from forecasting.forms import HygieneForm


@require_GET
def deal_hygiene(request: HtmxHttpRequest) -> HttpResponse:
    """Flagged open opportunities, a page at a time, with their flags (a fixed number of queries)."""
    access.can_see_forecast.require(request.user)
    form = HygieneForm(request.GET or None)
    status = 200
    flag, region, em = "", None, None
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        flag = form.cleaned_data["flag"] or ""
        region, em = form.cleaned_data["region"], form.cleaned_data["em"]
    qs = hygiene.hygiene_queryset(region_id=region.pk if region else None, em_id=em.pk if em else None)
    if flag:
        qs = qs.filter(hygiene.flag_q(flag))
    else:
        any_flag = Q(pk__in=[])
        for key in hygiene.FLAGS:
            any_flag |= hygiene.flag_q(key)
        qs = qs.filter(any_flag)
    if status == 400:
        qs = qs.none()
    page = Paginator(qs.order_by("close_date", "name", "pk"), settings.PIPELINE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    for row in rows:
        row.hygiene_flags = hygiene.flags_of(row)  # type: ignore[attr-defined]  # for the template
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "forecasting/hygiene.html",
        {
            "form": form,
            "flag": flag,
            "label": hygiene.FLAGS.get(flag, "Deal hygiene"),
            "flags": hygiene.FLAGS,
            "short": hygiene.SHORT,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "stale_days": hygiene.stale_days(),
            "active_nav": "forecasting:dashboard",
        },
        status=status,
    )
