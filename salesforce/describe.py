"""Know the org before writing to it: one describe call on Opportunity, kept as an OrgCheck and
refreshed when older than SALESFORCE_DESCRIBE_MAX_AGE_HOURS (and on demand from the sync health
page), checks the field map. Every mapped field must exist, be updateable by the integration user
and have a fitting type; the confidence picklist must hold Grey, Red, Amber and Green; text the app
holds must fit the field's length. Problems stop the push with one message instead of failing
record by record, and the lengths found become the limits the EM's form enforces."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models.functions import Length
from django.utils import timezone

from engagements.limits import TextLimit
from engagements.models import Confidence, PendingPush
from salesforce.client import SalesforceClient
from salesforce.config import SalesforceConfig, load_config
from salesforce.errors import SalesforceError
from salesforce.mapping import SOBJECT
from salesforce.models import OrgCheck

logger = logging.getLogger(__name__)

FIELD_LABELS = {
    "engagement_manager": "Engagement Manager",
    "em_confidence": "EM confidence",
    "em_confidence_rationale": "EM confidence rationale",
    "scoping_issue_link": "scoping issue link",
}
# Salesforce field types each EM field can be written to.
FITTING_TYPES = {
    "engagement_manager": {"reference"},
    "em_confidence": {"picklist", "string"},
    "em_confidence_rationale": {"string", "textarea"},
    "scoping_issue_link": {"url", "string", "textarea"},
}
TEXT_FIELDS = ("em_confidence_rationale", "scoping_issue_link")
_KEPT = ("name", "label", "type", "length", "updateable", "referenceTo", "restrictedPicklist")


class SalesforceFieldMapMismatch(SalesforceError):
    """The field map does not fit the org (from the describe): nothing is pushed until it does."""


def _summary(field: dict[str, Any]) -> dict[str, Any]:
    """What is kept of one field's describe entry."""
    kept = {key: field.get(key) for key in _KEPT}
    kept["picklistValues"] = [
        str(v.get("value")) for v in field.get("picklistValues") or [] if v.get("active", True)
    ]
    return kept


def fetch_opportunity_describe(client: SalesforceClient) -> dict[str, dict[str, Any]]:
    """GET sobjects/Opportunity/describe: the fields, keyed by lower-case API name (Salesforce
    field names are case-insensitive)."""
    timeout = client.config.timeout
    body = client.call(lambda sf: sf.restful(f"sobjects/{SOBJECT}/describe", method="GET", timeout=timeout))
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, list):
        raise SalesforceError("Salesforce answered the Opportunity describe without a list of fields.")
    return {str(f.get("name", "")).lower(): _summary(f) for f in fields if isinstance(f, dict)}


def _longer_than(key: str, length: int) -> int:
    """How many opportunities waiting to be pushed hold a longer text in this EM field."""
    rows = (
        PendingPush.objects.filter(status=PendingPush.Status.PENDING)
        .annotate(text_length=Length(f"opportunity__{key}"))
        .filter(text_length__gt=length)
        .values_list("fields", flat=True)
    )
    return sum(1 for fields in rows if key in (fields or []))  # JSON containment differs by database


def field_map_problems(config: SalesforceConfig, fields: dict[str, dict[str, Any]]) -> list[str]:
    """What stops the push, one sentence each, from the describe's fields and the current map."""
    problems: list[str] = []
    for key, name in config.field_map.items():
        label = FIELD_LABELS.get(key, key)
        meta = fields.get(name.lower())
        if meta is None:
            problems.append(
                f"{name} ({label}) does not exist on Opportunity or is hidden from the integration "
                "user: fix SALESFORCE_FIELD_MAP or the field's field-level security."
            )
            continue
        kind = str(meta.get("type") or "")
        if kind not in FITTING_TYPES.get(key, {kind}):
            expected = " or ".join(sorted(FITTING_TYPES[key]))
            problems.append(f"{name} ({label}) is a {kind} field; PS Pipeline writes it as {expected}.")
            continue
        if not meta.get("updateable"):
            problems.append(
                f"{name} ({label}) is read-only for the integration user: give its profile or "
                "permission set edit access to the field."
            )
        if key == "engagement_manager" and "User" not in (meta.get("referenceTo") or []):
            problems.append(f"{name} ({label}) does not look up a User.")
        if key == "em_confidence" and kind == "picklist":
            values = set(meta.get("picklistValues") or [])
            missing = [c for c in Confidence.values if c not in values]
            if missing:
                problems.append(
                    f"{name} ({label}) has no active picklist value {', '.join(missing)}: add "
                    f"{'it' if len(missing) == 1 else 'them'} in Salesforce (PS Pipeline sends "
                    "Grey, Red, Amber and Green)."
                )
        length = int(meta.get("length") or 0)
        if key in TEXT_FIELDS and length:
            waiting = _longer_than(key, length)
            if waiting:
                one = waiting == 1
                problems.append(
                    f"The {label} of {waiting} opportunit{'y' if one else 'ies'} waiting to be pushed "
                    f"{'is' if one else 'are'} longer than {name} accepts ({length:,} characters): "
                    f"shorten {'it' if one else 'them'}, or lengthen the field in Salesforce."
                )
    return problems


