"""Opportunities: the pipeline with its filters, one opportunity, and the EM fields' update."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from ninja import Query, Router, Schema
from pydantic import Field

from api import schemas
from api.http import if_match_version, page_of, stale, with_etag
from api.problems import Problem, field_errors
from core.exceptions import Conflict
from core.fiscal import FiscalQuarter
from engagements import access, selectors, services
from engagements.filters import PipelineFilter
from engagements.models import Opportunity

router = Router(tags=["opportunities"])


def opportunity_out(opp: Opportunity) -> dict[str, Any]:
    em = opp.engagement_manager
    return {
        "id": opp.pk,
        "url": opp.get_absolute_url(),
        "name": opp.name,
        "account": {"id": opp.account_id, "name": opp.account.name},
        "stage": opp.stage,
        "type": opp.type,
        "close_date": opp.close_date,
        "fiscal_quarter": FiscalQuarter.for_date(opp.close_date).label,
        "amount": schemas.money(opp.amount, opp.currency),
        "probability": opp.probability,
        "forecast_category": opp.forecast_category,
        "is_closed": opp.is_closed,
        "is_won": opp.is_won,
        "region": {"id": opp.region.pk, "name": opp.region.code} if opp.region else None,
        "engagement_manager": {"id": em.pk, "name": em.name} if em else None,
        "em_confidence": opp.em_confidence,
        "em_confidence_rationale": opp.em_confidence_rationale,
        "scoping_issue_link": opp.scoping_issue_link,
        "em_reviewed_at": opp.em_reviewed_at,
        "is_stale": bool(getattr(opp, "is_stale", False)),
        "removed_in_salesforce_at": opp.removed_in_salesforce_at,
        "version": opp.version,
    }


class PipelineQuery(Schema):
    scope: Literal["mine", "team", "unassigned", "all"] | None = Field(
        default=None, description="As the pipeline page: the caller's default scope when left out."
    )
    quarter: str = Field(default="current", description="current, next, any or a label like FY27-Q1.")
    status: Literal["open", "closed", "won", "lost", "all"] = "open"
    confidence: list[Literal["Grey", "Red", "Amber", "Green"]] = Field(default_factory=list)
    stage: str = Field(default="", max_length=100)
    region: int | None = Field(default=None, ge=1, le=2**31 - 1)
    q: str = Field(default="", max_length=200, description="Search in names and accounts.")
    stale: bool = False
    sort: Literal[
        "close_date",
        "-close_date",
        "amount",
        "-amount",
        "name",
        "-name",
        "account",
        "-account",
        "confidence",
        "-confidence",
        "reviewed",
        "-reviewed",
        "stage",
        "-stage",
    ] = "close_date"
    page: int = Field(default=1, ge=1, le=100000)
    page_size: int = Field(default=25, ge=1, le=200)


def _filter_data(query: PipelineQuery) -> QueryDict:
    data = QueryDict(mutable=True)
    data["quarter"] = query.quarter
    data["status"] = query.status
    data.setlist("confidence", list(query.confidence))
    if query.stage:
        data["stage"] = query.stage
    if query.region is not None:
        data["region"] = str(query.region)
    if query.q:
        data["q"] = query.q
    if query.stale:
        data["stale"] = "on"
    data["sort"] = query.sort
    return data


@router.get("/opportunities", response={200: schemas.Page[schemas.Opportunity]}, summary="The pipeline")
def opportunity_list(request: HttpRequest, query: Query[PipelineQuery]) -> dict[str, Any]:
    """The opportunities of a pipeline scope the caller may see, filtered and sorted as the pipeline
    page does (removed-in-Salesforce deals leave the list, as there)."""
    scopes = [key for key, _ in selectors.available_scopes(request.user)]
    if not scopes:
        raise PermissionDenied("You have no pipeline to see.")
    scope = query.scope or selectors.default_scope(request.user) or scopes[0]
    if scope not in scopes:
        raise PermissionDenied("That view of the pipeline is not available to you.")
    base = selectors.pipeline_queryset(user=request.user, scope=scope)
    stages = [query.stage] if query.stage and base.filter(stage=query.stage).exists() else []
    filterset = PipelineFilter(_filter_data(query), queryset=base, stages=stages)
    if not filterset.is_valid():
        errors = [
            {"field": name, "message": str(message), "code": "invalid"}
            for name, messages in filterset.errors.items()
            for message in messages
        ]
        raise Problem(422, "Some filters are not valid.", errors=errors)
    return page_of(
        request, filterset.qs, page=query.page, page_size=query.page_size, serialize=opportunity_out
    )


@router.get(
    "/opportunities/{int:opportunity_id}", response={200: schemas.Opportunity}, summary="One opportunity"
)
def opportunity_detail(request: HttpRequest, response: HttpResponse, opportunity_id: int) -> dict[str, Any]:
    opp = selectors.opportunity_for_user(user=request.user, pk=opportunity_id)
    with_etag(response, opp.version)
    return opportunity_out(opp)


@router.patch(
    "/opportunities/{int:opportunity_id}",
    response={200: schemas.Opportunity},
    summary="Update the EM fields",
)
def opportunity_update(
    request: HttpRequest, response: HttpResponse, opportunity_id: int, payload: schemas.OpportunityUpdate
) -> dict[str, Any]:
    """Change the EM call, rationale and/or scoping link through the same service as the page.
    Needs If-Match with the ETag from GET: 428 without it, 412 (with the current representation)
    when the opportunity changed since."""
    opp = selectors.opportunity_for_user(user=request.user, pk=opportunity_id)
    access.can_edit_em_fields.require(request.user, opp)
    expected = if_match_version(request)
    if expected != opp.version:
        raise stale(opportunity_out(opp), opp.version)
    try:
        services.opportunity_update_em_fields(
            actor=request.user,  # type: ignore[arg-type]  # authenticated by the API's auth
            opportunity=opp,
            expected_version=expected,
            em_confidence=payload.em_confidence,
            em_confidence_rationale=payload.em_confidence_rationale,
            scoping_issue_link=payload.scoping_issue_link,
        )
    except Conflict:
        fresh = selectors.opportunity_for_user(user=request.user, pk=opportunity_id)
        raise stale(opportunity_out(fresh), fresh.version) from None
    except ValidationError as exc:
        raise Problem(422, "The update was refused.", errors=field_errors(exc)) from None
    fresh = selectors.opportunity_for_user(user=request.user, pk=opportunity_id)
    with_etag(response, fresh.version)
    return opportunity_out(fresh)


@router.get(
    "/opportunities/{int:opportunity_id}/risks", response={200: list[schemas.Risk]}, summary="Its risks"
)
def opportunity_risks(request: HttpRequest, opportunity_id: int) -> list[Any]:
    opp = selectors.opportunity_for_user(user=request.user, pk=opportunity_id)
    return list(selectors.opportunity_risks(opportunity=opp))
