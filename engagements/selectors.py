"""Reads of opportunities for the pipeline pages, the detail page and exports."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BooleanField, Case, Count, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from core.types import AnyUser
from engagements import access
from engagements.models import Confidence, ConfidenceEvent, Opportunity, PendingPush, Risk
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
            When(is_closed=False, close_date__lt=timezone.localdate(), then=Value(True)),
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
    return annotate_badges(qs.select_related("account", "region", "engagement_manager"))


def filter_options(base: QuerySet[Opportunity]) -> tuple[list[str], list[Region]]:
    """The pipeline filter's choices: the stages found in `base` (sorted) and every region — in one
    query, the stages riding on each region row as an array the database computes once."""
    stage_values = base.order_by().exclude(stage="").values("stage").distinct()
    regions: list[Region] = list(Region.objects.annotate(stages=ArraySubquery(stage_values)))
    stages: list[str] = (
        regions[0].stages  # type: ignore[attr-defined]  # the annotation above
        if regions
        else list(stage_values.values_list("stage", flat=True))
    )
    return sorted(stages), regions


@dataclass
class ColourTotal:
    confidence: str
    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)  # currency -> total


def confidence_totals(qs: QuerySet[Opportunity]) -> list[ColourTotal]:
    """Count and amount per confidence colour for a filtered set, kept apart per currency."""
    rows = qs.order_by().values("em_confidence", "currency").annotate(n=Count("id"), total=Sum("amount"))
    by_colour: dict[str, ColourTotal] = {c: ColourTotal(c) for c in Confidence.values}
    for row in rows:
        bucket = by_colour[row["em_confidence"]]
        bucket.count += row["n"]
        bucket.amounts[row["currency"]] = bucket.amounts.get(row["currency"], Decimal("0")) + (
            row["total"] or Decimal("0")
        )
    for bucket in by_colour.values():
        bucket.amounts = dict(sorted(bucket.amounts.items()))
    return [by_colour[c] for c in (Confidence.GREEN, Confidence.AMBER, Confidence.RED, Confidence.GREY)]


def grand_totals(totals: list[ColourTotal]) -> tuple[int, dict[str, Decimal]]:
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for bucket in totals:
        for currency, amount in bucket.amounts.items():
            amounts[currency] += amount
    return sum(b.count for b in totals), dict(sorted(amounts.items()))


def opportunity_for_user(*, user: AnyUser, pk: int) -> Opportunity:
    """The opportunity if the user may see it; 404 otherwise (existence is not revealed)."""
    opportunity = (
        annotate_badges(Opportunity.objects.all())
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
