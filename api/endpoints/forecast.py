"""The forecast dashboard's figures for a quarter as of a week, and the weekly snapshots. The figures
come from the dashboard's own functions (forecasting.figures, forecasting.changes), so the API and
the page always agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, QueryDict
from ninja import Query, Router, Schema
from pydantic import Field

from api import schemas
from api.problems import Problem
from forecasting import access, figures, selectors
from forecasting import changes as changes_mod
from forecasting.forms import DashboardForm

router = Router(tags=["forecast"])


class Metric(Schema):
    key: str
    label: str
    amount: schemas.Money
    count: int
    unconverted: list[schemas.Money] = Field(description="Amounts left out for want of an exchange rate.")


class FigureSet(Schema):
    metrics: list[Metric]
    plan: schemas.Money | None
    attainment_percent: str | None
    gap: schemas.Money | None
    coverage: str | None
    calls: dict[str, int] = Field(description="Open deals per EM confidence colour.")
    open_count: int
    stale_count: int


class Breakdown(Schema):
    id: int | None
    name: str
    figures: FigureSet


class ChangeItem(Schema):
    opportunity_id: int | None
    name: str
    account: str
    amount: schemas.Money | None
    detail: str


class ChangeCategory(Schema):
    key: str
    label: str
    count: int
    amount: schemas.Money
    items: list[ChangeItem]


class Changes(Schema):
    previous_week: dt.date
    categories: list[ChangeCategory]
    commit_start: schemas.Money
    commit_end: schemas.Money


class Forecast(Schema):
    quarter: str
    week: dt.date | None = Field(description="The snapshot's week; null for the live pipeline.")
    as_of: dt.datetime
    corporate_currency: str
    overall: FigureSet
    by_region: list[Breakdown]
    by_em: list[Breakdown]
    changes: Changes | None = Field(description="Against the previous week's snapshot, when there is one.")
    warnings: list[str]


class ForecastQuery(Schema):
    quarter: str = Field(
        default="", max_length=20, description="A fiscal quarter like FY27-Q3; the current one when empty."
    )
    week: str = Field(
        default="live", max_length=20, description="live, or the Monday of a snapshot week (YYYY-MM-DD)."
    )


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _figures(figs: figures.Figures, currency: str) -> dict[str, Any]:
    return {
        "metrics": [
            {
                "key": key,
                "label": metric.label,
                "amount": schemas.money(figs[key].amount, currency),
                "count": figs[key].count,
                "unconverted": [
                    schemas.money(amount, cur) for cur, amount in sorted(figs[key].unconverted.items())
                ],
            }
            for key, metric in figures.METRICS.items()
        ],
        "plan": schemas.money(figs.plan, currency),
        "attainment_percent": _dec(figs.attainment_percent),
        "gap": schemas.money(figs.gap, currency),
        "coverage": _dec(figs.coverage),
        "calls": {str(colour): count for colour, count in figs.colour_counts.items()},
        "open_count": figs.open_count,
        "stale_count": figs.stale_count,
    }


@router.get("/forecast", response={200: Forecast}, summary="Forecast figures for a quarter as of a week")
def forecast(request: HttpRequest, query: Query[ForecastQuery]) -> dict[str, Any]:
    """The dashboard's figures: headline metrics, by region and by EM, and the changes since the
    previous week's snapshot. `week=live` reads the pipeline now; a week reads its snapshot."""
    access.can_see_forecast.require(request.user)
    snapshots = selectors.snapshots()
    weeks = [snapshot.week for snapshot in snapshots]
    data = QueryDict(mutable=True)
    data.update({"quarter": query.quarter, "week": query.week})
    form = DashboardForm(data, weeks=weeks)
    if not form.is_valid():
        errors = [
            {"field": name, "message": str(message), "code": "invalid"}
            for name, messages in form.errors.items()
            for message in messages
        ]
        raise Problem(422, "The quarter or week is not valid.", errors=errors)
    quarter, week = form.cleaned_data["quarter"], form.cleaned_data["week"]
    book = figures.RateBook.load()
    source = figures.source_for(week, snapshots)
    if not source.answers(quarter):
        raise Problem(
            422,
            f"{source.scope_text()} It cannot show {quarter.label} as it stood that week.",
            errors=[{"field": "quarter", "message": "Not held by that week's snapshot.", "code": "not_held"}],
        )
    board = figures.dashboard(quarter, source, book)
    currency = board.corporate_currency
    previous_week = changes_mod.previous_week(week, weeks)
    previous = figures.source_for(previous_week, snapshots) if previous_week else None
    changes = None
    if previous is not None and previous_week is not None and previous.answers(quarter):
        compared = changes_mod.compare(quarter, previous, source, book)
        changes = {
            "previous_week": previous_week,
            "categories": [
                {
                    "key": category.key,
                    "label": category.label,
                    "count": category.count,
                    "amount": schemas.money(category.amount, currency),
                    "items": [
                        {
                            "opportunity_id": item.opportunity_id,
                            "name": item.name,
                            "account": item.account,
                            "amount": schemas.money(item.amount, currency),
                            "detail": item.detail,
                        }
                        for item in category.items
                    ],
                }
                for category in compared.categories
            ],
            "commit_start": schemas.money(compared.waterfall_start, currency),
            "commit_end": schemas.money(compared.waterfall_end, currency),
        }
    return {
        "quarter": quarter.label,
        "week": week,
        "as_of": source.as_of,
        "corporate_currency": currency,
        "overall": _figures(board.overall, currency),
        "by_region": [
            {"id": b.key, "name": b.name, "figures": _figures(b.figures, currency)} for b in board.by_region
        ],
        "by_em": [
            {"id": b.key, "name": b.name, "figures": _figures(b.figures, currency)} for b in board.by_em
        ],
        "changes": changes,
        "warnings": list(board.warnings),
    }


class Snapshot(Schema):
    id: int
    week: dt.date
    taken_at: dt.datetime
    rows_count: int
    closed_from: dt.date | None
    closed_to: dt.date | None


@router.get("/snapshots", response={200: list[Snapshot]}, summary="Weekly forecast snapshots")
def snapshot_list(request: HttpRequest) -> list[Any]:
    """The most recent weekly snapshots, newest first (the weeks `forecast?week=` accepts)."""
    access.can_see_forecast.require(request.user)
    return selectors.snapshots()