def describe_check() -> OrgCheck | None:
    return OrgCheck.objects.filter(kind=OrgCheck.Kind.DESCRIBE).first()


def org_describe_refresh(client: SalesforceClient) -> OrgCheck:
    """Describe Opportunity now and keep what it says (one API call)."""
    fields = fetch_opportunity_describe(client)
    problems = field_map_problems(client.config, fields)
    check, _ = OrgCheck.objects.update_or_create(
        kind=OrgCheck.Kind.DESCRIBE,
        defaults={
            "checked_at": timezone.now(),
            "problems": problems,
            "details": {"fields": fields, "field_map": client.config.field_map},
        },
    )
    if problems:
        logger.warning("Salesforce field map problems: %s", " ".join(problems))
    return check


def record_refresh_error(message: str) -> None:
    """A describe asked for from the health page failed: say so there, keep what was known."""
    check = describe_check()
    details = dict(check.details) if check is not None else {}
    details["refresh_error"] = message[:2000]
    details["refresh_failed_at"] = timezone.now().isoformat()
    OrgCheck.objects.update_or_create(
        kind=OrgCheck.Kind.DESCRIBE,
        defaults={
            "checked_at": check.checked_at if check is not None else timezone.now(),
            "problems": check.problems if check is not None else [],
            "details": details,
        },
    )


def org_describe_current(client: SalesforceClient) -> OrgCheck:
    """The kept describe if it is recent enough for this field map, else a fresh one."""
    check = describe_check()
    max_age = dt.timedelta(hours=client.config.describe_max_age_hours)
    if (
        check is None
        or timezone.now() - check.checked_at > max_age
        or check.details.get("field_map") != client.config.field_map
    ):
        return org_describe_refresh(client)
    return check


def current_problems(check: OrgCheck | None, config: SalesforceConfig | None = None) -> list[str]:
    """The kept describe's problems against the settings as they are now (and the outbox now)."""
    if check is None:
        return []
    config = config or load_config()
    return field_map_problems(config, dict(check.details.get("fields") or {}))


def push_blocker(client: SalesforceClient) -> SalesforceFieldMapMismatch | None:
    """The one error that stops the push when the field map does not fit the org, else None.
    With nothing waiting to be pushed there is nothing to check (and no API call)."""
    if not PendingPush.objects.filter(status=PendingPush.Status.PENDING).exists():
        return None
    check = org_describe_current(client)
    problems = current_problems(check, client.config)
    if not problems:
        return None
    return SalesforceFieldMapMismatch(
        "Nothing was pushed: the field map does not fit the Salesforce org. "
        + " ".join(problems)
        + " The changes wait; after fixing this, use Check the org again on the sync health page."
    )


def em_text_limits() -> dict[str, TextLimit]:
    """The Salesforce lengths of the mapped EM text fields, from the kept describe."""
    check = describe_check()
    if check is None:
        return {}
    config = load_config()
    fields = dict(check.details.get("fields") or {})
    limits: dict[str, TextLimit] = {}
    for key in TEXT_FIELDS:
        name = config.field_map.get(key, "")
        meta = fields.get(name.lower()) if name else None
        length = int(meta.get("length") or 0) if meta else 0
        if length:
            limits[key] = TextLimit(length=length, source="Salesforce", field_label=name)
    return limits
