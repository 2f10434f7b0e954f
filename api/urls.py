"""The API tokens page, and /api/v1/: the API's routes, each usable without the login redirect
(the API answers 401 itself), a method the route does not have answered as a problem document,
and any other path under /api/v1/ a 404 problem."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from api import views
from api.problems import problem_response
from api.v1 import api

app_name = "api"


def _as_problem(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return problem_response(
                request,
                405,
                f"{request.method} is not allowed here; use {allowed}.",
                headers={"Allow": allowed},
            )
        return response

    return login_not_required(wrapped)


def _wrap(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _wrap(pattern.url_patterns)
        else:
            pattern.callback = _as_problem(pattern.callback)
    return patterns


@csrf_exempt
@login_not_required
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    return problem_response(request, 404, "There is no such API endpoint; see /api/v1/docs.")


ninja_patterns, _, _ = api.urls
for _pattern in ninja_patterns:
    # django-ninja's root view (kept: it reverses it for the schema's paths) answers an HTML 404.
    if isinstance(_pattern, URLPattern) and _pattern.name == "api-root":
        _pattern.callback = functools.partial(not_found, rest="")
v1_patterns = [*_wrap(ninja_patterns), re_path(r"^(?P<rest>.*)$", not_found, name="not_found")]

urlpatterns = [
    path("api/v1/", include(v1_patterns)),
    path("account/api-tokens/", views.tokens, name="tokens"),
    path("account/api-tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
