"""Reads for forecast calls: the hierarchy, the system numbers, the calls of a week and their roll-up.

The hierarchy is the Person `manager` chain over the active people who forecast: every active
Engagement Manager, and everyone above one. Someone without reports is at the EM level; someone with
reports is a manager, and the top of a chain (no manager) is the organisation. A manager's level
below is their reports; an EM's level below is their own opportunities (the system number).

"Effective" numbers fill the gaps of a roll-up: a person's submitted call, or, without one, what
their form would be prefilled with (an EM's system numbers; a manager's sum of their reports'
effective calls). Adjustment = the call − the sum of the level below.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from calls.models import ForecastCall, ForecastCallRevision, Level
from core.fiscal import FiscalQuarter
from core.roles import Role
from forecasting import figures
from forecasting.models import BookingsPlan, ForecastSnapshot
from forecasting.services import week_of

ZERO = Decimal("0")
HUNDRED = Decimal("100")


# --------------------------------------------------------------------------- weeks and deadlines


def current_week(now: dt.datetime | None = None) -> dt.date:
    """Monday of this week, counted as the weekly snapshot counts weeks."""
    return week_of(now)


def deadline_for(week: dt.date) -> dt.datetime:
    """The moment the week's calls are due (FORECAST_CALL_DEADLINE_DAY/TIME/TIME_ZONE)."""
    zone = zoneinfo.ZoneInfo(settings.FORECAST_CALL_DEADLINE_TIME_ZONE)
    day = week + dt.timedelta(days=int(settings.FORECAST_CALL_DEADLINE_DAY) % 7)
    hour, _, minute = str(settings.FORECAST_CALL_DEADLINE_TIME).partition(":")
    return dt.datetime.combine(day, dt.time(int(hour), int(minute or 0)), tzinfo=zone)


def is_late(week: dt.date, at: dt.datetime) -> bool:
    return at > deadline_for(week)


def quarters_open(now: dt.datetime | None = None) -> list[FiscalQuarter]:
    """The quarters a call may be made for this week: the current one and the next."""
    today = timezone.localdate(now) if now is not None else timezone.localdate()
    quarter = FiscalQuarter.for_date(today)
    return [quarter, quarter.next()]


# --------------------------------------------------------------------------- hierarchy


@dataclass
class Member:
    pk: int
    name: str
    email: str
    manager_id: int | None
    user_id: int | None
    reports: list[int] = field(default_factory=list)

    @property
    def level(self) -> str:
        if not self.reports:
            return Level.EM
        return Level.ORGANISATION if self.manager_id is None else Level.MANAGER


@dataclass
class Hierarchy:
    members: dict[int, Member]
    roots: list[int]

    def order(self) -> list[tuple[int, int]]:
        """(person id, depth), each manager followed by their reports, names in order."""
        out: list[tuple[int, int]] = []

        def walk(pk: int, depth: int) -> None:
            out.append((pk, depth))
            for child in self.members[pk].reports:
                walk(child, depth + 1)

        for root in self.roots:
            walk(root, 0)
        return out

    def below(self, pk: int) -> list[int]:
        """Everyone under `pk` (not `pk` itself)."""
        found: list[int] = []
        stack = list(self.members[pk].reports)
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(self.members[current].reports)
        return found

    def ems_under(self, pk: int) -> list[int]:
        return [p for p in [pk, *self.below(pk)] if not self.members[p].reports]


def hierarchy() -> Hierarchy:
    """The forecast hierarchy, read in one query."""
    from people.models import Person

    rows = list(
        Person.objects.filter(active=True)
        .order_by("name", "pk")
        .values_list("pk", "name", "email", "manager_id", "user_id", "role")
    )
    by_pk = {row[0]: row for row in rows}
    wanted: set[int] = set()
    for row in rows:
        if row[5] != Role.ENGAGEMENT_MANAGER:
            continue
        pk: int | None = row[0]
        seen: set[int] = set()
        while pk is not None and pk in by_pk and pk not in seen:
            seen.add(pk)
            wanted.add(pk)
            pk = by_pk[pk][3]
    members = {
        pk: Member(pk, name, email, manager if manager in wanted else None, user)
        for pk, name, email, manager, user, _role in rows
        if pk in wanted
    }
    roots = []
    for member in members.values():  # names in order, so reports are too
        if member.manager_id is None:
            roots.append(member.pk)
        else:
            members[member.manager_id].reports.append(member.pk)
    return Hierarchy(members, roots)


# --------------------------------------------------------------------------- system numbers


