"""An independent check of the capacity page on a seeded, generated data set: delivery people in
every delivery role and several regions (and none) with different weekly capacities, utilization
targets and skills; confirmed, proposed and cancelled assignments overlapping each other and the
12-week window's edges; open opportunities with agreed, shared, draft and superseded estimates of
activities, packaged SKUs and other lines, in two currencies; SOWs signed, handed off and not yet
signed; scoping issues on hold (counted) and closed (left out); won, lost and removed deals; close
dates exactly at the edges of the window the demand spread reaches; and the site's time zone one
whose clocks change inside the window.

Every expected figure is computed here from the rows, with plain Python over the model fields and
the rules README.md ("Capacity and EM workload") and the page state — never by calling
forecasting/capacity.py — and compared with every cell of the page (by region, role and skill) and
of both CSV exports, to the cent of an hour."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from engagements.models import Opportunity
from people.models import Person, PersonSkill, Region
from scoping import services as scoping_services
from scoping.models import DeliveryRole, Estimate, EstimateLine, ScopingIssue
from sow.models import Sow, SowVersion
from staffing.models import Assignment
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory
from tests.people.factories import RegionFactory, delivery_person
from tests.scoping.factories import PackagedOfferingFactory
from tests.staffing.factories import AssignmentFactory, StaffingRequirementFactory

pytestmark = pytest.mark.django_db
D = Decimal
F = Fraction
WEEKS = 12
SPREAD = 6  # not the default 8, so the spread really comes from DEMAND_SPREAD_WEEKS
WEIGHTS = {"Green": "0.85", "Amber": "0.55", "Red": "0.15", "Grey": "0.05"}
DELIVERY = [Role.PS_ENGINEER, Role.TECHNICAL_ARCHITECT, Role.PROJECT_MANAGER, Role.PARTNER_CONSULTANT]
SIGNED = {"signed", "handed_off"}
UNMAPPED_LABEL = "No delivery role on the rate card"
PACKAGED_ROLE = "Senior Engineer"  # SOW_PACKAGED_DELIVERY_ROLE for this test
ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "America/Santiago", "Africa/Casablanca"]


# --------------------------------------------------------------------------- arithmetic of display


def half_up(value: Fraction, places: int) -> Decimal:
    """An exact value rounded half-up to `places` decimals."""
    scaled = value * 10**places
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= F(1, 2):
        whole += 1
    return (D(whole) / D(10**places)).quantize(D(1).scaleb(-places))


def hours_csv(value: Fraction) -> str:
    return str(half_up(value, 2))


def shown(value: Fraction, places: int = 0) -> str:
    """As the page shows hours (floatformat: half-up, no grouping)."""
    return str(half_up(value, places))


def percent(part: Fraction, whole: Fraction) -> Fraction | None:
    return None if not whole else part / whole * 100


def pct_csv(value: Fraction | None) -> str:
    return "" if value is None else str(half_up(value, 1))


def pct_page(value: Fraction | None) -> str:
    return "—" if value is None else f"{half_up(value, 1)} %"


def heat_outlook(value: Fraction | None, wanted: Fraction = Fraction(0)) -> str:
    """The heat of an outlook; with no capacity, any hours booked or wanted are over capacity."""
    if value is None:
        return "heat-over" if wanted > 0 else ""
    if value > 100:
        return "heat-over"
    if value >= 85:
        return "heat-high"
    if value >= 50:
        return "heat-ok"
    return "heat-low"


def heat_person(value: Fraction | None, target: Fraction, booked: Fraction = Fraction(0)) -> str:
    """The heat of a person's utilization; with no capacity, any hours booked are over capacity."""
    if value is None:
        return "heat-over" if booked > 0 else ""
    if value > 100:
        return "heat-over"
    if value < target:
        return "heat-low"
    return "heat-ok"


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def zone_changing_between(first: dt.date, last: dt.date) -> str | None:
    """A time zone whose UTC offset changes between these dates (a well-known one if any does)."""
    names = ZONES + sorted(zoneinfo.available_timezones() - set(ZONES))
    for name in names:
        zone = zoneinfo.ZoneInfo(name)
        offsets = {
            dt.datetime.combine(first + dt.timedelta(days=n), dt.time(12), zone).utcoffset()
            for n in range((last - first).days + 1)
        }
        if len(offsets) > 1:
            return name
    return None


