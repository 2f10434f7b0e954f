"""Flags that higher apps add to a lower app's list without the lower app importing them.

A list names a slot ("pipeline"); an app registers flags for it in its AppConfig.ready(). Each flag
is a key, a label, a short badge text and a filter (a Q over the queryset once `annotate` has run).
The list annotates its queryset once (`annotate`), filters by a chosen flag (`filter`), counts every
flag in one query (`counts`) and reads each row's flags (`flags_of`, no query).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When


@dataclass(frozen=True)
class ListFlag:
    key: str
    label: str
    short: str
    q: Callable[[], Q]  # over the queryset after `annotate`

    @property
    def field(self) -> str:
        return f"flag_{self.key}"


# slot -> (the annotations the flags need, the flags in order)
_flags: dict[str, list[ListFlag]] = {}
_annotators: dict[str, list[Callable[[QuerySet[Any]], QuerySet[Any]]]] = {}


def register(
    slot: str, flags: list[ListFlag], annotate: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None
) -> None:
    known = _flags.setdefault(slot, [])
    for flag in flags:
        if all(f.key != flag.key for f in known):
            known.append(flag)
    if annotate is not None and annotate not in _annotators.setdefault(slot, []):
        _annotators[slot].append(annotate)


def flags(slot: str) -> list[ListFlag]:
    return list(_flags.get(slot, []))


def choices(slot: str) -> list[tuple[str, str]]:
    return [(flag.key, flag.label) for flag in flags(slot)]


def _prepare(slot: str, qs: QuerySet[Any]) -> QuerySet[Any]:
    for annotate in _annotators.get(slot, []):
        qs = annotate(qs)
    return qs


def annotate(slot: str, qs: QuerySet[Any]) -> QuerySet[Any]:
    """`qs` with what the flags need and one boolean `flag_<key>` per flag."""
    prepared: QuerySet[Any] = _prepare(slot, qs)
    booleans = {flag.field: _boolean(flag.q()) for flag in flags(slot)}
    result: QuerySet[Any] = prepared.annotate(**booleans)
    return result


def _boolean(q: Q) -> Case:
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def filter(slot: str, qs: QuerySet[Any], key: str) -> QuerySet[Any]:
    """`qs` (from `annotate`) narrowed to one flag; an unknown key leaves it as it is."""
    flag = next((f for f in flags(slot) if f.key == key), None)
    return qs if flag is None else qs.filter(flag.q())


def counts(slot: str, qs: QuerySet[Any]) -> dict[str, int]:
    """How many rows of `qs` carry each flag: one query (`qs` need not be annotated)."""
    found = flags(slot)
    if not found:
        return {}
    qs = _prepare(slot, qs).order_by()
    result = qs.aggregate(**{flag.key: Count("pk", filter=flag.q()) for flag in found})
    return {key: int(value or 0) for key, value in result.items()}


def flags_of(slot: str, row: Any) -> list[ListFlag]:
    """The flags an annotated row carries (no query)."""
    return [flag for flag in flags(slot) if getattr(row, flag.field, False)]