def system_numbers(quarter: FiscalQuarter, week: dt.date | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    """Each EM's own (Commit, Best case) for the quarter, from the forecast's own metrics: Closed won
    + open Green, and Closed won + open Green + Amber. Live for this week (or `week=None`); for a past
    week, from that week's snapshot (empty when there is none, or it cannot answer the quarter)."""
    if week is None or week >= current_week():
        source = figures.Source(None, timezone.now())
    else:
        snapshot = ForecastSnapshot.objects.filter(week=week).first()
        if snapshot is None:
            return {}
        source = figures.Source(snapshot, snapshot.taken_at)
        if not source.answers(quarter):
            return {}
    board = figures.dashboard(quarter, source)
    return {
        b.key: (b.figures["forecast"].amount, b.figures["best_case_forecast"].amount)
        for b in board.by_em
        if b.key is not None
    }


# --------------------------------------------------------------------------- calls


def calls_for(quarter: FiscalQuarter, weeks: Iterable[dt.date]) -> dict[tuple[int, dt.date], ForecastCall]:
    """The calls of the quarter in the given weeks, keyed by (person id, week)."""
    return {
        (call.person_id, call.week): call
        for call in ForecastCall.objects.filter(quarter=quarter.label, week__in=list(weeks))
    }


def call_as_of(person_id: int, quarter: FiscalQuarter, week: dt.date) -> ForecastCall | None:
    """The person's call for `quarter` as it stood in `week` (None when they made none that week)."""
    return ForecastCall.objects.filter(person_id=person_id, quarter=quarter.label, week=week).first()


def commit_calls(
    quarter: FiscalQuarter, weeks: Iterable[dt.date] | None = None
) -> dict[tuple[int, dt.date], Decimal]:
    """{(person id, week): Commit called} for every call of the quarter (optionally only some weeks),
    in one query."""
    qs = ForecastCall.objects.filter(quarter=quarter.label)
    if weeks is not None:
        qs = qs.filter(week__in=list(weeks))
    return {(pk, week): commit for pk, week, commit in qs.values_list("person_id", "week", "commit")}


def not_submitted(quarter: FiscalQuarter, week: dt.date) -> list[int]:
    """Person ids in the hierarchy who have no call for `quarter` in `week` (names in order)."""
    tree = hierarchy()
    done = set(
        ForecastCall.objects.filter(quarter=quarter.label, week=week).values_list("person_id", flat=True)
    )
    return [pk for pk, _depth in tree.order() if pk not in done]


def revisions_of(call: ForecastCall | None) -> list[ForecastCallRevision]:
    if call is None:
        return []
    return list(call.revisions.select_related("submitted_by").order_by("-number"))


# --------------------------------------------------------------------------- roll-up


@dataclass
class CallLine:
    pk: int
    name: str
    level: str
    depth: int
    manager_id: int | None
    reports: list[int]
    call: ForecastCall | None
    last_call: ForecastCall | None
    system_commit: Decimal | None
    system_best_case: Decimal | None
    below_commit: Decimal | None  # sum of the level below (an EM's: their system numbers)
    below_best_case: Decimal | None
    effective_commit: Decimal | None
    effective_best_case: Decimal | None
    plan: Decimal | None

    @property
    def status(self) -> str:
        if self.call is None:
            return "not submitted"
        return "late" if self.call.late else "submitted"

    @property
    def adjustment_commit(self) -> Decimal | None:
        if self.call is None or self.below_commit is None:
            return None
        return self.call.commit - self.below_commit

    @property
    def adjustment_best_case(self) -> Decimal | None:
        if self.call is None or self.below_best_case is None:
            return None
        return self.call.best_case - self.below_best_case

    @property
    def change_commit(self) -> Decimal | None:
        """The change since last week's call (both weeks called)."""
        if self.call is None or self.last_call is None:
            return None
        return self.call.commit - self.last_call.commit

    @property
    def change_best_case(self) -> Decimal | None:
        if self.call is None or self.last_call is None:
            return None
        return self.call.best_case - self.last_call.best_case

    @property
    def attainment_percent(self) -> Decimal | None:
        """The called Commit against plan."""
        if not self.plan or self.call is None:
            return None
        return self.call.commit / self.plan * HUNDRED

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)


@dataclass
class Rollup:
    quarter: FiscalQuarter
    week: dt.date
    last_week: dt.date
    lines: list[CallLine]
    currency: str
    deadline: dt.datetime

    def line(self, pk: int) -> CallLine:
        return next(line for line in self.lines if line.pk == pk)

    def team(self, pk: int) -> list[CallLine]:
        """The person's line and their direct reports' lines."""
        member = self.line(pk)
        return [member, *(line for line in self.lines if line.manager_id == pk)]

    @property
    def submitted_count(self) -> int:
        return sum(1 for line in self.lines if line.call is not None)


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    items = list(values)
    if any(v is None for v in items):
        return None
    return sum((v for v in items if v is not None), ZERO)


