"""The one shape of every write. A service function, inside its transaction:

    fresh = actions.claim(Opportunity.objects.select_related("engagement_manager"), pk=opp.pk,
                          expected_version=expected_version, stale_message=STALE)
    before = actions.snapshot(fresh)
    fresh.em_confidence = "Green"
    actions.save(fresh, actor=actor, action="changed the EM call", before=before)

- `claim` locks the row, compares its version with the one the user saw and moves it on, or refuses
  with one clear Conflict: two saves from the same page can never both pass.
- `save` / `create` / `delete` record the actor for the model's history (django-simple-history) and
  write the audit entry (core.models.AuditEntry) with each changed field in words, in the same
  transaction as the change. `record` writes an audit entry for an event that is not a row's save
  (a decision, a resolution).

Access is asked before, with the app's named rule: `access.can_x.require(actor, obj)` (core/rules.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import F, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.exceptions import Conflict, Gone
from core.models import AuditEntry
from core.types import AnyUser

M = TypeVar("M", bound=models.Model)

# Bookkeeping columns that never make an audit line of their own.
_NOT_AUDITED = {"id", "version", "created_at", "updated_at", "status_changed_at"}


def claim(
    queryset: QuerySet[M],
    *,
    pk: Any,
    expected_version: int,
    stale_message: str | Callable[[M], str],
    current: Callable[[M], dict[str, Any]] | None = None,
) -> M:
    """The row at `pk`, locked until the transaction ends, with its version moved past
    `expected_version` (the one the user saw); Conflict (with `current(row)`) when it has moved on.
    `stale_message` may be built from the row as it is now ("… it is now withdrawn")."""
    fresh = _locked(queryset, pk)
    if fresh.version != expected_version:  # type: ignore[attr-defined]  # M is a model with a version field
        message = stale_message(fresh) if callable(stale_message) else stale_message
        raise Conflict(message, current=current(fresh) if current else None)
    type(fresh)._default_manager.filter(pk=pk).update(version=F("version") + 1)
    fresh.version = expected_version + 1  # type: ignore[attr-defined]  # M is a model with a version field
    return fresh


GONE = "This record was removed while you were working on it; nothing was saved. Reload the page."


def _locked(queryset: QuerySet[M], pk: Any) -> M:
    try:
        return queryset.select_for_update(of=("self",)).get(pk=pk)
    except ObjectDoesNotExist:
        raise Gone(GONE) from None


def lock(queryset: QuerySet[M], *, pk: Any, bump: bool = False) -> M:
    """The row at `pk`, read fresh and locked until the transaction ends (no version to compare).
    `bump` moves its version on, so a page opened before this change can no longer save over it."""
    fresh = _locked(queryset, pk)
    if bump:
        type(fresh)._default_manager.filter(pk=pk).update(version=F("version") + 1)
        fresh.version += 1  # type: ignore[attr-defined]  # M is a model with a version field
    return fresh


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The row's field values now, to diff against after the change (a file field by its stored
    name: storing a new file changes the field object in place)."""
    values = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        values[field.attname] = value.name if isinstance(value, models.fields.files.FieldFile) else value
    return values


def _history_actor(obj: models.Model, actor: AnyUser | None) -> None:
    # django-simple-history reads this attribute when it writes the historical row.
    obj._history_user = actor if actor is not None and actor.is_authenticated else None  # type: ignore[attr-defined]  # read by django-simple-history


def save(
    obj: M,
    *,
    actor: AnyUser | None,
    action: str,
    before: dict[str, Any] | None = None,
    note: str = "",
    update_fields: Iterable[str] | None = None,
    audit: bool = True,
    also_changed: list[dict[str, str]] | None = None,
) -> M:
    """Save a changed row for `actor` and write its audit entry (only when something changed,
    unless `note` says why it matters anyway). `also_changed` adds lines about related rows the
    same change made (a person's skills); `audit=False` for a row whose change another entry tells."""
    _history_actor(obj, actor)
    obj.save(update_fields=list(update_fields) if update_fields is not None else None)
    if audit:
        changes = (diff(obj, before) if before is not None else []) + (also_changed or [])
        if changes or note or before is None:
            record(actor=actor, action=action, obj=obj, changes=changes, note=note)
    return obj


def create(
    obj: M,
    *,
    actor: AnyUser | None,
    action: str = "created",
    note: str = "",
    also_changed: list[dict[str, str]] | None = None,
) -> M:
    """Insert a new row for `actor`, with an audit entry listing what it was created with (and
    `also_changed`: related rows made with it, e.g. a requirement's skills)."""
    _history_actor(obj, actor)
    obj.save()
    record(actor=actor, action=action, obj=obj, changes=diff(obj, None) + (also_changed or []), note=note)
    return obj


def delete(
    obj: models.Model, *, actor: AnyUser | None, action: str = "deleted", note: str = "", audit: bool = True
) -> None:
    """Delete a row for `actor`; the audit entry keeps its name."""
    _history_actor(obj, actor)
    if audit:
        record(actor=actor, action=action, obj=obj, note=note)
    obj.delete()


def record(
    *,
    actor: AnyUser | None,
    action: str,
    obj: models.Model,
    changes: list[dict[str, str]] | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Write one audit entry about `obj`."""
    return AuditEntry.objects.create(
        at=at or timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action[:120],
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_label=str(obj)[:300],
        object_url=object_url(obj),
        changes=changes or [],
        note=note,
    )


def object_url(obj: models.Model) -> str:
    """The record's own page, else its admin page, else nothing."""
    get_url = getattr(obj, "get_absolute_url", None)
    if callable(get_url):
        try:
            return str(get_url())
        except NoReverseMatch:
            pass
    meta = obj._meta
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


def diff(obj: models.Model, before: dict[str, Any] | None) -> list[dict[str, str]]:
    """Each changed field as {field, before, after} in words; with no `before`, every set field."""
    lines = []
    for field in obj._meta.concrete_fields:
        if field.attname in _NOT_AUDITED or field.name in _NOT_AUDITED:
            continue
        after = getattr(obj, field.attname)
        if before is None:
            if after in (None, "", [], {}):
                continue
            old = None
        else:
            old = before.get(field.attname)
            current = after.name if isinstance(after, models.fields.files.FieldFile) else after
            if old == current:
                continue
        lines.append(
            {
                "field": str(field.verbose_name),
                "before": "" if before is None else in_words(field, old),
                "after": in_words(field, after),
            }
        )
    return lines


def in_words(field: models.Field[Any, Any], value: Any) -> str:
    """A field's value as a page shows it: choice labels, related names, dates to the minute."""
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation and field.related_model is not None:
        related = field.related_model._default_manager.filter(pk=value).first()
        if related is None:
            return f"#{value}"
        if isinstance(related, AbstractUser):
            person = getattr(related, "person", None)  # the person the login belongs to, if any
            return getattr(person, "name", "") or related.get_full_name() or related.get_username()
        return str(related)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) else f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    if isinstance(field, models.FileField):
        return "a file" if value else "—"
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "…"
