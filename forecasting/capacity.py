"""Delivery capacity for the next weeks against booked work and confidence-weighted demand.

- Capacity: each active delivery person's weekly hours.
- Confirmed and proposed hours: assignments (an assignment counts in full in every week its dates
  touch, as in staffing).
- Pipeline demand: the hours of the agreed (else latest) estimate of every open opportunity whose
  SOW is not signed and whose scoping issue is not closed (DEMAND_RULE; an issue on hold still
  counts), spread evenly over DEMAND_SPREAD_WEEKS weeks from the Monday after its close
  date, and weighted by the EM's confidence. The weights are the observed close rates from EM
  calibration when enough calls exist, else the configured defaults. An estimate line's hours go to
  the people role its rate-card role says delivers it (DeliveryRole.person_role; packaged SKUs count
  as SOW_PACKAGED_DELIVERY_ROLE); hours whose rate-card role has none stay in the totals, in their own
  row by role, with a warning naming the roles to fix. An estimate's hours are its activity hours
  plus its packaged SKUs' included hours (the estimate page's Hours total); other lines carry none.
- Demand estimated from amount: an open opportunity with no estimate at all (and no signed SOW, and
  not only closed scoping issues) counts its amount, converted into the corporate currency with
  today's exchange rates, divided by its region's blended bill rate (Region.blended_bill_rate, in the
  corporate currency), spread and weighted as above. It has no delivery role; the page marks it
  "estimated from amount", and it gives way to the estimate's hours as soon as one exists.
- By language and by time-zone band: capacity is the people who speak the language (or whose time
  zone is in the band); demand is the open staffing requirements' hours a week not yet covered by a
  proposed or confirmed assignment, in every week their dates touch (requirements name languages
  and the customer's time zone; estimates do not).
- Kickoffs: the hand-offs whose kickoff date falls in the weeks shown.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from engagements.models import Opportunity
from forecasting.calibration import calibration
from forecasting.figures import COLOURS, RateBook, Rates
from people.models import DELIVERY_ROLES, Person, PersonSkill, Region
from scoping.models import DeliveryRole, Estimate, EstimateLine, ScopingIssue, ScopingStatus
from sow.models import HandOff, SowStatus, SowVersion
from staffing.models import ACTIVE_ASSIGNMENT, Assignment, AssignmentStatus, StaffingRequirement

ZERO = Decimal("0")
HUNDRED = Decimal("100")
DIMENSIONS = [
    ("region", "Region"),
    ("role", "Role"),
    ("skill", "Skill"),
    ("language", "Language"),
    ("time_zone", "Time-zone band"),
]
# Dimensions whose demand is the open staffing requirements' uncovered hours, not the pipeline's.
REQUIREMENT_DIMENSIONS = ("language", "time_zone")
# Time-zone bands by UTC offset in hours: (label, lowest offset, highest offset), both inclusive.
TIME_ZONE_BANDS = [
    ("Americas (UTC−12 to −3)", Decimal("-12"), Decimal("-3")),
    ("EMEA (UTC−2 to +4)", Decimal("-2"), Decimal("4")),
    ("APAC (UTC+4:30 to +14)", Decimal("4.5"), Decimal("14")),
]
FROM_AMOUNT = "from_amount"
FROM_AMOUNT_LABEL = "Estimated from amount (no role)"
SIGNED = [SowStatus.SIGNED, SowStatus.HANDED_OFF]

DEMAND_RULE = (
    "Demand counts the agreed (else latest) estimate of every open opportunity whose SOW is not signed, "
    "unless its scoping issue is closed (closing it says the services it scoped will not be sold). "
    "A scoping issue on hold still counts: the deal is open and its EM confidence already weights it. "
    "An estimate's hours are its activity hours plus its packaged SKUs' included hours, as on the "
    "estimate page. An open opportunity with no estimate yet counts its amount (in the corporate currency "
    "at today's rate) divided by its region's blended bill rate, estimated from amount, until it has one."
)
HOURS_KINDS = [EstimateLine.Kind.ACTIVITY, EstimateLine.Kind.SKU]

# The by-role row for demand whose rate-card role names no people role.
UNMAPPED = "unmapped"
UNMAPPED_LABEL = "No delivery role on the rate card"


def default_weights() -> dict[str, Decimal]:
    """The configured weight of each EM confidence colour (CAPACITY_CONFIDENCE_WEIGHTS)."""
    configured = settings.CAPACITY_CONFIDENCE_WEIGHTS
    return {colour: Decimal(str(configured[colour])) for colour in COLOURS}


@dataclass
class Weights:
    values: dict[str, Decimal]
    sources: dict[str, str]  # colour -> "calibration (N calls)" or "default"
    # The exact rate (won / called) where the weight comes from calibration; the shown value otherwise.
    exact: dict[str, Fraction] = field(default_factory=dict)

    def exactly(self, colour: str) -> Fraction:
        found = self.exact.get(colour)
        return found if found is not None else Fraction(self.values.get(colour, ZERO))


def confidence_weights(calls_by_colour: dict[str, tuple[int, int]] | None = None) -> Weights:
    """Observed close rate per colour where calibration has at least CAPACITY_MIN_CALLS calls."""
    if calls_by_colour is None:
        overall = calibration().overall
        calls_by_colour = {c: (rate.called, rate.won) for c, rate in overall.calls.items()}
    minimum = int(settings.CAPACITY_MIN_CALLS)
    values, sources, exact = default_weights(), {}, {}
    for colour in values:
        called, won = calls_by_colour.get(colour, (0, 0))
        if called >= minimum:
            values[colour] = Decimal(won) / Decimal(called)
            exact[colour] = Fraction(won, called)
            sources[colour] = f"calibration ({won} of {called} calls won)"
        else:
            sources[colour] = "default" + (f" (only {called} calls)" if called else "")
    return Weights(values, sources, exact)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Cell:
    capacity: Decimal = ZERO
    confirmed: Decimal = ZERO
    proposed: Decimal = ZERO
    demand: Decimal = ZERO
    from_amount: Decimal = ZERO  # the part of `demand` estimated from opportunity amounts

    @property
    def heat(self) -> str:
        """The heat-map colour by outlook; hours booked or wanted where there is no capacity are over."""
        outlook = self.outlook
        if outlook is None:
            return "heat-over" if self.booked + self.demand > 0 else ""
        if outlook > HUNDRED:
            return "heat-over"
        if outlook >= 85:
            return "heat-high"
        if outlook >= 50:
            return "heat-ok"
        return "heat-low"

    @property
    def booked(self) -> Decimal:
        return self.confirmed + self.proposed

    @property
    def utilization(self) -> Decimal | None:
        """Confirmed + proposed hours as a percent of capacity."""
        return None if not self.capacity else self.booked / self.capacity * HUNDRED

    @property
    def outlook(self) -> Decimal | None:
        """Booked hours plus weighted demand, as a percent of capacity."""
        return None if not self.capacity else (self.booked + self.demand) / self.capacity * HUNDRED


@dataclass
class GroupRow:
    key: str
    label: str
    cells: list[Cell]


@dataclass
class PersonRow:
    person: Person
    target: Decimal
    cells: list[Cell]

    @property
    def coloured(self) -> list[tuple[Cell, str]]:
        """Each week's cell with its status, for the page (its heat-* class and its legend)."""
        return [(cell, self.status(cell)) for cell in self.cells]

    def status(self, cell: Cell) -> str:
        utilization = cell.utilization
        if utilization is None:
            return "over" if cell.booked > 0 else "none"
        if utilization > HUNDRED:
            return "over"
        if utilization < self.target:
            return "under"
        return "ok"