def _plans(quarter: FiscalQuarter) -> tuple[dict[int, Decimal], Decimal | None]:
    em_plans: dict[int, Decimal] = {}
    overall: Decimal | None = None
    for em_id, amount in (
        BookingsPlan.objects.filter(quarter=quarter.label)
        .filter(Q(engagement_manager__isnull=False) | Q(region__isnull=True))
        .values_list("engagement_manager_id", "amount")
    ):
        if em_id is None:
            overall = amount
        else:
            em_plans[em_id] = amount
    return em_plans, overall


def rollup(
    quarter: FiscalQuarter,
    week: dt.date,
    *,
    tree: Hierarchy | None = None,
    systems: dict[int, tuple[Decimal, Decimal]] | None = None,
    plans: tuple[dict[int, Decimal], Decimal | None] | None = None,
) -> Rollup:
    """Every person's line for the quarter in `week`, from the organisation down to the EMs: the
    calls of that week and the week before, system numbers (an EM's stored with their call when
    they made one, else the week's figures), plan, adjustment, change and status. A fixed number of
    queries however many people and weeks there are; `systems` and `plans` may be given when the
    caller has them already (the dashboard's own figures)."""
    tree = tree or hierarchy()
    last_week = week - dt.timedelta(days=7)
    calls = calls_for(quarter, [week, last_week])
    if systems is None:
        systems = system_numbers(quarter, week)
    em_plans, overall_plan = plans if plans is not None else _plans(quarter)
    lines: dict[int, CallLine] = {}

    def build(pk: int, depth: int) -> CallLine:
        member = tree.members[pk]
        call = calls.get((pk, week))
        children = [build(child, depth + 1) for child in member.reports]
        if not member.reports:
            if call is not None:
                system: tuple[Decimal | None, Decimal | None] = (call.system_commit, call.system_best_case)
            else:
                system = systems.get(pk, (ZERO, ZERO)) if systems or week >= current_week() else (None, None)
            below = system
            plan = em_plans.get(pk)
        else:
            system = (
                _sum(c.system_commit for c in children),
                _sum(c.system_best_case for c in children),
            )
            below = (
                _sum(c.effective_commit for c in children),
                _sum(c.effective_best_case for c in children),
            )
            plan = _sum_plans([em_plans.get(em) for em in tree.ems_under(pk)])
            if member.manager_id is None and overall_plan is not None and len(tree.roots) == 1:
                plan = overall_plan
        effective = (call.commit, call.best_case) if call is not None else below
        line = CallLine(
            pk=pk,
            name=member.name,
            level=member.level,
            depth=depth,
            manager_id=member.manager_id,
            reports=member.reports,
            call=call,
            last_call=calls.get((pk, last_week)),
            system_commit=system[0],
            system_best_case=system[1],
            below_commit=below[0],
            below_best_case=below[1],
            effective_commit=effective[0],
            effective_best_case=effective[1],
            plan=plan,
        )
        lines[pk] = line
        return line

    for root in tree.roots:
        build(root, 0)
    ordered = [lines[pk] for pk, _depth in tree.order()]
    return Rollup(quarter, week, last_week, ordered, figures.corporate_currency(), deadline_for(week))


def _sum_plans(values: list[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, ZERO) if present else None


def weeks_with_calls(limit: int = 26) -> list[dt.date]:
    """The weeks that hold calls, newest first (this week always first)."""
    this_week = current_week()
    weeks = list(ForecastCall.objects.order_by("-week").values_list("week", flat=True).distinct()[:limit])
    return [this_week, *(w for w in weeks if w != this_week)]


Systems = dict[int, tuple[Decimal, Decimal]]
Plans = tuple[dict[int, Decimal], Decimal | None]


def from_dashboard(board: figures.Dashboard) -> tuple[Systems, Plans]:
    """The system numbers and plans a forecast dashboard already holds, so its calls section reads
    no figures of its own."""
    systems = {
        b.key: (b.figures["forecast"].amount, b.figures["best_case_forecast"].amount)
        for b in board.by_em
        if b.key is not None
    }
    em_plans = {
        b.key: b.figures.plan for b in board.by_em if b.key is not None and b.figures.plan is not None
    }
    return systems, (em_plans, board.overall.plan)