# --------------------------------------------------------------------------- reading the page


@dataclass
class Cell:
    tag: str
    attrs: dict[str, str]
    texts: list[str] = field(default_factory=list)


class Tables(HTMLParser):
    """Every table with a data-testid: its rows, each row's th/td cells with attributes and texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[Cell]]] = {}
        self.current: str | None = None
        self.row: list[Cell] | None = None
        self.cell: Cell | None = None
        self.text = ""
        self.header_rows: dict[str, list[Cell]] = {}
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "table" and "data-testid" in values:
            self.current = values["data-testid"]
            self.tables[self.current] = []
        elif self.current is None:
            return
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.cell = Cell(tag, values)
            self.text = ""
        elif tag == "div" and self.cell is not None:
            self._flush()

    def _flush(self) -> None:
        if self.cell is not None and self.text.strip():
            self.cell.texts.append(" ".join(self.text.split()))
        self.text = ""

    def handle_endtag(self, tag: str) -> None:
        if self.current is None:
            return
        if tag in ("th", "td") and self.cell is not None and self.row is not None:
            self._flush()
            self.row.append(self.cell)
            self.cell = None
        elif tag == "div":
            self._flush()
        elif tag == "tr" and self.row is not None:
            if self.in_head:
                self.header_rows[self.current] = self.row
            else:
                self.tables[self.current].append(self.row)
            self.row = None
        elif tag == "thead":
            self.in_head = False
        elif tag == "table":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.text += data


def heat_of(cell: Cell) -> str:
    return next((c for c in cell.attrs.get("class", "").split() if c.startswith("heat-")), "")


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


# --------------------------------------------------------------------------- the generated data set


def build(rng: random.Random, weeks: list[dt.date], ems: list[Person], regions: list[Region | None]) -> None:
    first, last = weeks[0], weeks[-1] + dt.timedelta(days=6)
    # The rate card: who delivers each role. Data Scientist names nobody (its hours stay in the
    # totals, in a row of their own); the packaged SKUs' role exists in USD only.
    for name, currency, person_role in [
        ("Engineer", "USD", Role.PS_ENGINEER),
        ("Engineer", "EUR", Role.PS_ENGINEER),
        ("Technical Architect", "USD", Role.TECHNICAL_ARCHITECT),
        ("Technical Architect", "EUR", Role.TECHNICAL_ARCHITECT),
        ("Project Manager", "USD", Role.PROJECT_MANAGER),
        ("Partner Consultant", "USD", Role.PARTNER_CONSULTANT),
        (PACKAGED_ROLE, "USD", Role.PROJECT_MANAGER),
        ("Data Scientist", "USD", ""),
    ]:
        DeliveryRole.objects.create(
            name=name, currency=currency, person_role=person_role, bill_rate=D("200"), cost_rate=D("90")
        )
    packages = {
        "USD": [
            PackagedOfferingFactory(currency="USD", included_hours=D(h), unit_price=D("9999.99"))
            for h in ("37.5", "120", "16.25")
        ],
        "EUR": [PackagedOfferingFactory(currency="EUR", included_hours=D("60.5"), unit_price=D("5000"))],
    }
    roles_for = {
        "USD": ["Engineer", "Technical Architect", "Project Manager", "Partner Consultant", "Data Scientist"],
        "EUR": ["Engineer", "Technical Architect"],
    }

    # People: every delivery role, three regions and none, capacities with halves and a zero.
    skills = ["Kubernetes", "Security", "Data", "SAP"]
    capacities = ["40", "37.5", "32", "24", "20", "16.5", "0", "40", "30", "12.25"]
    targets = [D("70"), D("60"), D("85"), D("75.5"), D("100"), D("0")]
    people = []
    for n in range(16):
        chosen = rng.sample(skills, rng.randrange(0, 3))
        people.append(
            delivery_person(
                f"Delivery {n:02d}",
                role=DELIVERY[n % len(DELIVERY)],
                region=regions[n % len(regions)],
                capacity=capacities[n % len(capacities)],
                utilization_target=targets[n % len(targets)],
                skills={s: rng.randrange(1, 6) for s in chosen},
                time_zone=rng.choice(ZONES),
            )
        )
    delivery_person("Gone Engineer", region=regions[0], capacity="40", active=False, skills={"Data": 3})

    # A delivered deal whose SOW the assignments hang on.
    delivered = OpportunityFactory(engagement_manager=ems[0], region=regions[0], is_closed=True, is_won=True)
    delivered_issue = ScopingIssue.objects.create(opportunity=delivered, title="Delivered")
    sow = Sow.objects.create(opportunity=delivered, scoping_issue=delivered_issue, title="Delivered")
    # one requirement per assignment of a person: a person holds one active assignment a requirement
    requirements = [StaffingRequirementFactory(sow=sow, start_date=first, end_date=last) for _ in range(4)]
    edges = [
        (first - dt.timedelta(days=30), first - dt.timedelta(days=1)),  # ends the Sunday before: out
        (first - dt.timedelta(days=30), first),  # ends on the first Monday: week 1 only
        (last, last + dt.timedelta(days=40)),  # starts on the last Sunday: the last week only
        (last + dt.timedelta(days=1), last + dt.timedelta(days=9)),  # starts after the window: out
        (first + dt.timedelta(days=2), first + dt.timedelta(days=3)),  # Wed–Thu of week 1: in full
        (first - dt.timedelta(days=100), last + dt.timedelta(days=100)),  # the whole window
    ]
    statuses = ["confirmed", "confirmed", "proposed", "proposed", "cancelled"]
    hours = ["20", "7.5", "12.25", "3.33", "40", "16", "8.75", "30"]
    for person in people:
        for requirement in requirements[: rng.randrange(1, 5)]:  # overlapping: some over 100 %
            if rng.random() < 0.35:
                start, end = rng.choice(edges)
            else:
                start = first + dt.timedelta(days=rng.randrange(-40, 90))
                end = start + dt.timedelta(days=rng.randrange(0, 70))
            AssignmentFactory(
                requirement=requirement,
                person=person,
                status=rng.choice(statuses),
                hours_per_week=D(rng.choice(hours)),
                start_date=start,
                end_date=end,
            )

    # Opportunities. Demand from a close date starts the Monday after it and lasts SPREAD weeks:
    # these close dates put the first or last demand week exactly on, or just past, the window's edges.
    close_dates = [
        first - dt.timedelta(weeks=SPREAD),  # Monday: its last demand week is the window's first
        first - dt.timedelta(weeks=SPREAD) + dt.timedelta(days=6),  # Sunday of that week: same
        first - dt.timedelta(weeks=SPREAD) - dt.timedelta(days=1),  # the Sunday before: out
        first - dt.timedelta(days=1),  # the Sunday before the window: starts on its first week
        first,  # the window's first Monday: starts on its second week
        weeks[-1] - dt.timedelta(days=1),  # the Sunday before the last week: one week in
        weeks[-1],  # the last week's Monday: starts after the window
        last,  # the window's last Sunday: out
        first - dt.timedelta(days=45),  # past due, still open: counts
    ]
    colours = ["Green", "Amber", "Red", "Grey"]
    flows = ["draft", "agreed", "shared+draft", "shared+agreed", "agree-old", "agreed+draft", "empty", "none"]
    issue_statuses = [
        "open",
        "strawman",
        "estimate_feedback",
        "sow_in_progress",
        "on_hold",
        "on_hold",
        "closed",
    ]
    sow_states = [None, None, None, "signed", "handed_off", "sent", "approved", "withdrawn", "draft"]
    for n in range(48):
        em = ems[n % len(ems)]
        actor = em.user
        assert actor is not None
        currency = "EUR" if n % 5 == 0 else "USD"
        if n < len(close_dates) * 2:
            close = close_dates[n % len(close_dates)]
        else:
            close = first + dt.timedelta(days=rng.randrange(-60, 90))
        colour = colours[n % len(colours)] if n < 20 else rng.choice(colours)
        fate = rng.random()
        opp = OpportunityFactory(
            name=f"Deal {n:02d}",
            engagement_manager=em,
            region=rng.choice(regions),
            currency=currency,
            close_date=close,
            em_confidence=colour,
            em_confidence_rationale="" if colour == "Grey" else "x",
            is_closed=fate < 0.12,
            is_won=fate < 0.06,
            removed_in_salesforce_at=timezone.now() if 0.12 <= fate < 0.17 else None,
        )
        issue = scoping_services.scoping_issue_create(actor=actor, opportunity=opp, title=f"Scope {n}")
        flow = flows[n % len(flows)]
        if flow == "none":
            continue
        estimate = scoping_services.estimate_create(actor=actor, issue=issue)

        def add_lines(target: Estimate, count: int, actor: Any) -> None:
            for _ in range(count):
                pick = rng.random()
                if pick < 0.55:
                    scoping_services.estimate_add_line(
                        actor=actor,
                        estimate=target,
                        kind="activity",
                        description="Work",
                        role_name=rng.choice(roles_for[target.currency]),
                        hours=rng.choice(["8", "12.5", "40", "3.75", "100", "17.33"]),
                    )
                elif pick < 0.85:
                    scoping_services.estimate_add_offering(
                        actor=actor,
                        estimate=target,
                        offering=rng.choice(packages[target.currency]),
                        quantity=rng.randrange(1, 4),
                    )
                else:
                    scoping_services.estimate_add_line(
                        actor=actor,
                        estimate=target,
                        kind="free",
                        description="Licences",
                        quantity=2,
                        unit_price="150.00",
                    )

        if flow != "empty":
            add_lines(estimate, rng.randrange(1, 4), actor)
        if flow == "agreed":
            scoping_services.estimate_agree(actor=actor, estimate=estimate)
        elif flow in ("shared+draft", "shared+agreed", "agree-old"):
            scoping_services.estimate_share(actor=actor, estimate=estimate)
            revision = scoping_services.estimate_revise(actor=actor, estimate=estimate, reason="Feedback")
            add_lines(revision, rng.randrange(1, 3), actor)
            if flow == "shared+agreed":
                scoping_services.estimate_agree(actor=actor, estimate=revision)
            elif flow == "agree-old":  # the customer took v1 after all; v2 is superseded
                scoping_services.estimate_agree(actor=actor, estimate=estimate)
        elif flow == "agreed+draft":  # agreed, then a revision started: the agreed one still counts
            scoping_services.estimate_agree(actor=actor, estimate=estimate)
            revision = scoping_services.estimate_revise(actor=actor, estimate=estimate, reason="Phase 2")
            add_lines(revision, 2, actor)
        status = rng.choice(issue_statuses)
        if status != "open":
            scoping_services.scoping_issue_move(actor=actor, issue=issue, status=status)
        state = rng.choice(sow_states)
        if state is not None:
            newest = Estimate.objects.filter(scoping_issue=issue).order_by("-number").first()
            assert newest is not None
            sow = Sow.objects.create(opportunity=opp, scoping_issue=issue, title=f"SOW {n}")
            if state in SIGNED and rng.random() < 0.5:  # an earlier version superseded first
                SowVersion.objects.create(
                    sow=sow, number=1, status="superseded", estimate=newest, category="migration", total=1
                )
                SowVersion.objects.create(
                    sow=sow, number=2, status=state, estimate=newest, category="migration", total=1
                )
            else:
                SowVersion.objects.create(
                    sow=sow, number=1, status=state, estimate=newest, category="migration", total=1
                )


# --------------------------------------------------------------------------- the expected figures


@dataclass
class Figures:
    capacity: Fraction = F(0)
    confirmed: Fraction = F(0)
    proposed: Fraction = F(0)
    demand: Fraction = F(0)

    def outlook(self) -> Fraction | None:
        return percent(self.confirmed + self.proposed + self.demand, self.capacity)

    def utilization(self) -> Fraction | None:
        return percent(self.confirmed + self.proposed, self.capacity)


def expected(weeks: list[dt.date], weights: dict[str, Fraction]) -> dict[str, Any]:
    """Every figure of the page, from the rows and the stated rules."""
    index = {week: i for i, week in enumerate(weeks)}
    regions = dict(Region.objects.values_list("pk", "code"))
    role_label = {r.value: r.label for r in DELIVERY}

    # People: every active person in a delivery role.
    people = list(
        Person.objects.filter(active=True, role__in=[r.value for r in DELIVERY]).values(
            "pk", "name", "role", "region_id", "weekly_capacity_hours", "utilization_target"
        )
    )
    skills: dict[int, list[str]] = defaultdict(list)
    for person_id, name in PersonSkill.objects.values_list("person_id", "skill__name"):
        skills[person_id].append(name)
    per_person = {p["pk"]: [Figures(capacity=F(p["weekly_capacity_hours"])) for _ in weeks] for p in people}
    for a in Assignment.objects.values("person_id", "status", "hours_per_week", "start_date", "end_date"):
        if a["person_id"] not in per_person or a["status"] == "cancelled":
            continue
        for i, week in enumerate(weeks):  # in full in every week its dates touch
            if a["start_date"] <= week + dt.timedelta(days=6) and a["end_date"] >= week:
                cell = per_person[a["person_id"]][i]
                if a["status"] == "confirmed":
                    cell.confirmed += F(a["hours_per_week"])
                else:
                    cell.proposed += F(a["hours_per_week"])

    # Demand: the agreed (else latest) estimate of every open opportunity whose SOW is not signed and
    # whose scoping issue is not closed; activity hours plus packaged SKUs' hours.
    signed = set(SowVersion.objects.filter(status__in=SIGNED).values_list("sow__opportunity_id", flat=True))
    opps = {
        o["pk"]: o
        for o in Opportunity.objects.values(
            "pk", "is_closed", "removed_in_salesforce_at", "region_id", "close_date", "em_confidence"
        )
    }
    issues = {i["pk"]: i for i in ScopingIssue.objects.values("pk", "opportunity_id", "status")}
    by_issue: dict[int, list[Any]] = defaultdict(list)
    for e in Estimate.objects.values("pk", "scoping_issue_id", "number", "status", "currency"):
        by_issue[e["scoping_issue_id"]].append(e)
    chosen: dict[int, dict[str, Any]] = {}
    cases: Counter[str] = Counter()  # what the data set exercises
    for issue_id, estimates in by_issue.items():
        issue = issues[issue_id]
        opp = opps[issue["opportunity_id"]]
        if opp["is_closed"] or opp["removed_in_salesforce_at"]:
            cases["closed deal" if opp["is_closed"] else "removed deal"] += 1
            continue
        if issue["status"] == "closed":
            cases["scoping issue closed"] += 1
            continue
        if issue["opportunity_id"] in signed:
            cases["SOW signed"] += 1
            continue
        cases["scoping issue on hold, counted"] += issue["status"] == "on_hold"
        agreed = [e for e in estimates if e["status"] == "agreed"]
        latest = max(estimates, key=lambda e: e["number"])
        pick = agreed[0] if agreed else latest
        cases["agreed, a later version exists"] += bool(agreed) and latest["number"] > pick["number"]
        cases["none agreed, the latest of several"] += not agreed and len(estimates) > 1
        cases[f"estimate in {pick['currency']}"] += 1
        chosen[pick["pk"]] = {**pick, "opp": opp}
    rate_card: dict[str, set[str]] = defaultdict(set)
    for name, person_role in DeliveryRole.objects.values_list("name", "person_role"):
        rate_card[name].add(person_role)
    assert all(len(r) == 1 for r in rate_card.values())  # every currency's row agrees in this data
    demand: list[tuple[str, str, int, Fraction, str]] = []  # region, role, week, hours, rate-card role
    for line in EstimateLine.objects.filter(estimate_id__in=chosen).values(
        "estimate_id", "kind", "role_name", "hours", "quantity", "offering__included_hours"
    ):
        cases[f"{line['kind']} line"] += 1
        if line["kind"] == "sku":
            assert line["hours"] == line["offering__included_hours"] * line["quantity"]
            role_name = PACKAGED_ROLE
        elif line["kind"] == "activity":
            role_name = line["role_name"]
        else:
            continue  # other lines carry no hours
        estimate = chosen[line["estimate_id"]]
        opp = estimate["opp"]
        person_role = next(iter(rate_card.get(role_name, {""})))
        start = monday(opp["close_date"]) + dt.timedelta(days=7)  # the Monday after the close date
        per_week = F(line["hours"]) * weights[opp["em_confidence"]] / SPREAD
        for n in range(SPREAD):
            week = start + dt.timedelta(weeks=n)
            if week in index and line["hours"]:
                region = regions.get(opp["region_id"], "No region")
                demand.append((region, person_role, index[week], per_week, role_name))

    result: dict[str, Any] = {"people": people, "per_person": per_person, "skills": skills, "cases": cases}
    for dimension in ("region", "role", "skill"):
        groups: dict[str, list[Figures]] = {}
        totals = [Figures() for _ in weeks]
        for p in people:
            if dimension == "region":
                labels = [regions.get(p["region_id"], "No region")]
            elif dimension == "role":
                labels = [role_label[p["role"]]]
            else:
                labels = skills.get(p["pk"]) or ["No skills recorded"]
            for label in labels:
                cells = groups.setdefault(label, [Figures() for _ in weeks])
                for cell, mine in zip(cells, per_person[p["pk"]], strict=True):
                    cell.capacity += mine.capacity
                    cell.confirmed += mine.confirmed
                    cell.proposed += mine.proposed
            for total, mine in zip(totals, per_person[p["pk"]], strict=True):
                total.capacity += mine.capacity
                total.confirmed += mine.confirmed
                total.proposed += mine.proposed
        for region, person_role, at, hours, _ in demand:
            totals[at].demand += hours
            if dimension == "skill":
                continue  # estimates name no skills: demand is in the total row only
            label = region if dimension == "region" else role_label.get(person_role, UNMAPPED_LABEL)
            groups.setdefault(label, [Figures() for _ in weeks])[at].demand += hours
        result[dimension] = (groups, totals)
    unplaced: dict[str, Fraction] = defaultdict(Fraction)
    for _, person_role, _, hours, role_name in demand:
        if person_role not in role_label:
            unplaced[role_name] += hours
    result["unplaced"] = unplaced
    return result


# --------------------------------------------------------------------------- the test


@pytest.mark.slow
def test_capacity_page_and_exports_match_an_independent_computation(make_person, settings):
    rng = random.Random(1414)
    utc_today = dt.datetime.now(dt.UTC).date()
    changing = zone_changing_between(
        monday(utc_today) + dt.timedelta(weeks=1), monday(utc_today) + dt.timedelta(weeks=WEEKS - 1)
    )
    # Should no zone on earth change its clocks in these weeks, the rest of the check still holds.
    settings.TIME_ZONE = changing or ZONES[0]
    settings.DEMAND_SPREAD_WEEKS = SPREAD
    settings.CAPACITY_CONFIDENCE_WEIGHTS = {c: float(w) for c, w in WEIGHTS.items()}
    settings.SOW_PACKAGED_DELIVERY_ROLE = PACKAGED_ROLE
    today = dt.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    weeks = [monday(today) + dt.timedelta(weeks=n) for n in range(WEEKS)]
    regions: list[Region | None] = [RegionFactory(code=c, name=c) for c in ("AMER", "EMEA", "APAC")]
    regions.append(None)
    ems = [
        make_person(Role.ENGAGEMENT_MANAGER, username=f"capind.em{n}", region=regions[n], name=f"Cap EM {n}")
        for n in range(3)
    ]
    build(rng, weeks, ems, regions)
    client = client_for(make_person(Role.PS_OPERATIONS, username="capind.ops", name="Cap Ops"))
    weights = {c: F(w) for c, w in WEIGHTS.items()}
    want = expected(weeks, weights)
    compared = 0
    for dimension in ("region", "role", "skill"):
        url = reverse("forecasting:capacity") + f"?by={dimension}"
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        if dt.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date() != today:
            pytest.skip("the day changed while the page was read")
        tables = Tables()
        tables.feed(html)
        groups, totals = want[dimension]
        headers = [c.texts[0] for c in tables.header_rows["capacity-groups"][1:]]
        assert headers == [w.strftime("%d %b") for w in weeks]
        # every weight is the configured one (no calibration history), and says so
        for colour, value in WEIGHTS.items():
            assert f'data-testid="weight-{colour}">{colour} {D(value):.2f}<' in html
        rows = tables.tables["capacity-groups"]
        got_groups = {row[0].texts[0]: row[1:] for row in rows[:-1]}
        assert rows[-1][0].texts == ["All"]
        assert set(got_groups) == set(groups), dimension
        for label, cells in [*groups.items(), ("All", totals)]:
            page_cells = rows[-1][1:] if label == "All" else got_groups[label]
            assert len(page_cells) == WEEKS
            for week, mine, theirs in zip(weeks, cells, page_cells, strict=True):
                where = (dimension, label, week)
                assert theirs.texts == [
                    shown(mine.capacity),
                    f"{shown(mine.confirmed)} / {shown(mine.proposed)} / {shown(mine.demand)}",
                ], where
                compared += 4
                if label != "All":
                    assert heat_of(theirs) == heat_outlook(
                        mine.outlook(), mine.confirmed + mine.proposed + mine.demand
                    ), where
                    assert theirs.attrs["title"] == (
                        f"capacity {shown(mine.capacity)} h, confirmed {shown(mine.confirmed)} h, "
                        f"proposed {shown(mine.proposed)} h, demand {shown(mine.demand, 1)} h"
                    ), where
                    compared += 5
        if dimension == "skill":  # as the page says: estimates name no skills
            assert "pipeline demand is shown in the total row only" in html
            assert all(cell.demand == 0 for cells in groups.values() for cell in cells)
        # the warning names each rate-card role without a delivery role and its weighted hours
        unplaced = want["unplaced"]
        assert unplaced, "the data set has demand for a role that names no delivery role"
        warning = html[html.index('data-testid="capacity-warning"') :]
        total = sum(unplaced.values(), F(0))
        assert f"{half_up(total, 1):,} weighted hours of demand" in warning
        for name, hours in unplaced.items():
            assert f"{name} ({half_up(hours, 1):,} h)" in warning
            compared += 1

        # The CSV of the groups: every group and the total row, every week.
        lines = read_csv(client.get(url + "&format=csv").content)
        header = {"region": "Region", "role": "Role", "skill": "Skill"}[dimension]
        assert lines[0] == [
            header,
            "Week",
            "Capacity",
            "Confirmed",
            "Proposed",
            "Weighted demand",
            "Outlook %",
        ]
        got_csv = {(line[0], line[1]): line[2:] for line in lines[1:]}
        assert len(got_csv) == len(lines) - 1 == (len(groups) + 1) * WEEKS
        for label, cells in [*groups.items(), ("All", totals)]:
            for week, mine in zip(weeks, cells, strict=True):
                assert got_csv[(label, week.isoformat())] == [
                    hours_csv(mine.capacity),
                    hours_csv(mine.confirmed),
                    hours_csv(mine.proposed),
                    hours_csv(mine.demand),
                    pct_csv(mine.outlook()),
                ], (dimension, label, week)
                compared += 5

        # The per-person table, on the page and as CSV.
        regions_by_pk = dict(Region.objects.values_list("pk", "code"))
        people_rows = {row[0].texts[0]: row for row in tables.tables["capacity-people"]}
        assert set(people_rows) == {p["name"] for p in want["people"]}
        people_csv = read_csv(client.get(url + "&format=csv&table=people").content)
        assert people_csv[0] == [
            "Person",
            "Role",
            "Region",
            "Target %",
            "Week",
            "Capacity",
            "Confirmed",
            "Proposed",
            "Utilization %",
        ]
        by_person = {(line[0], line[4]): line for line in people_csv[1:]}
        assert len(by_person) == len(people_csv) - 1 == len(want["people"]) * WEEKS
        for p in want["people"]:
            row = people_rows[p["name"]]
            target = F(p["utilization_target"])
            region = regions_by_pk.get(p["region_id"])
            assert [c.texts for c in row[1:4]] == [
                [Role(p["role"]).label],
                [region or "—"],
                [f"{shown(target)} %"],
            ]
            compared += 3
            for week, mine, theirs in zip(weeks, want["per_person"][p["pk"]], row[4:], strict=True):
                utilization = mine.utilization()
                assert theirs.texts == [pct_page(utilization)], (p["name"], week)
                booked = mine.confirmed + mine.proposed
                assert heat_of(theirs) == heat_person(utilization, target, booked), (p["name"], week)
                assert theirs.attrs["title"] == f"{shown(booked)} of {shown(mine.capacity)} h"
                assert by_person[(p["name"], week.isoformat())] == [
                    p["name"],
                    Role(p["role"]).label,
                    region or "",
                    pct_csv(target),
                    week.isoformat(),
                    hours_csv(mine.capacity),
                    hours_csv(mine.confirmed),
                    hours_csv(mine.proposed),
                    pct_csv(utilization),
                ]
                compared += 11
    # The data set reaches what it is meant to: demand in the window's first and last weeks, a
    # capacity of zero, someone over 100 % and someone under target, and a clock change in the window.
    cases = want["cases"]
    for case in [
        "closed deal",
        "removed deal",
        "scoping issue closed",
        "SOW signed",
        "scoping issue on hold, counted",
        "agreed, a later version exists",
        "none agreed, the latest of several",
        "estimate in USD",
        "estimate in EUR",
        "activity line",
        "sku line",
        "free line",
    ]:
        assert cases[case], case
    groups, totals = want["region"]
    assert totals[0].demand and totals[-1].demand
    assert any(f.utilization() is None for cells in want["per_person"].values() for f in cells)
    assert any((f.utilization() or 0) > 100 for cells in want["per_person"].values() for f in cells)
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    offsets = {
        dt.datetime.combine(w, dt.time(12), zone).utcoffset() for w in [*weeks, weeks[-1] + dt.timedelta(6)]
    }
    assert changing is None or len(offsets) > 1, settings.TIME_ZONE
    print(f"capacity: {compared} figures compared in {settings.TIME_ZONE}")


def test_the_warning_rounds_hours_half_up_like_the_rest_of_the_page(em, region_amer, settings):
    """12.5 Green hours without a delivery role weigh 11.25 h: the warning says 11.3, as the cells'
    one-decimal demand and the CSV's cents round (half-up), not 11.2."""
    from forecasting import capacity
    from tests.forecasting.test_capacity import MONDAY, green_deal

    settings.DEMAND_SPREAD_WEEKS = 4
    DeliveryRole.objects.create(name="Data Scientist", currency="USD", bill_rate=D("220"), cost_rate=D("100"))
    green_deal(em, region_amer, role_name="Data Scientist", hours="12.5")
    result = capacity.capacity(start=MONDAY, dimension="role", weights=capacity.confidence_weights({}))
    [warning] = result.warnings
    assert warning.startswith("11.3 weighted hours of demand") and "Data Scientist (11.3 h)" in warning


