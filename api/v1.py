"""The versioned JSON API (/api/v1/): django-ninja, with the OpenAPI schema at /api/v1/openapi.json
and the interactive docs at /api/v1/docs (Swagger UI served from django-ninja's own static files).

Every error is an RFC 9457 problem document (api/problems.py), whatever raised it."""

from __future__ import annotations

from typing import Any

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from api.auth import CookieAuth, TokenAuth, unauthenticated_problem
from api.endpoints import forecast, opportunities, reads, sows
from api.problems import CONTENT_TYPE, Problem, field_errors, from_problem, problem_response, schema_errors

logger = structlog.get_logger(__name__)

DESCRIPTION = """The PS Pipeline API for tools: finance's BI, RevOps scripts, integrations.

**Authentication.** Create a personal token on your profile page (*API tokens*) and send it as
`Authorization: Bearer <token>`. A read token may only read; a read-write token may also make the
changes your role may make on the pages. Each token may make a limited number of requests a minute
(429 with `Retry-After` past it).

**Updates.** Every resource you can change carries an `ETag` (its version). Send it back in
`If-Match`: without it the update is refused with 428, and with an older one with 412 and the
current representation.

**Errors** are RFC 9457 problem details (`application/problem+json`), with `errors` listing field
errors.

**Stability.** Within /api/v1/ fields and endpoints are only added, never renamed or removed, and
their meaning does not change; anything incompatible comes as /api/v2/, with /api/v1/ kept for at
least six months after.
"""


class PipelineApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """The schema with every error response documented as a problem document."""
        schema = super().get_openapi_schema(**kwargs)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for status, text in _ERRORS.items():
                    responses.setdefault(
                        str(status),
                        {
                            "description": text,
                            "content": {
                                CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
                            },
                        },
                    )
        schema.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = _PROBLEM_SCHEMA
        return schema


_ERRORS = {
    400: "Bad request",
    401: "Not signed in, or the token is unknown, expired or revoked",
    403: "Not allowed for your role or token",
    404: "No such resource (or not one you may see)",
    405: "Method not allowed",
    412: "Stale If-Match: the current representation is in `current`",
    422: "Invalid input: field errors in `errors`",
    428: "If-Match missing",
    429: "Rate limit: see Retry-After",
}
_PROBLEM_SCHEMA = {
    "type": "object",
    "title": "ProblemDetails",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message", "code"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
        "current": {"type": "object"},
    },
}

api = PipelineApi(
    title="PS Pipeline API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), CookieAuth()],
)
api.add_router("", opportunities.router)
api.add_router("", sows.router)
api.add_router("", forecast.router)
api.add_router("", reads.router)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return from_problem(request, exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return from_problem(request, unauthenticated_problem())


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(request, exc.status_code, str(exc.message))


@api.exception_handler(SchemaValidationError)
def _schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    return problem_response(request, 422, "The request is not valid.", errors=schema_errors(list(exc.errors)))


@api.exception_handler(ValidationError)
def _service_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem_response(request, 422, "The request was refused.", errors=field_errors(exc))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(request, 403, str(exc) or "Not allowed.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, 404, str(exc) or "No such resource.")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("api_server_error", path=request.path)
    return problem_response(request, 500, "Something went wrong on our side; it was logged.")
