"""The audit trail across the apps, read from the history each app keeps (django-simple-history)
and from the SOW approval decisions. Lives in config because it reads every app."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from engagements.models import Account, Opportunity
from people.models import Person, Region
from scoping.models import DeliveryRole, Estimate, ScopingIssue, ServiceOffering
from sow.models import Approval, Assignment, SowTemplate, SowVersion


@dataclass(frozen=True)
class _Source:
    """One kind of object whose history the audit trail reads."""

    key: str
    label: str
    model: Any
    related: tuple[str, ...]
    search: str  # lookup on the historical row matched by the Object filter
    object_label: Callable[[Any], str]
    object_url: Callable[[Any], str]


def _admin_url(name: str) -> Callable[[Any], str]:
    return lambda r: reverse(f"admin:{name}_change", args=[r.id])


_SOURCES = [
    _Source(
        "opportunity",
        "Opportunity",
        Opportunity,
        (),
        "name__icontains",
        lambda r: r.name,
        lambda r: reverse("engagements:detail", args=[r.id]),
    ),
    _Source(
        "account",
        "Account",
        Account,
        (),
        "name__icontains",
        lambda r: r.name,
        _admin_url("engagements_account"),
    ),
    _Source(
        "person",
        "Person",
        Person,
        (),
        "name__icontains",
        lambda r: r.name,
        lambda r: reverse("people:detail", args=[r.id]),
    ),
    _Source(
        "scoping_issue",
        "Scoping issue",
        ScopingIssue,
        (),
        "title__icontains",
        lambda r: r.title,
        lambda r: reverse("scoping:detail", args=[r.id]),
    ),
    _Source(
        "estimate",
        "Estimate",
        Estimate,
        ("scoping_issue",),
        "scoping_issue__title__icontains",
        lambda r: f"{r.scoping_issue.title if r.scoping_issue else '?'} v{r.number}",
        lambda r: reverse("scoping:estimate", args=[r.id]),
    ),
    _Source(
        "sow",
        "SOW version",
        SowVersion,
        ("sow",),
        "sow__title__icontains",
        lambda r: f"{r.sow.reference if r.sow else '?'} v{r.number}",
        lambda r: reverse("sow:version", args=[r.id]),
    ),
    _Source(
        "assignment",
        "Assignment",
        Assignment,
        ("person", "requirement"),
        "person__name__icontains",
        lambda r: f"{r.person.name if r.person else '?'} on {r.requirement.label if r.requirement else '?'}",
        lambda r: reverse("sow:requirement", args=[r.requirement_id]),
    ),
    _Source(
        "rate_card",
        "Rate card",
        DeliveryRole,
        (),
        "name__icontains",
        lambda r: f"{r.name} ({r.currency})",
        _admin_url("scoping_deliveryrole"),
    ),
    _Source(
        "offering",
        "Service offering",
        ServiceOffering,
        (),
        "name__icontains",
        lambda r: r.name,
        _admin_url("scoping_serviceoffering"),
    ),
    _Source(
        "sow_template",
        "SOW template",
        SowTemplate,
        (),
        "category__icontains",
        lambda r: r.get_category_display(),
        _admin_url("sow_sowtemplate"),
    ),
    _Source("region", "Region", Region, (), "name__icontains", lambda r: r.code, _admin_url("people_region")),
]

KINDS = [(source.key, source.label) for source in _SOURCES] + [("approval", "Approval decision")]
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
    "previous_history_id",
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
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _with_previous(history: QuerySet[Any]) -> QuerySet[Any]:
    """Each historical row annotated with the id of the same object's row just before it, whatever
    the filters exclude (another user's edit, an earlier day), so every change can be diffed."""
    model = history.model
    earlier = model.objects.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    )
    return history.annotate(
        previous_history_id=Subquery(
            earlier.order_by("-history_date", "-history_id").values("history_id")[:1]
        )
    )


def _history_entries(source: _Source, records: list[Any]) -> list[AuditEntry]:
    """Entries newest first; each change is compared with the object's previous historical row."""
    wanted = [r.previous_history_id for r in records if r.history_type == "~" and r.previous_history_id]
    previous = {p.history_id: p for p in source.model.history.filter(history_id__in=wanted)}
    entries = []
    for record in records:
        user = (
            record.history_user.get_username() if record.history_user_id and record.history_user else "system"
        )
        entries.append(
            AuditEntry(
                at=record.history_date,
                kind=source.label,
                user=user,
                action=_ACTIONS.get(record.history_type, "changed"),
                object_label=source.object_label(record),
                object_url=source.object_url(record),
                changes=(
                    _changes(record, previous.get(record.previous_history_id))
                    if record.history_type == "~"
                    else ""
                ),
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
    """The newest `limit` changes matching the filters, across every kind (two queries per kind)."""
    wanted = set(kinds) or {key for key, _ in KINDS}
    sources: list[list[AuditEntry]] = []
    common: dict[str, Any] = {"user": user, "since": since, "until": until}
    for source in _SOURCES:
        if source.key not in wanted:
            continue
        qs = _filtered(
            source.model.history.select_related("history_user", *source.related),
            date_field="history_date",
            user_field="history_user",
            **common,
        )
        if search:
            qs = qs.filter(**{source.search: search})
        records = list(_with_previous(qs).order_by("-history_date", "-history_id")[:limit])
        sources.append(_history_entries(source, records))
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
