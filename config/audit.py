"""The audit trail across the apps, read from the history each app keeps (django-simple-history)
and from the SOW approval decisions. Lives in config because it reads every app."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from engagements.models import Opportunity
from scoping.models import Estimate
from sow.models import Approval, Assignment, SowVersion

KINDS = [
    ("opportunity", "Opportunity"),
    ("estimate", "Estimate"),
    ("sow", "SOW version"),
    ("approval", "Approval decision"),
    ("assignment", "Assignment"),
]
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
_SKIP = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "id",
    "created_at",
    "updated_at",
    "version",
    "history_user_id",
}


@dataclass
class AuditEntry:
    at: dt.datetime
    kind: str
    user: str
    action: str
    object_label: str
    object_url: str
    changes: str


def _changes(record: Any, previous: Any | None) -> str:
    if previous is None:
        return ""
    names = [f.attname for f in record._meta.concrete_fields if f.attname not in _SKIP]
    parts = []
    for name in names:
        before, after = getattr(previous, name), getattr(record, name)
        if before != after:
            label = name.removesuffix("_id").replace("_", " ")
            parts.append(f"{label}: {_short(before)} → {_short(after)}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _history_entries(kind: str, records: list[Any], label: Any, url: Any) -> list[AuditEntry]:
    """Entries newest first; each change is compared with the object's previous record in the batch."""
    entries = []
    by_object: dict[Any, list[Any]] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        history = by_object.setdefault(record.id, [])
        previous = history[-1] if history else None
        history.append(record)
        user = (
            record.history_user.get_username() if record.history_user_id and record.history_user else "system"
        )
        entries.append(
            AuditEntry(
                at=record.history_date,
                kind=kind,
                user=user,
                action=_ACTIONS.get(record.history_type, "changed"),
                object_label=label(record),
                object_url=url(record),
                changes=_changes(record, previous) if record.history_type == "~" else "",
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _filtered(
    qs: QuerySet[Any],
    *,
    user: str,
    since: dt.date | None,
    until: dt.date | None,
    date_field: str,
    user_field: str,
) -> QuerySet[Any]:
    if user:
        qs = qs.filter(**{f"{user_field}__username__icontains": user})
    if since:
        qs = qs.filter(**{f"{date_field}__date__gte": since})
    if until:
        qs = qs.filter(**{f"{date_field}__date__lte": until})
    return qs


def audit_entries(
    *,
    kinds: Iterable[str] = (),
    user: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    search: str = "",
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest `limit` changes matching the filters, across every kind (one query per kind)."""
    wanted = set(kinds) or {key for key, _ in KINDS}
    sources: list[list[AuditEntry]] = []
    common: dict[str, Any] = {"user": user, "since": since, "until": until}
    if "opportunity" in wanted:
        qs = _filtered(
            Opportunity.history.select_related("history_user"),
            date_field="history_date",
            user_field="history_user",
            **common,
        )
        if search:
            qs = qs.filter(name__icontains=search)
        sources.append(
            _history_entries(
                "Opportunity",
                list(qs.order_by("-history_date")[:limit]),
                lambda r: r.name,
                lambda r: f"/opportunities/{r.id}/",
            )
        )
    if "estimate" in wanted:
        qs = _filtered(
            Estimate.history.select_related("history_user", "scoping_issue"),
            date_field="history_date",
            user_field="history_user",
            **common,
        )
        if search:
            qs = qs.filter(scoping_issue__title__icontains=search)
        sources.append(
            _history_entries(
                "Estimate",
                list(qs.order_by("-history_date")[:limit]),
                lambda r: f"{r.scoping_issue.title if r.scoping_issue else '?'} v{r.number}",
                lambda r: f"/estimates/{r.id}/",
            )
        )
    if "sow" in wanted:
        qs = _filtered(
            SowVersion.history.select_related("history_user", "sow"),
            date_field="history_date",
            user_field="history_user",
            **common,
        )
        if search:
            qs = qs.filter(sow__title__icontains=search)
        sources.append(
            _history_entries(
                "SOW version",
                list(qs.order_by("-history_date")[:limit]),
                lambda r: f"{r.sow.reference if r.sow else '?'} v{r.number}",
                lambda r: f"/sows/versions/{r.id}/",
            )
        )
    if "assignment" in wanted:
        qs = _filtered(
            Assignment.history.select_related("history_user", "person", "requirement"),
            date_field="history_date",
            user_field="history_user",
            **common,
        )
        if search:
            qs = qs.filter(person__name__icontains=search)
        sources.append(
            _history_entries(
                "Assignment",
                list(qs.order_by("-history_date")[:limit]),
                lambda r: (
                    f"{r.person.name if r.person else '?'} on {r.requirement.label if r.requirement else '?'}"
                ),
                lambda r: f"/sows/staffing/{r.requirement_id}/",
            )
        )
    if "approval" in wanted:
        qs = _filtered(
            Approval.objects.select_related("actor", "sow_version__sow"),
            date_field="at",
            user_field="actor",
            **common,
        )
        if search:
            qs = qs.filter(Q(sow_version__sow__title__icontains=search) | Q(comment__icontains=search))
        sources.append(
            [
                AuditEntry(
                    at=a.at,
                    kind="Approval decision",
                    user=a.actor.get_username() if a.actor else "system",
                    action=a.get_decision_display().lower(),
                    object_label=f"{a.sow_version.sow.reference} v{a.sow_version.number}",
                    object_url=a.sow_version.get_absolute_url(),
                    changes=a.comment,
                )
                for a in qs.order_by("-at")[:limit]
            ]
        )
    merged = heapq.merge(*sources, key=lambda e: e.at, reverse=True)
    return [entry for _, entry in zip(range(limit), merged, strict=False)]
