"""The audit trail: one source, the entries every write records (core.models.AuditEntry, written by
core/actions.py in the same transaction as the change). Lives in config because it names people
(people.Person) beside the logins that acted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Q, QuerySet, Subquery

from core.models import AuditEntry
from people.models import Person


def kind_choices() -> list[tuple[str, str]]:
    """(key, label) for each kind of record the trail holds entries about, by label."""
    ids = AuditEntry.objects.order_by().values_list("content_type", flat=True).distinct()
    kinds = {_kind_key(ct): _kind_label(ct) for ct in ContentType.objects.filter(pk__in=list(ids))}
    return sorted(kinds.items(), key=lambda item: item[1])


def _kind_key(ct: ContentType) -> str:
    return f"{ct.app_label}.{ct.model}"


def _kind_label(ct: ContentType) -> str:
    model = ct.model_class()
    name = model._meta.verbose_name if model is not None else ct.model
    return str(name)[:1].upper() + str(name)[1:]


def audit_entries(
    *,
    kinds: list[str] | tuple[str, ...] = (),
    user: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    search: str = "",
) -> QuerySet[AuditEntry]:
    """Entries newest first, filtered: kinds ("app.model"), who (username or person's name), the
    day range (in the site's time zone), and words in the record's name, the changes or the note."""
    qs = AuditEntry.objects.select_related("actor", "content_type").annotate(
        actor_name=Subquery(Person.objects.filter(user=OuterRef("actor")).values("name")[:1])
    )
    if kinds:
        wanted = Q(pk__in=[])
        for key in kinds:
            app_label, _, model = key.partition(".")
            wanted |= Q(content_type__app_label=app_label, content_type__model=model)
        qs = qs.filter(wanted)
    if user:
        qs = qs.filter(Q(actor__username__icontains=user) | Q(actor_name__icontains=user))
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    if search:
        qs = qs.filter(Q(object_label__icontains=search) | Q(note__icontains=search))
    return qs.order_by("-at", "-pk")


def who(entry: AuditEntry) -> str:
    """The person's name, else the login's, else "system" (a task or the Salesforce sync)."""
    name = getattr(entry, "actor_name", None)
    if name:
        return str(name)
    if entry.actor is not None:
        return entry.actor.get_full_name() or entry.actor.get_username()
    return "system"


def kind(entry: AuditEntry) -> str:
    return _kind_label(entry.content_type)


def changes_in_words(entry: AuditEntry) -> list[str]:
    return [
        f"{line.get('field', '')}: {line.get('before') or '—'} → {line.get('after') or '—'}"
        for line in entry.changes
    ]


def csv_rows(entries: QuerySet[AuditEntry]) -> Any:
    yield ["When (UTC)", "Kind", "Who", "Action", "Record", "Changes", "Note"]
    for entry in entries.iterator(chunk_size=2000):
        yield [
            entry.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            kind(entry),
            who(entry),
            entry.action,
            entry.object_label,
            "; ".join(changes_in_words(entry)),
            entry.note,
        ]