@dataclass
class Capacity:
    weeks: list[dt.date]
    dimension: str
    groups: list[GroupRow]
    totals: list[Cell]
    people: list[PersonRow]
    weights: Weights
    demand_without_role: Decimal = ZERO
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    from_amount: list[AmountDemand] = field(default_factory=list)
    amount_warnings: list[str] = field(default_factory=list)
    kickoffs: list[HandOff] = field(default_factory=list)

    @property
    def demand_rows_are_requirements(self) -> bool:
        return self.dimension in REQUIREMENT_DIMENSIONS


def _touched_weeks(start: dt.date, end: dt.date, weeks: list[dt.date]) -> list[int]:
    first, last = week_start(start), week_start(end)
    return [i for i, week in enumerate(weeks) if first <= week <= last]


class Demand(NamedTuple):
    region_id: int | None
    person_role: str  # "" when the rate-card role names none
    week: int  # index into the weeks
    hours: Fraction  # exact, so that a cell's sum is exact before it is rounded once for showing
    rate_card_role: str
    from_amount: bool = False


@dataclass
class AmountDemand:
    """An opportunity whose demand is estimated from its amount (for the page's list)."""

    opportunity_id: int
    name: str
    region: str
    amount: Decimal
    currency: str
    converted: Decimal
    rate: Decimal
    hours: Decimal  # amount ÷ rate, before weighting and spreading
    weight: Decimal


