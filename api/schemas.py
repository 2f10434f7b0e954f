"""The API's typed shapes (OpenAPI components). Money is a decimal string with its currency, dates
are ISO 8601, times carry their offset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from ninja import Schema
from pydantic import ConfigDict, Field

T = TypeVar("T")


class Money(Schema):
    amount: str = Field(description='A decimal number as text, e.g. "125000.00".', examples=["125000.00"])
    currency: str = Field(description="ISO 4217 code.", examples=["USD"])


def money(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    """A Money value as the responses carry it (None stays None)."""
    if amount is None:
        return None
    return {"amount": f"{amount:.2f}", "currency": currency}


class Ref(Schema):
    id: int
    name: str


class Page(Schema, Generic[T]):
    count: int
    page: int
    page_size: int
    next: str | None
    previous: str | None
    results: list[T]


class Opportunity(Schema):
    id: int
    url: str
    name: str
    account: Ref
    stage: str
    type: str
    close_date: dt.date
    fiscal_quarter: str
    amount: Money | None
    probability: int | None
    forecast_category: str
    is_closed: bool
    is_won: bool
    region: Ref | None
    engagement_manager: Ref | None
    em_confidence: Literal["Grey", "Red", "Amber", "Green"]
    em_confidence_rationale: str
    scoping_issue_link: str
    em_reviewed_at: dt.datetime | None
    is_stale: bool
    removed_in_salesforce_at: dt.datetime | None
    version: int = Field(description="Optimistic-locking counter; also the ETag.")


class OpportunityUpdate(Schema):
    """The EM fields; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    em_confidence: Literal["Grey", "Red", "Amber", "Green"] | None = None
    em_confidence_rationale: str | None = Field(default=None, max_length=4000)
    scoping_issue_link: str | None = Field(default=None, max_length=500)


class Risk(Schema):
    id: int
    opportunity_id: int
    description: str
    severity: Literal["low", "medium", "high"]
    mitigation: str
    owner: str
    status: Literal["open", "closed"]
    created_at: dt.datetime
    updated_at: dt.datetime


class ProblemField(Schema):
    field: str
    message: str
    code: str


class ProblemDetails(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] | None = None
    current: dict[str, Any] | None = None


class SowVersion(Schema):
    id: int
    url: str
    sow_id: int
    reference: str
    title: str
    opportunity: Ref
    scoping_issue_id: int
    number: int
    label: str
    status: str
    status_label: str
    category: str
    pricing_type: str
    total: Money | None
    expiry_date: dt.date | None
    effective_date: dt.date | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    sent_at: dt.date | None
    sent_to: str
    signed_at: dt.date | None
    withdrawn_reason: str
    created_at: dt.datetime
    version: int


class SowVersionDetail(SowVersion):
    sections: dict[str, str]
    transitions: list[str] = Field(description="The transitions the caller may make now.")


class SowTransition(Schema):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=10000, description="approve, request_changes")
    justification: str = Field(default="", max_length=10000, description="submit below the margin target")
    reason: str = Field(default="", max_length=10000, description="withdraw")
    sent_on: dt.date | None = Field(default=None, description="mark_sent")
    recipients: str = Field(default="", max_length=1000, description="mark_sent")
