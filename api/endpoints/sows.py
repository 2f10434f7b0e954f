"""SOWs: the latest version of each, one version, and the transitions an API caller may make,
through the same services (and access rules) as the SOW pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from api import schemas
from api.http import if_match_version, page_of, stale, with_etag
from api.problems import Problem, field_errors, schema_errors
from core.exceptions import Conflict
from sow import access, selectors, services
from sow.models import SECTIONS, SowStatus, SowVersion

router = Router(tags=["sows"])

Action = Literal["submit", "approve", "request_changes", "reopen", "withdraw", "mark_sent", "revise"]

# From which status each transition starts, and whether it is the EM side's or an approver's.
_FROM: dict[str, tuple[set[str], str]] = {
    "submit": ({SowStatus.DRAFT}, "edit"),
    "approve": ({SowStatus.SUBMITTED}, "decide"),
    "request_changes": ({SowStatus.SUBMITTED}, "decide"),
    "reopen": ({SowStatus.CHANGES_REQUESTED}, "edit"),
    "withdraw": (
        {
            SowStatus.DRAFT,
            SowStatus.SUBMITTED,
            SowStatus.CHANGES_REQUESTED,
            SowStatus.APPROVED,
            SowStatus.SENT,
        },
        "edit",
    ),
    "mark_sent": ({SowStatus.APPROVED}, "edit"),
    "revise": ({SowStatus.APPROVED, SowStatus.SENT}, "edit"),
}


def version_out(version: SowVersion) -> dict[str, Any]:
    sow = version.sow
    return {
        "id": version.pk,
        "url": version.get_absolute_url(),
        "sow_id": sow.pk,
        "reference": sow.reference,
        "title": sow.title,
        "opportunity": {"id": sow.opportunity_id, "name": sow.opportunity.name},
        "scoping_issue_id": sow.scoping_issue_id,
        "number": version.number,
        "label": version.label,
        "status": version.status,
        "status_label": version.get_status_display(),
        "category": version.category,
        "pricing_type": version.pricing_type,
        "total": schemas.money(version.total, version.currency),
        "expiry_date": version.expiry_date,
        "effective_date": version.effective_date,
        "submitted_at": version.submitted_at,
        "decided_at": version.decided_at,
        "sent_at": version.sent_at,
        "sent_to": version.sent_to,
        "signed_at": version.signed_at,
        "withdrawn_reason": version.withdrawn_reason,
        "created_at": version.created_at,
        "version": version.version,
    }


def _allowed_transitions(user: Any, version: SowVersion) -> list[str]:
    allowed = []
    for action, (statuses, side) in _FROM.items():
        if version.status not in statuses:
            continue
        may = access.can_edit(user, version.sow) if side == "edit" else access.can_decide(user, version)
        if may:
            allowed.append(action)
    return allowed


def detail_out(user: Any, version: SowVersion) -> dict[str, Any]:
    return {
        **version_out(version),
        "sections": {name: getattr(version, name) or "" for name, _ in SECTIONS},
        "transitions": _allowed_transitions(user, version),
    }


class SowQuery(Schema):
    status: Literal[
        "",
        "draft",
        "submitted",
        "changes_requested",
        "approved",
        "sent",
        "signed",
        "handed_off",
        "withdrawn",
        "superseded",
    ] = Field(default="", description="The latest version's status.")
    page: int = Field(default=1, ge=1, le=100000)
    page_size: int = Field(default=50, ge=1, le=200)


@router.get("/sows", response={200: schemas.Page[schemas.SowVersion]}, summary="SOWs (latest versions)")
def sow_list(request: HttpRequest, query: Query[SowQuery]) -> dict[str, Any]:
    """The latest version of every SOW the caller may read, newest SOW first."""
    access.can_use_sows.require(request.user)
    versions = selectors.sow_list(request.user, status=query.status)
    return page_of(request, versions, page=query.page, page_size=query.page_size, serialize=version_out)


@router.get(
    "/sow-versions/{int:version_id}", response={200: schemas.SowVersionDetail}, summary="One SOW version"
)
def sow_version_detail(request: HttpRequest, response: HttpResponse, version_id: int) -> dict[str, Any]:
    version = selectors.version_for_user(user=request.user, pk=version_id)
    with_etag(response, version.version)
    return detail_out(request.user, version)


def _call(
    action: str, actor: User, version: SowVersion, expected: int, body: schemas.SowTransition
) -> SowVersion:
    calls: dict[str, Callable[[], SowVersion]] = {
        "submit": lambda: services.sow_submit(
            actor=actor, version=version, expected_version=expected, justification=body.justification
        ),
        "approve": lambda: services.sow_approve(
            actor=actor, version=version, expected_version=expected, comment=body.comment
        ),
        "request_changes": lambda: services.sow_request_changes(
            actor=actor, version=version, expected_version=expected, comment=body.comment
        ),
        "reopen": lambda: services.sow_reopen(actor=actor, version=version, expected_version=expected),
        "withdraw": lambda: services.sow_withdraw(
            actor=actor, version=version, expected_version=expected, reason=body.reason
        ),
        "revise": lambda: services.sow_revise(actor=actor, version=version, expected_version=expected),
    }
    if action == "mark_sent":
        if body.sent_on is None:
            raise ValidationError({"sent_on": ValidationError("Say when it was sent.", code="required")})
        sent_on = body.sent_on
        calls["mark_sent"] = lambda: services.sow_mark_sent(
            actor=actor,
            version=version,
            expected_version=expected,
            sent_on=sent_on,
            recipients=body.recipients,
        )
    return calls[action]()


def _body(request: HttpRequest) -> schemas.SowTransition:
    """The transition's fields, read after the access check (so a caller who may not act is told
    so whatever they sent)."""
    raw = request.body.strip()
    if not raw:
        return schemas.SowTransition()
    try:
        return schemas.SowTransition.model_validate_json(raw)
    except PydanticValidationError as exc:
        raise Problem(
            422,
            "The request body is not valid.",
            errors=schema_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]),
        ) from None


@router.post(
    "/sow-versions/{int:version_id}/transitions/{action}",
    response={200: schemas.SowVersionDetail},
    summary="Move a SOW version on",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schemas.SowTransition.model_json_schema()}},
        }
    },
)
def sow_transition(
    request: HttpRequest, response: HttpResponse, version_id: int, action: Action
) -> dict[str, Any]:
    """submit, approve, request_changes, reopen, withdraw, mark_sent or revise (which answers with
    the new draft version). Needs If-Match with the version's ETag: 428 without, 412 when stale.
    Signature and hand-off need their documents and stay on the SOW page."""
    version = selectors.version_for_user(user=request.user, pk=version_id)
    side = _FROM[action][1]
    if side == "edit":
        access.can_edit.require(request.user, version.sow)
    else:
        access.require_decider(request.user, version)
    body = _body(request)
    expected = if_match_version(request)
    if expected != version.version:
        raise stale(detail_out(request.user, version), version.version)
    try:
        result = _call(action, request.user, version, expected, body)  # type: ignore[arg-type]  # authenticated by the API's auth
    except Conflict:
        fresh = selectors.version_for_user(user=request.user, pk=version_id)
        raise stale(detail_out(request.user, fresh), fresh.version) from None
    except ValidationError as exc:
        raise Problem(422, f"The SOW could not be moved on ({action}).", errors=field_errors(exc)) from None
    fresh = selectors.version_for_user(user=request.user, pk=result.pk)
    with_etag(response, fresh.version)
    return detail_out(request.user, fresh)