def test_demand_is_summed_exactly_before_it_is_rounded(em, region_amer, settings):
    """Three Green deals of 2, 6 and 27 Engineer hours spread over 7 weeks weigh (2 + 6 + 27) × 0.9 / 7
    = 4.5 h a week exactly: the cell holds 4.5 and shows 5 (half-up), not 4.4999… shown as 4."""
    from django.template.defaultfilters import floatformat

    from forecasting import capacity
    from tests.forecasting.test_capacity import MONDAY, cells, green_deal
    from tests.scoping.factories import DeliveryRoleFactory

    settings.DEMAND_SPREAD_WEEKS = 7
    DeliveryRoleFactory(name="Engineer", person_role=Role.PS_ENGINEER)
    for days, hours in [(3, "2"), (4, "6"), (5, "27")]:  # closing Fri, Thu, Wed: all start on MONDAY
        opp = green_deal(em, region_amer, role_name="Engineer", hours=hours)
        Opportunity.objects.filter(pk=opp.pk).update(close_date=MONDAY - dt.timedelta(days=days))
    result = capacity.capacity(start=MONDAY, dimension="role", weights=capacity.confidence_weights({}))
    engineers = cells(result, "PS Engineer")
    assert engineers[0].demand == D("4.5") and result.totals[0].demand == D("4.5")
    assert floatformat(engineers[0].demand, 0) == "5"
