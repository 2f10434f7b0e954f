"""The people directory: list with filters, a person's page, and the edit page for PS Operations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core import panels
from core.exceptions import Conflict
from core.service_errors import apply_to_form
from core.types import HtmxHttpRequest
from people import access, selectors, services
from people.filters import PersonFilter
from people.forms import PersonForm
from people.models import time_zone_names

PAGE_SIZE = 50


def _check_directory(request: HtmxHttpRequest) -> None:
    access.can_use_directory.require(request.user)


@require_GET
def person_list(request: HtmxHttpRequest) -> HttpResponse:
    _check_directory(request)
    person_filter = PersonFilter(request.GET, queryset=selectors.directory().order_by("name", "pk"))
    page = Paginator(person_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/list.html",
        {
            "filter_form": person_filter.form,
            "page": page,
            "people": page.object_list,
            "query": query.urlencode(),
            "can_edit": access.can_edit_people(request.user),
            "active_nav": "people:list",
        },
    )


@require_GET
def person_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _check_directory(request)
    person = selectors.person_for_directory(pk=pk)
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "can_edit": access.can_edit_people(request.user),
            "panels": panels.panels_for("person", request.user, person),
            "active_nav": "people:list",
        },
    )


@require_http_methods(["GET", "POST"])
def person_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access.can_edit_people.require(request.user)
    person = selectors.person_for_directory(pk=pk)
    skills = selectors.skills()
    form = PersonForm(
        request.POST or None, person=person, skills=skills, initial=PersonForm.initial_for(person)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.person_update(
                actor=request.user,
                person=person,
                expected_version=data["version"],
                name=data["name"],
                role=data["role"],
                region=data["region"],
                manager=data["manager"],
                languages=data["languages"],
                time_zone=data["time_zone"],
                weekly_capacity_hours=data["weekly_capacity_hours"],
                utilization_target=data["utilization_target"],
                active=data["active"],
                skill_levels=form.skill_levels(),
            )
        except ValidationError as exc:
            apply_to_form(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{person.name} saved.")
            return redirect(person)
    context: dict[str, Any] = {
        "form": form,
        "person": person,
        "time_zones": sorted(time_zone_names()),
        "active_nav": "people:list",
    }
    return render(request, "people/edit.html", context, status=200)
