"""Between Salesforce records and opportunities: the fields read, the SOQL that reads them, and
how each value is turned into (and out of) the app's types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime

from engagements.models import Confidence, Opportunity
from salesforce.config import EM_FIELD_KEYS, SalesforceConfig
from salesforce.ids import to_18

SOBJECT = "Opportunity"

# Standard fields every pull reads (amount, currency and the EM fields come from the settings).
STANDARD_FIELDS = (
    "Id",
    "Name",
    "AccountId",
    "Account.Name",
    "Owner.Name",
    "Owner.Email",
    "StageName",
    "Type",
    "RecordType.Name",
    "CloseDate",
    "Probability",
    "ForecastCategoryName",
    "IsClosed",
    "IsWon",
    "SystemModstamp",
    "IsDeleted",
    # Who changed the record in Salesforce and when, for the opportunity's timeline.
    "LastModifiedById",
    "LastModifiedBy.Name",
    "LastModifiedDate",
)

# Opportunity attribute -> max length, for text Salesforce may send longer than the column.
_MAX_LENGTH: dict[str, int] = {
    f.name: f.max_length
    for f in Opportunity._meta.concrete_fields
    if f.max_length and f.name != "salesforce_id"
}

# Opportunity attributes the pull writes from Salesforce (besides account, region and EM fields).
COMMERCIAL_FIELDS = (
    "name",
    "owner_name",
    "owner_email",
    "stage",
    "type",
    "record_type",
    "close_date",
    "amount",
    "currency",
    "probability",
    "forecast_category",
    "is_closed",
    "is_won",
)


def relationship_name(lookup_field: str) -> str:
    """`Engagement_Manager__c` -> `Engagement_Manager__r`; `OwnerId` -> `Owner`."""
    if lookup_field.endswith("__c"):
        return lookup_field[:-3] + "__r"
    if lookup_field.endswith("Id"):
        return lookup_field[:-2]
    return lookup_field


def select_fields(config: SalesforceConfig) -> list[str]:
    fields = list(STANDARD_FIELDS)
    fields.append(config.amount_field)
    if config.currency_field:
        fields.append(config.currency_field)
    for key in EM_FIELD_KEYS:
        fields.append(config.field_map[key])
    fields.append(relationship_name(config.field_map["engagement_manager"]) + ".Email")
    unique: dict[str, str] = {}
    for name in fields:
        unique.setdefault(name.lower(), name)  # SOQL refuses a field named twice
    return list(unique.values())


def soql_datetime(value: dt.datetime) -> str:
    """A SOQL datetime literal in UTC, to the second (the overlap covers the rounding)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_opportunity_query(config: SalesforceConfig, since: dt.datetime | None) -> str:
    """SELECT … FROM Opportunity WHERE (<condition>) AND SystemModstamp >= <since>
    ORDER BY SystemModstamp, Id — everything when `since` is None."""
    clauses = []
    if config.condition:
        clauses.append(f"({config.condition})")
    if since is not None:
        clauses.append(f"SystemModstamp >= {soql_datetime(since)}")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    # SOQL, not SQL: built from settings and a formatted datetime, never from user input.
    fields = ", ".join(select_fields(config))
    return f"SELECT {fields} FROM {SOBJECT}{where} ORDER BY SystemModstamp ASC, Id ASC"  # noqa: S608


def get_path(record: dict[str, Any], path: str) -> Any:
    """`Account.Name` from a record with nested relationship objects (None anywhere -> None)."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def parse_sf_datetime(value: Any) -> dt.datetime | None:
    """Salesforce sends `2026-05-01T12:34:56.000+0000`."""
    if not value:
        return None
    text = str(value)
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = parse_datetime(text.replace("Z", "+00:00"))
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _text(value: Any, attr: str) -> str:
    text = "" if value is None else str(value)
    limit = _MAX_LENGTH.get(attr)
    return text[:limit] if limit else text


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _probability(value: Any) -> int | None:
    amount = _decimal(value)
    if amount is None:
        return None
    return max(0, min(100, int(amount)))


@dataclass
class PulledOpportunity:
    """One Salesforce record, in the app's types."""

    salesforce_id: str
    is_deleted: bool
    modstamp: dt.datetime | None
    account_id: str
    account_name: str
    commercial: dict[str, Any]
    # The EM fields as raw comparable strings: a user id for the EM, "Grey" for an empty call.
    em: dict[str, str]
    em_email: str
    modified_by_id: str = ""
    modified_by_name: str = ""
    modified_at: dt.datetime | None = None


def parse_record(config: SalesforceConfig, record: dict[str, Any]) -> PulledOpportunity:
    fm = config.field_map
    currency = get_path(record, config.currency_field) if config.currency_field else None
    close_date = parse_date(str(record.get("CloseDate") or "")) if record.get("CloseDate") else None
    commercial: dict[str, Any] = {
        "name": _text(record.get("Name") or record.get("Id"), "name"),
        "owner_name": _text(get_path(record, "Owner.Name"), "owner_name"),
        "owner_email": _text(get_path(record, "Owner.Email"), "owner_email"),
        "stage": _text(record.get("StageName"), "stage"),
        "type": _text(record.get("Type"), "type"),
        "record_type": _text(get_path(record, "RecordType.Name"), "record_type"),
        "close_date": close_date,
        "amount": _decimal(get_path(record, config.amount_field)),
        "currency": _text(currency or settings.DEFAULT_CURRENCY, "currency").upper(),
        "probability": _probability(record.get("Probability")),
        "forecast_category": _text(record.get("ForecastCategoryName"), "forecast_category"),
        "is_closed": bool(record.get("IsClosed")),
        "is_won": bool(record.get("IsWon")),
    }
    if close_date is None:
        commercial.pop("close_date")
    em = {
        "engagement_manager": to_18(str(record.get(fm["engagement_manager"]) or "")),
        "em_confidence": str(record.get(fm["em_confidence"]) or Confidence.GREY),
        "em_confidence_rationale": str(record.get(fm["em_confidence_rationale"]) or ""),
        "scoping_issue_link": str(record.get(fm["scoping_issue_link"]) or ""),
    }
    email = get_path(record, relationship_name(fm["engagement_manager"]) + ".Email")
    return PulledOpportunity(
        salesforce_id=str(record["Id"]),
        is_deleted=bool(record.get("IsDeleted")),
        modstamp=parse_sf_datetime(record.get("SystemModstamp")),
        account_id=str(record.get("AccountId") or ""),
        account_name=str(get_path(record, "Account.Name") or ""),
        commercial=commercial,
        em=em,
        em_email=str(email or "").strip().lower(),
        modified_by_id=str(record.get("LastModifiedById") or ""),
        modified_by_name=str(get_path(record, "LastModifiedBy.Name") or ""),
        modified_at=parse_sf_datetime(record.get("LastModifiedDate")),
    )


def local_em_value(opportunity: Opportunity, key: str) -> str:
    """The app's value of an EM field as the same raw string the pull compares (needs the EM loaded)."""
    if key == "engagement_manager":
        em = opportunity.engagement_manager
        if em is None:
            return ""
        return to_18(em.salesforce_user_id) if em.salesforce_user_id else f"person:{em.pk}"
    return str(getattr(opportunity, key) or "")


def salesforce_value(opportunity: Opportunity, key: str) -> str | None:
    """What a push sends for an EM field (None clears it in Salesforce)."""
    if key == "engagement_manager":
        em = opportunity.engagement_manager
        return (to_18(em.salesforce_user_id) or None) if em is not None else None
    return str(getattr(opportunity, key) or "") or None
