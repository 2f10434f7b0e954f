"""Reads of opportunities for the pipeline pages, the detail page and exports."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import BooleanField, Case, Count, JSONField, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import JSONObject
from django.http import Http404
from django.utils import timezone

from core import list_flags
from core.fiscal import FiscalQuarter
from core.models import AuditEntry
from core.roles import Role
from core.types import AnyUser
from engagements import access
from engagements.deal_flags import past_due_call
from engagements.models import (
    PIPELINE_COLUMN_KEYS,
    Confidence,
    ConfidenceEvent,
    Opportunity,
    PendingPush,
    PipelinePreference,
    Risk,
    SavedFilter,
)
from people.models import Region
from people.selectors import engagement_managers, person_for_user


class Scope:
    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"
    ALL = "all"


def stale_cutoff(as_of: dt.datetime | None = None) -> dt.datetime:
    """Calls last confirmed before this moment are stale: STALE_AFTER_DAYS before `as_of` (now)."""
    return (as_of or timezone.now()) - dt.timedelta(days=settings.STALE_AFTER_DAYS)


def stale_call(reviewed_field: str = "em_reviewed_at", *, as_of: dt.datetime | None = None) -> Q:
    """The one definition of a stale EM call: never confirmed, or last confirmed before
    stale_cutoff(as_of). `reviewed_field` names the review stamp in queries over other rows
    (a forecast snapshot's copy of it)."""
    return Q(**{f"{reviewed_field}__isnull": True}) | Q(**{f"{reviewed_field}__lt": stale_cutoff(as_of)})


def available_scopes(user: AnyUser) -> list[tuple[str, str]]:
    """The pipeline views a user may switch between, in menu order."""
    scopes = []
    if user.has_perm("engagements.change_em_fields") and person_for_user(user) is not None:
        scopes.append((Scope.MINE, "My pipeline"))
    if user.has_perm("engagements.manage_em_team") or user.is_superuser:
        scopes += [(Scope.TEAM, "My team"), (Scope.UNASSIGNED, "Unassigned")]
    if user.has_perm("engagements.view_opportunity"):
        scopes.append((Scope.ALL, "All I can see" if not access.can_view_all(user) else "All opportunities"))
    return scopes


def default_scope(user: AnyUser) -> str | None:
    """Where a user lands: EM Managers on their team, EMs on their own pipeline, others on all."""
    keys = [key for key, _ in available_scopes(user)]
    if Scope.TEAM in keys and user.has_perm("engagements.manage_em_team"):
        return Scope.TEAM
    return keys[0] if keys else None


def annotate_badges(qs: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    quarter = FiscalQuarter.current()
    return qs.annotate(
        is_stale=Case(
            When(stale_call(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        closes_this_quarter=Case(
            When(close_date__range=(quarter.start, quarter.end), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        # Open with a close date already gone: it still counts in the forecast at that date.
        is_past_due=Case(
            When(past_due_call(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def pipeline_queryset(*, user: AnyUser, scope: str) -> QuerySet[Opportunity]:
    """Opportunities in a pipeline scope, limited to what the user may see, with badges.
    Opportunities deleted in Salesforce are kept (their page still opens) but leave the lists."""
    qs = Opportunity.objects.filter(access.visible_filter(user), removed_in_salesforce_at__isnull=True)
    person = person_for_user(user)
    if scope == Scope.MINE:
        qs = qs.filter(engagement_manager=person) if person else qs.none()
    elif scope == Scope.TEAM:
        if user.is_superuser and person is None:
            qs = qs.exclude(engagement_manager=None)
        elif person is not None:
            team = Q(engagement_manager__manager=person) | Q(engagement_manager=person)
            if person.region_id:
                team |= Q(region_id=person.region_id, engagement_manager__isnull=False)
            qs = qs.filter(team)
        else:
            qs = qs.none()
    elif scope == Scope.UNASSIGNED:
        qs = qs.filter(engagement_manager__isnull=True)
        if person is not None and person.region_id and not user.is_superuser:
            qs = qs.filter(region_id=person.region_id)
    # The deal-hygiene flags (pushed out of its quarter, category against colour…) ride on the
    # same SELECT: the apps that define them register them on core.list_flags.
    return list_flags.annotate(
        "pipeline", annotate_badges(qs.select_related("account", "region", "engagement_manager"))
    )


@dataclass
class PipelineOptions:
    """What the pipeline page offers around its rows: the filter's stage and region choices, the
    user's saved filters and the optional columns they chose to see."""

    stages: list[str]
    regions: list[Region]
    saved_filters: list[SavedFilter]
    columns: list[str]


def _saved_filters_of(user_id: int) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(user_id=user_id).order_by("name", "pk")


def _columns_of(user_id: int) -> QuerySet[PipelinePreference]:
    return PipelinePreference.objects.filter(user_id=user_id)


def chosen_columns(stored: Any) -> list[str]:
    """The optional columns to show: the stored choice (known keys, in table order), or all."""
    if not isinstance(stored, list):
        return list(PIPELINE_COLUMN_KEYS)
    return [key for key in PIPELINE_COLUMN_KEYS if key in stored]


def columns_for(*, user: AnyUser) -> list[str]:
    """The optional columns the user chose to see on the pipeline (all until they choose)."""
    preference = _columns_of(int(user.pk or 0)).first()
    return chosen_columns(preference.columns if preference else None)


def pipeline_options(base: QuerySet[Opportunity], *, user: AnyUser) -> PipelineOptions:
    """The filter's choices (the stages found in `base`, sorted, and every region), the user's saved
    filters and column choice — in one query: the stages, saved filters and columns ride on each
    region row as values the database computes once."""
    user_id = int(user.pk or 0)  # the pipeline is for logged-in users only
    stage_values = base.order_by().exclude(stage="").values("stage").distinct()
    saved_values = _saved_filters_of(user_id).values(item=JSONObject(id="pk", name="name", query="query"))
    column_values = _columns_of(user_id).values("columns")[:1]
    if connection.vendor == "postgresql":
        regions: list[Region] = list(
            Region.objects.annotate(
                stages=ArraySubquery(stage_values),
                saved=ArraySubquery(saved_values, output_field=ArrayField(JSONField())),
                chosen=Subquery(column_values, output_field=JSONField()),
            )
        )
    else:  # no arrays to carry the values along (SQLite): each is its own query
        regions = list(Region.objects.all())
    if regions and connection.vendor == "postgresql":
        first: Any = regions[0]
        stages: list[str] = first.stages
        saved = [
            SavedFilter(pk=item["id"], user_id=user_id, name=item["name"], query=item["query"])
            for item in first.saved
        ]
        stored = first.chosen
    else:
        stages = list(stage_values.values_list("stage", flat=True))
        saved = list(_saved_filters_of(user_id))
        preference = _columns_of(user_id).first()
        stored = preference.columns if preference else None
    return PipelineOptions(sorted(stages), regions, saved, chosen_columns(stored))


@dataclass
class ColourTotal:
    confidence: str
    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)  # currency -> total


@dataclass
class FlagCount:
    key: str
    label: str
    short: str
    count: int


def confidence_totals(qs: QuerySet[Opportunity]) -> list[ColourTotal]:
    """Count and amount per confidence colour for a filtered set, kept apart per currency."""
    return pipeline_totals(qs, with_flags=False)[0]


def pipeline_totals(
    qs: QuerySet[Opportunity], *, with_flags: bool = True
) -> tuple[list[ColourTotal], list[FlagCount]]:
    """Count and amount per confidence colour (kept apart per currency) and how many carry each
    deal-hygiene flag, for a filtered set from pipeline_queryset — in one grouped query."""
    flags = list_flags.flags("pipeline") if with_flags else []
    per_flag = {f"flag_count_{flag.key}": Count("id", filter=flag.q()) for flag in flags}
    rows = (
        qs.order_by()
        .values("em_confidence", "currency")
        .annotate(n=Count("id"), total=Sum("amount"), **per_flag)
    )
    by_colour: dict[str, ColourTotal] = {c: ColourTotal(c) for c in Confidence.values}
    flag_counts = {flag.key: 0 for flag in flags}
    for row in rows:
        values: dict[str, Any] = dict(row)
        for flag in flags:
            flag_counts[flag.key] += values[f"flag_count_{flag.key}"]
        bucket = by_colour[row["em_confidence"]]
        bucket.count += row["n"]
        bucket.amounts[row["currency"]] = bucket.amounts.get(row["currency"], Decimal("0")) + (
            row["total"] or Decimal("0")
        )
    for bucket in by_colour.values():
        bucket.amounts = dict(sorted(bucket.amounts.items()))
    colours = [by_colour[c] for c in (Confidence.GREEN, Confidence.AMBER, Confidence.RED, Confidence.GREY)]
    return colours, [FlagCount(flag.key, flag.label, flag.short, flag_counts[flag.key]) for flag in flags]


def grand_totals(totals: list[ColourTotal]) -> tuple[int, dict[str, Decimal]]:
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for bucket in totals:
        for currency, amount in bucket.amounts.items():
            amounts[currency] += amount
    return sum(b.count for b in totals), dict(sorted(amounts.items()))


def opportunity_for_user(*, user: AnyUser, pk: int) -> Opportunity:
    """The opportunity if the user may see it; 404 otherwise (existence is not revealed)."""
    opportunity: Opportunity | None = (
        list_flags.annotate("pipeline", annotate_badges(Opportunity.objects.all()))
        .select_related("account", "region", "engagement_manager", "engagement_manager__manager")
        .filter(pk=pk)
        .first()
    )
    if opportunity is None or not access.can_view(user, opportunity):
        raise Http404("No such opportunity.")
    return opportunity


def risk_for_user(*, user: AnyUser, pk: int) -> Risk:
    risk = Risk.objects.select_related("opportunity", "opportunity__engagement_manager").filter(pk=pk).first()
    if risk is None or not access.can_view(user, risk.opportunity):
        raise Http404("No such risk.")
    return risk


def confidence_timeline(*, opportunity: Opportunity) -> QuerySet[ConfidenceEvent]:
    return opportunity.confidence_events.select_related("actor", "actor__person")


def opportunity_risks(*, opportunity: Opportunity) -> QuerySet[Risk]:
    return opportunity.risks.all()


def pending_push_for(*, opportunity: Opportunity) -> PendingPush | None:
    return PendingPush.objects.filter(opportunity=opportunity).first()


@dataclass
class EmLoad:
    """An Engagement Manager's open workload: opportunities, amount per currency and stale calls."""

    em: Any
    open_count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)
    stale_count: int = 0


def em_workload(*, user: AnyUser, region_id: int | None = None) -> list[EmLoad]:
    """Open workload per active EM — in the manager's region, or all for administrators (2 queries)."""
    person = person_for_user(user)
    if region_id is None and not user.is_superuser and person is not None:
        region_id = person.region_id
    ems = list(engagement_managers(region_id=region_id))
    loads = {em.pk: EmLoad(em) for em in ems}
    rows = (
        Opportunity.objects.filter(
            engagement_manager__in=ems, is_closed=False, removed_in_salesforce_at__isnull=True
        )
        .values("engagement_manager_id", "currency")
        .annotate(
            n=Count("id"),
            total=Sum("amount"),
            stale=Count("id", filter=stale_call()),
        )
        .order_by()
    )
    for row in rows:
        load = loads[row["engagement_manager_id"]]
        load.open_count += row["n"]
        load.stale_count += row["stale"]
        load.amounts[row["currency"]] = load.amounts.get(row["currency"], Decimal("0")) + (row["total"] or 0)
    return sorted(
        loads.values(), key=lambda load: (load.em.region.code if load.em.region else "", load.em.name)
    )


def suggested_ems(loads: list[EmLoad]) -> dict[int | None, EmLoad]:
    """The least-loaded Engagement Manager per region.

    Only people with the Engagement Manager role are suggested: EM Managers (and anyone else in the
    list) may be chosen by hand but are never suggested or preselected. Ranked by open amount, then
    open count, then stale calls, then name. Open amounts are compared only when every candidate of
    the region carries its open deals in one currency (amounts in different currencies are not added
    up here); otherwise the count decides.
    """
    by_region: dict[int | None, list[EmLoad]] = {}
    for load in loads:
        if load.em.role == Role.ENGAGEMENT_MANAGER:
            by_region.setdefault(load.em.region_id, []).append(load)
    best: dict[int | None, EmLoad] = {}
    for region_id, candidates in by_region.items():
        currencies = {currency for load in candidates for currency in load.amounts}
        if len(currencies) <= 1:
            best[region_id] = min(
                candidates,
                key=lambda load: (
                    sum(load.amounts.values(), Decimal("0")),
                    load.open_count,
                    load.stale_count,
                    load.em.name,
                ),
            )
        else:
            best[region_id] = min(
                candidates, key=lambda load: (load.open_count, load.stale_count, load.em.name)
            )
    return best


@dataclass
class LastChange:
    """Who last changed a record and when, as a person reads it: a name and a local time."""

    who: str
    at: dt.datetime
    local_at: str
    action: str


def _viewer_zone(viewer: AnyUser | None) -> zoneinfo.ZoneInfo:
    person = person_for_user(viewer) if viewer is not None else None
    name = (person.time_zone if person is not None else "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_time(at: dt.datetime, viewer: AnyUser | None) -> str:
    """`at` in the viewer's time zone (their directory entry's), e.g. "2 Dec 2026, 14:05 CET"."""
    local = at.astimezone(_viewer_zone(viewer))
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def last_change(*, opportunity_id: int, viewer: AnyUser | None = None) -> LastChange | None:
    """The latest audited change of the opportunity (one query): who made it (their name; the
    Salesforce sync when nobody did) and when, in the viewer's local time."""
    entry = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Opportunity), object_id=str(opportunity_id)
        )
        .select_related("actor", "actor__person")
        .order_by("-at", "-pk")
        .first()
    )
    if entry is None:
        return None
    actor = entry.actor
    if actor is None:
        who = "The Salesforce sync"
    else:
        person = getattr(actor, "person", None)
        who = (person.name if person is not None else "") or actor.get_full_name() or actor.get_username()
    return LastChange(who=who, at=entry.at, local_at=local_time(entry.at, viewer), action=entry.action)


def saved_filter_for_user(*, user: AnyUser, pk: int) -> SavedFilter:
    """One of the user's own saved filters; 404 for anyone else's."""
    saved = SavedFilter.objects.filter(pk=pk, user_id=user.pk).first() if user.is_authenticated else None
    if saved is None:
        raise Http404("No such saved filter.")
    return saved
