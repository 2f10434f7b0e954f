"""Read-only resources: scoping issues, estimates and their lines, the people directory and
capacity, each through its app's selectors and access rules (as the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from api import schemas
from api.http import page_of
from api.problems import Problem
from core.fiscal import FiscalQuarter
from forecasting import access as forecasting_access
from forecasting import capacity as capacity_mod
from people import access as people_access
from people import selectors as people_selectors
from people.models import Person
from scoping import access as scoping_access
from scoping import selectors as scoping_selectors
from scoping.models import Estimate, EstimateLine, ScopingIssue, ScopingStatus

router = Router()


# --------------------------------------------------------------------------- scoping


class ScopingIssueOut(Schema):
    id: int
    url: str
    title: str
    status: str
    opportunity: schemas.Ref
    assignee: schemas.Ref | None
    ta_review_state: str
    latest_estimate: int | None = Field(description="The latest estimate's number.")
    latest_estimate_total: schemas.Money | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class ScopingIssueDetail(ScopingIssueOut):
    current_state: str
    constraints: str
    desired_outcomes: str
    requirements: str
    service_types: list[str]
    external_link: str
    estimates: list[int] = Field(description="Ids of its estimates, oldest first.")


def _issue(issue: ScopingIssue) -> dict[str, Any]:
    total = getattr(issue, "latest_estimate_total", None)
    assignee = issue.assignee
    return {
        "id": issue.pk,
        "url": issue.get_absolute_url(),
        "title": issue.title,
        "status": issue.status,
        "opportunity": {"id": issue.opportunity_id, "name": issue.opportunity.name},
        "assignee": {"id": assignee.pk, "name": assignee.name} if assignee else None,
        "ta_review_state": issue.ta_review_state,
        "latest_estimate": getattr(issue, "latest_estimate_number", None),
        "latest_estimate_total": schemas.money(total, getattr(issue, "latest_estimate_currency", "") or ""),
        "created_at": issue.created_at,
        "updated_at": issue.updated_at,
        "version": issue.version,
    }


class IssueQuery(Schema):
    status: str = Field(default="", max_length=20)
    quarter: str = Field(default="any", max_length=20, description="current, any or a label like FY27-Q1.")
    q: str = Field(default="", max_length=200)
    page: int = Field(default=1, ge=1, le=100000)
    page_size: int = Field(default=50, ge=1, le=200)


@router.get("/scoping-issues", response={200: schemas.Page[ScopingIssueOut]}, tags=["scoping"])
def scoping_issue_list(request: HttpRequest, query: Query[IssueQuery]) -> dict[str, Any]:
    """The scoping issues the caller may read, newest first."""
    scoping_access.can_use_scoping.require(request.user)
    if query.status and query.status not in ScopingStatus.values:
        raise Problem(
            422,
            "Unknown status.",
            errors=[{"field": "status", "message": "Unknown status.", "code": "invalid_choice"}],
        )
    if query.quarter not in ("any", "current"):
        try:
            FiscalQuarter.parse(query.quarter)
        except ValueError:
            raise Problem(
                422,
                "Unknown quarter.",
                errors=[{"field": "quarter", "message": "Use a label like FY27-Q1.", "code": "invalid"}],
            ) from None
    issues = scoping_selectors.filter_issues(
        scoping_selectors.issues_for_user(request.user),
        quarter=query.quarter,
        status=query.status,
        search=query.q.strip(),
    ).order_by("-created_at", "-pk")
    return page_of(request, issues, page=query.page, page_size=query.page_size, serialize=_issue)


@router.get("/scoping-issues/{int:issue_id}", response={200: ScopingIssueDetail}, tags=["scoping"])
def scoping_issue_detail(request: HttpRequest, issue_id: int) -> dict[str, Any]:
    issue = scoping_selectors.issue_for_user(user=request.user, pk=issue_id)
    return {
        **_issue(issue),
        "current_state": issue.current_state,
        "constraints": issue.constraints,
        "desired_outcomes": issue.desired_outcomes,
        "requirements": issue.requirements,
        "service_types": [str(kind) for kind in issue.service_types or []],
        "external_link": issue.external_link,
        "estimates": list(issue.estimates.order_by("number").values_list("pk", flat=True)),
    }


class EstimateLineOut(Schema):
    id: int
    kind: str
    position: int
    description: str
    role_name: str
    offering_id: int | None
    quantity: int
    hours: str
    unit_price: schemas.Money
    bill_rate: schemas.Money
    cost_rate: schemas.Money


class EstimateOut(Schema):
    id: int
    url: str
    scoping_issue_id: int
    number: int
    status: str
    reason: str
    total: schemas.Money
    total_hours: str
    contingency_percent: str
    expenses: schemas.Money
    discount: schemas.Money
    shared_at: dt.datetime | None
    agreed_at: dt.datetime | None
    created_at: dt.datetime
    version: int
    lines: list[EstimateLineOut]


def _line(line: EstimateLine, currency: str) -> dict[str, Any]:
    return {
        "id": line.pk,
        "kind": line.kind,
        "position": line.position,
        "description": line.description,
        "role_name": line.role_name,
        "offering_id": line.offering_id,
        "quantity": line.quantity,
        "hours": f"{line.hours:.2f}",
        "unit_price": schemas.money(line.unit_price, currency),
        "bill_rate": schemas.money(line.bill_rate, currency),
        "cost_rate": schemas.money(line.cost_rate, currency),
    }


def _estimate(estimate: Estimate) -> dict[str, Any]:
    currency = estimate.currency
    return {
        "id": estimate.pk,
        "url": estimate.get_absolute_url(),
        "scoping_issue_id": estimate.scoping_issue_id,
        "number": estimate.number,
        "status": estimate.status,
        "reason": estimate.reason,
        "total": schemas.money(estimate.total, currency),
        "total_hours": f"{estimate.total_hours:.2f}",
        "contingency_percent": f"{estimate.contingency_percent}",
        "expenses": schemas.money(estimate.expenses, currency),
        "discount": schemas.money(estimate.discount, currency),
        "shared_at": estimate.shared_at,
        "agreed_at": estimate.agreed_at,
        "created_at": estimate.created_at,
        "version": estimate.version,
        "lines": [_line(line, currency) for line in scoping_selectors.estimate_lines(estimate)],
    }


@router.get("/estimates/{int:estimate_id}", response={200: EstimateOut}, tags=["scoping"])
def estimate_detail(request: HttpRequest, estimate_id: int) -> dict[str, Any]:
    """One estimate with its lines (prices as copied onto the lines)."""
    return _estimate(scoping_selectors.estimate_for_user(user=request.user, pk=estimate_id))


# --------------------------------------------------------------------------- people


class PersonOut(Schema):
    id: int
    url: str
    name: str
    email: str
    role: str
    role_label: str
    region: schemas.Ref | None
    manager: schemas.Ref | None
    time_zone: str
    languages: list[str]
    weekly_capacity_hours: str
    active: bool
    skills: dict[str, int] = Field(description="Skill name → level (1–5).")


def _person(person: Person) -> dict[str, Any]:
    manager = person.manager
    return {
        "id": person.pk,
        "url": person.get_absolute_url(),
        "name": person.name,
        "email": person.email,
        "role": person.role,
        "role_label": person.get_role_display(),
        "region": {"id": person.region.pk, "name": person.region.code} if person.region else None,
        "manager": {"id": manager.pk, "name": manager.name} if manager else None,
        "time_zone": person.time_zone,
        "languages": [str(language) for language in person.languages or []],
        "weekly_capacity_hours": f"{person.weekly_capacity_hours:.2f}",
        "active": person.active,
        "skills": {level.skill.name: level.level for level in person.skill_levels.all()},
    }


class PeopleQuery(Schema):
    active: bool | None = None
    page: int = Field(default=1, ge=1, le=100000)
    page_size: int = Field(default=50, ge=1, le=200)


@router.get("/people", response={200: schemas.Page[PersonOut]}, tags=["people"])
def person_list(request: HttpRequest, query: Query[PeopleQuery]) -> dict[str, Any]:
    """The people directory, by name."""
    people_access.can_use_directory.require(request.user)
    people = people_selectors.directory().order_by("name", "pk")
    if query.active is not None:
        people = people.filter(active=query.active)
    return page_of(request, people, page=query.page, page_size=query.page_size, serialize=_person)


@router.get("/people/{int:person_id}", response={200: PersonOut}, tags=["people"])
def person_detail(request: HttpRequest, person_id: int) -> dict[str, Any]:
    people_access.can_use_directory.require(request.user)
    return _person(people_selectors.person_for_directory(pk=person_id))


# --------------------------------------------------------------------------- capacity


class CapacityCell(Schema):
    week: dt.date
    capacity: str
    confirmed: str
    proposed: str
    demand: str


class CapacityRow(Schema):
    key: str
    label: str
    cells: list[CapacityCell]


class CapacityOut(Schema):
    by: str
    weeks: list[dt.date]
    groups: list[CapacityRow]
    totals: list[CapacityCell]
    weights: dict[str, str] = Field(description="The weight of each EM confidence colour in the demand.")
    notes: list[str]
    warnings: list[str]


class CapacityQuery(Schema):
    by: Literal["region", "role", "skill", "language", "time_zone"] = "region"


def _cells(weeks: list[dt.date], cells: list[capacity_mod.Cell]) -> list[dict[str, Any]]:
    return [
        {
            "week": week,
            "capacity": f"{cell.capacity:.1f}",
            "confirmed": f"{cell.confirmed:.1f}",
            "proposed": f"{cell.proposed:.1f}",
            "demand": f"{cell.demand:.1f}",
        }
        for week, cell in zip(weeks, cells, strict=False)
    ]


@router.get("/capacity", response={200: CapacityOut}, tags=["capacity"])
def capacity(request: HttpRequest, query: Query[CapacityQuery]) -> dict[str, Any]:
    """The capacity page's figures for the next 12 weeks, in hours a week."""
    forecasting_access.can_see_capacity.require(request.user)
    result = capacity_mod.capacity(start=timezone.localdate(), dimension=query.by)
    return {
        "by": result.dimension,
        "weeks": result.weeks,
        "groups": [
            {"key": str(g.key), "label": g.label, "cells": _cells(result.weeks, g.cells)}
            for g in result.groups
        ],
        "totals": _cells(result.weeks, result.totals),
        "weights": {str(colour): f"{weight:.4f}" for colour, weight in result.weights.values.items()},
        "notes": list(result.notes),
        "warnings": list(result.warnings),
    }