class RateCardRoles:
    """Who delivers each rate-card role, read from the rate card once (one query)."""

    def __init__(self) -> None:
        self.exact: dict[tuple[str, str], str] = {}
        by_name: dict[str, set[str]] = defaultdict(set)
        for name, currency, person_role in DeliveryRole.objects.values_list(
            "name", "currency", "person_role"
        ):
            self.exact[(name, currency)] = person_role
            by_name[name].add(person_role)
        # A role without a row in the estimate's currency counts as its other rows say, if they agree.
        self.any_currency = {name: roles.pop() for name, roles in by_name.items() if len(roles) == 1}

    def person_role(self, name: str, currency: str) -> str:
        found = self.exact.get((name, currency))
        return found if found is not None else self.any_currency.get(name, "")


def demand_hours(weeks: list[dt.date], weights: Weights) -> list[Demand]:
    """Weighted demand per region, people role and week (two queries: the lines and the rate card)."""
    spread = int(settings.DEMAND_SPREAD_WEEKS)
    agreed = Estimate.objects.filter(scoping_issue=OuterRef("estimate__scoping_issue"), status="agreed")
    latest = Estimate.objects.filter(scoping_issue=OuterRef("estimate__scoping_issue")).order_by("-number")
    chosen = Subquery(agreed.values("pk")[:1])
    rows = (
        EstimateLine.objects.filter(
            estimate__scoping_issue__opportunity__is_closed=False,
            estimate__scoping_issue__opportunity__removed_in_salesforce_at__isnull=True,
            kind__in=HOURS_KINDS,
        )
        .exclude(estimate__scoping_issue__status=ScopingStatus.CLOSED)
        .exclude(estimate__scoping_issue__sows__versions__status__in=SIGNED)
        .annotate(agreed_pk=chosen, latest_pk=Subquery(latest.values("pk")[:1]))
        .filter(
            Q(agreed_pk__isnull=False, estimate_id=F("agreed_pk"))
            | Q(agreed_pk__isnull=True, estimate_id=F("latest_pk"))
        )
        .values(
            "estimate__scoping_issue__opportunity__region_id",
            "estimate__scoping_issue__opportunity__close_date",
            "estimate__scoping_issue__opportunity__em_confidence",
            "estimate__currency",
            "role_name",
            "kind",
        )
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    packaged_role = str(settings.SOW_PACKAGED_DELIVERY_ROLE)
    rate_card = RateCardRoles()
    result: list[Demand] = []
    horizon = {week: i for i, week in enumerate(weeks)}
    for row in rows:
        hours = row["hours"] or ZERO
        if not hours:
            continue
        weight = weights.exactly(row["estimate__scoping_issue__opportunity__em_confidence"])
        role_name = (row["role_name"] if row["kind"] == "activity" else packaged_role) or ""
        role = rate_card.person_role(role_name, row["estimate__currency"])
        first = week_start(row["estimate__scoping_issue__opportunity__close_date"]) + dt.timedelta(days=7)
        per_week = Fraction(hours) * weight / spread
        for n in range(spread):
            index = horizon.get(first + dt.timedelta(weeks=n))
            if index is not None:
                region_id = row["estimate__scoping_issue__opportunity__region_id"]
                result.append(Demand(region_id, role, index, per_week, role_name))
    return result


def _spread(close_date: dt.date, weeks: list[dt.date]) -> list[int]:
    """The indexes of the weeks shown among the DEMAND_SPREAD_WEEKS weeks from the Monday after close."""
    first = week_start(close_date) + dt.timedelta(days=7)
    horizon = {week: i for i, week in enumerate(weeks)}
    spread = int(settings.DEMAND_SPREAD_WEEKS)
    found = (horizon.get(first + dt.timedelta(weeks=n)) for n in range(spread))
    return [index for index in found if index is not None]


def amount_demand(
    weeks: list[dt.date], weights: Weights, rates: Rates
) -> tuple[list[Demand], list[AmountDemand], list[str]]:
    """Weighted demand of the open opportunities that have no estimate, from their amount ÷ their
    region's blended bill rate (one query), with the list shown on the page and what could not count."""
    spread = int(settings.DEMAND_SPREAD_WEEKS)
    issues = ScopingIssue.objects.filter(opportunity=OuterRef("pk"))
    rows = (
        Opportunity.objects.filter(is_closed=False, removed_in_salesforce_at__isnull=True)
        .exclude(Exists(Estimate.objects.filter(scoping_issue__opportunity=OuterRef("pk"))))
        .exclude(Exists(SowVersion.objects.filter(sow__opportunity=OuterRef("pk"), status__in=SIGNED)))
        # Closing every scoping issue says the services will not be sold (as for estimates).
        .exclude(Q(Exists(issues)) & ~Exists(issues.exclude(status=ScopingStatus.CLOSED)))
        .values(
            "pk",
            "name",
            "region_id",
            "region__code",
            "region__blended_bill_rate",
            "amount",
            "currency",
            "close_date",
            "em_confidence",
        )
        .order_by("close_date", "name", "pk")
    )
    demands: list[Demand] = []
    listed: list[AmountDemand] = []
    no_rate: dict[str, int] = defaultdict(int)  # region code -> opportunities
    no_exchange: dict[str, int] = defaultdict(int)  # currency -> opportunities
    for row in rows:
        amount = row["amount"] or ZERO
        if amount <= 0:
            continue
        region = row["region__code"] or "No region"
        rate = row["region__blended_bill_rate"]
        if not rate:
            no_rate[region] += 1
            continue
        converted = rates.convert(amount, row["currency"])
        if converted is None:
            no_exchange[row["currency"]] += 1
            continue
        hours = Fraction(converted) / Fraction(rate)
        weight = weights.exactly(row["em_confidence"])
        per_week = hours * weight / spread
        for index in _spread(row["close_date"], weeks):
            demands.append(Demand(row["region_id"], "", index, per_week, "", from_amount=True))
        listed.append(
            AmountDemand(
                row["pk"],
                row["name"],
                region,
                amount,
                row["currency"],
                converted,
                rate,
                _decimal(hours),
                weights.values.get(row["em_confidence"], ZERO),
            )
        )
    warnings = []
    if no_rate:
        regions = ", ".join(f"{code} ({n})" for code, n in sorted(no_rate.items()))
        warnings.append(
            f"Opportunities without an estimate in regions with no blended bill rate count no demand: "
            f"{regions}. Set each region's blended bill rate in the admin (People › Regions)."
        )
    if no_exchange:
        currencies = ", ".join(f"{code} ({n})" for code, n in sorted(no_exchange.items()))
        warnings.append(
            f"Opportunities without an estimate whose currency has no exchange rate today count no "
            f"demand: {currencies}. Add the rates in the admin."
        )
    return demands, listed, warnings


def time_zone_band(name: str, on: dt.date) -> str:
    """The band of a time zone's UTC offset at noon on `on` (a later daylight-saving change is not
    followed within the weeks shown)."""
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "Unknown time zone"
    offset = dt.datetime.combine(on, dt.time(12), tzinfo=zone).utcoffset() or dt.timedelta(0)
    hours = Decimal(int(offset.total_seconds())) / Decimal(3600)
    for label, low, high in TIME_ZONE_BANDS:
        if low <= hours <= high:
            return label
    return TIME_ZONE_BANDS[0][0] if hours < 0 else TIME_ZONE_BANDS[-1][0]


class RequirementDemand(NamedTuple):
    keys: list[str]  # the languages (or the one time-zone band) it needs
    week: int
    hours: Decimal


def requirement_demand(weeks: list[dt.date], dimension: str) -> list[RequirementDemand]:
    """The open staffing requirements' hours a week not covered by proposed or confirmed assignments,
    in every week their dates touch (one query). Requirements of deals lost or removed in Salesforce,
    and of withdrawn SOWs, are left out."""
    horizon_end = weeks[-1] + dt.timedelta(days=6)
    live_versions = SowVersion.objects.filter(sow=OuterRef("sow")).exclude(
        status__in=[SowStatus.WITHDRAWN, SowStatus.SUPERSEDED]
    )
    rows = (
        StaffingRequirement.objects.filter(start_date__lte=horizon_end, end_date__gte=weeks[0])
        .filter(Exists(live_versions))
        .exclude(sow__opportunity__is_closed=True, sow__opportunity__is_won=False)
        .exclude(sow__opportunity__removed_in_salesforce_at__isnull=False)
        .annotate(
            covered=Sum("assignments__hours_per_week", filter=Q(assignments__status__in=ACTIVE_ASSIGNMENT))
        )
        .values("languages", "customer_time_zone", "hours_per_week", "covered", "start_date", "end_date")
        .order_by()
    )
    result = []
    for row in rows:
        open_hours = row["hours_per_week"] - (row["covered"] or ZERO)
        if open_hours <= 0:
            continue
        if dimension == "language":
            keys = [str(language) for language in row["languages"] or []] or ["No language named"]
        else:
            keys = [time_zone_band(row["customer_time_zone"], weeks[0])]
        for index in _touched_weeks(row["start_date"], row["end_date"], weeks):
            result.append(RequirementDemand(keys, index, open_hours))
    return result


def capacity(
    *,
    start: dt.date,
    weeks_ahead: int = 12,
    dimension: str = "region",
    weights: Weights | None = None,
    rates: Rates | None = None,
) -> Capacity:
    """The capacity page's numbers (a fixed number of queries whatever the people and weeks)."""
    weeks = [week_start(start) + dt.timedelta(weeks=n) for n in range(weeks_ahead)]
    weights = weights or confidence_weights()
    rates = rates or RateBook.load().on(timezone.localdate())
    people = list(
        Person.objects.filter(active=True, role__in=[r.value for r in DELIVERY_ROLES])
        .select_related("region")
        .order_by("name")
    )
    skills: dict[int, list[str]] = defaultdict(list)
    for person_id, skill_name in PersonSkill.objects.filter(person__in=people).values_list(
        "person_id", "skill__name"
    ):
        skills[person_id].append(skill_name)
    horizon_end = weeks[-1] + dt.timedelta(days=6)
    person_cells = {p.pk: [Cell(capacity=p.weekly_capacity_hours) for _ in weeks] for p in people}
    for assignment in Assignment.objects.filter(
        status__in=ACTIVE_ASSIGNMENT, person__in=people, start_date__lte=horizon_end, end_date__gte=weeks[0]
    ).values("person_id", "status", "hours_per_week", "start_date", "end_date"):
        for index in _touched_weeks(assignment["start_date"], assignment["end_date"], weeks):
            cell = person_cells[assignment["person_id"]][index]
            if assignment["status"] == AssignmentStatus.CONFIRMED:
                cell.confirmed += assignment["hours_per_week"]
            else:
                cell.proposed += assignment["hours_per_week"]

    def keys_for(person: Person) -> list[tuple[str, str]]:
        if dimension == "role":
            return [(person.role, person.get_role_display())]
        if dimension == "skill":
            return [(name, name) for name in skills.get(person.pk, [])] or [("", "No skills recorded")]
        if dimension == "language":
            spoken = [str(language) for language in person.languages or []]
            return [(name, name) for name in spoken] or [("", "No language recorded")]
        if dimension == "time_zone":
            band = time_zone_band(person.time_zone, weeks[0])
            return [(band, band)]
        return [(str(person.region_id or ""), person.region.code if person.region else "No region")]

    groups: dict[str, GroupRow] = {}
    totals = [Cell() for _ in weeks]
    for person in people:
        for key, label in keys_for(person):
            group = groups.setdefault(key, GroupRow(key, label, [Cell() for _ in weeks]))
            for cell, mine in zip(group.cells, person_cells[person.pk], strict=True):
                cell.capacity += mine.capacity
                cell.confirmed += mine.confirmed
                cell.proposed += mine.proposed
        for total, mine in zip(totals, person_cells[person.pk], strict=True):
            total.capacity += mine.capacity
            total.confirmed += mine.confirmed
            total.proposed += mine.proposed

    notes = []
    if dimension == "skill":
        notes.append("Estimates do not name skills, so pipeline demand is shown in the total row only.")
    if dimension in REQUIREMENT_DIMENSIONS:
        notes.append(
            "Demand here is the staffing requirements' hours a week not yet covered by a proposed or "
            "confirmed assignment (estimates name no language or time zone). A requirement needing "
            "two languages counts in both rows, once in the total."
        )
    if dimension == "time_zone":
        bands = "; ".join(band[0] for band in TIME_ZONE_BANDS)
        notes.append(f"Bands by UTC offset on {weeks[0]:%Y-%m-%d}: {bands}.")
    region_labels = {str(r.pk): r.code for r in Region.objects.all()} if dimension == "region" else {}
    role_labels = {r.value: r.label for r in DELIVERY_ROLES}
    # Weighted demand is summed exactly and rounded once per cell: 1/6 + 1/3 h is 0.5 h, which a sum
    # of rounded Decimals would make 0.4999… and show as 0.
    unplaced: dict[str, Fraction] = defaultdict(Fraction)  # rate-card role name -> weighted hours
    total_demand = [Fraction(0) for _ in weeks]
    group_demand: dict[tuple[str, int], Fraction] = defaultdict(Fraction)
    total_from_amount = [Fraction(0) for _ in weeks]
    group_from_amount: dict[tuple[str, int], Fraction] = defaultdict(Fraction)
    from_amount, listed, amount_warnings = amount_demand(weeks, weights, rates)
    pipeline = [] if dimension in REQUIREMENT_DIMENSIONS else demand_hours(weeks, weights) + from_amount
    for demand in pipeline:
        total_demand[demand.week] += demand.hours
        if demand.from_amount:
            total_from_amount[demand.week] += demand.hours
        placed = demand.person_role in role_labels
        if not placed and not demand.from_amount:
            unplaced[demand.rate_card_role] += demand.hours
        if dimension == "skill":
            continue
        if dimension == "region":
            key = str(demand.region_id or "")
            label = region_labels.get(key, "No region")
        elif demand.from_amount:
            key, label = FROM_AMOUNT, FROM_AMOUNT_LABEL
        else:
            key = demand.person_role if placed else UNMAPPED
            label = role_labels.get(key, UNMAPPED_LABEL)
        groups.setdefault(key, GroupRow(key, label, [Cell() for _ in weeks]))
        group_demand[(key, demand.week)] += demand.hours
        if demand.from_amount:
            group_from_amount[(key, demand.week)] += demand.hours
    if dimension in REQUIREMENT_DIMENSIONS:
        for wanted in requirement_demand(weeks, dimension):
            total_demand[wanted.week] += Fraction(wanted.hours)
            for key in wanted.keys:
                groups.setdefault(key, GroupRow(key, key, [Cell() for _ in weeks]))
                group_demand[(key, wanted.week)] += Fraction(wanted.hours)
    for total, exact, estimated in zip(totals, total_demand, total_from_amount, strict=True):
        total.demand = _decimal(exact)
        total.from_amount = _decimal(estimated)
    for (key, index), exact in group_demand.items():
        groups[key].cells[index].demand = _decimal(exact)
    for (key, index), exact in group_from_amount.items():
        groups[key].cells[index].from_amount = _decimal(exact)
    kickoffs = list(
        HandOff.objects.filter(kickoff_date__gte=weeks[0], kickoff_date__lte=weeks[-1] + dt.timedelta(days=6))
        .select_related("sow_version__sow__opportunity", "delivery_lead")
        .order_by("kickoff_date", "pk")
    )
    return Capacity(
        weeks=weeks,
        dimension=dimension,
        groups=sorted(groups.values(), key=_group_order),
        totals=totals,
        people=[PersonRow(p, p.utilization_target, person_cells[p.pk]) for p in people],
        weights=weights,
        demand_without_role=_decimal(sum(unplaced.values(), Fraction(0))),
        notes=notes,
        warnings=[unplaced_warning(unplaced)] if unplaced else [],
        from_amount=listed,
        amount_warnings=amount_warnings,
        kickoffs=kickoffs,
    )


def _group_order(group: GroupRow) -> tuple[bool, bool, str]:
    """Groups by label; the rows of demand without a delivery role last."""
    return (group.key in (UNMAPPED, FROM_AMOUNT), group.key == UNMAPPED, group.label)


def unplaced_warning(unplaced: dict[str, Fraction]) -> str:
    """Say which rate-card roles carry demand that no delivery role's capacity is set against."""
    roles = ", ".join(
        f"{name or 'no role named'} ({_tenths(hours)} h)" for name, hours in sorted(unplaced.items())
    )
    total = sum(unplaced.values(), Fraction(0))
    return (
        f"{_tenths(total)} weighted hours of demand are for rate-card roles that name no delivery role: "
        f"{roles}. "
        "They count in the totals, not against any delivery role; set who delivers each of these roles "
        "on the rate card."
    )


def _tenths(hours: Fraction) -> str:
    """Hours to one decimal, half-up like every other figure on the page (a format spec rounds half-even)."""
    return f"{_decimal(hours).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def _decimal(value: Fraction) -> Decimal:
    """An exact value as a Decimal (exact whenever it terminates, so a half is never a hair under)."""
    return Decimal(value.numerator) / Decimal(value.denominator)
