"""RFC 9457 problem details: the one JSON shape of every API error.

    {"type": "about:blank", "title": "Precondition Failed", "status": 412, "detail": "…",
     "instance": "/api/v1/opportunities/7", "errors": [{"field": "em_confidence", "message": "…",
     "code": "invalid_choice"}], "current": {…}}

`errors` lists field errors (validation); `current` carries the resource as it is now (412).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse

CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """Raised anywhere in the API to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    request: HttpRequest | None,
    status: int,
    detail: str = "",
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
    }
    if request is not None:
        body["instance"] = request.path
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def from_problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(
        request, exc.status, exc.detail, errors=exc.errors, headers=exc.headers, **exc.extra
    )


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """A service's ValidationError as a list of {field, message, code} ("" field: the whole request)."""
    found = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages:
                    found.append({"field": name, "message": message, "code": error.code or "invalid"})
    else:
        for error in exc.error_list:
            for message in error.messages:
                found.append({"field": "", "message": message, "code": error.code or "invalid"})
    return found


def schema_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Pydantic/ninja request validation errors as {field, message, code}."""
    found = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # The first item says where (query, path, body); the field is the rest.
        field = ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc)
        found.append(
            {
                "field": field,
                "message": str(error.get("msg", "Invalid value.")),
                "code": str(error.get("type", "invalid")),
            }
        )
    return found
