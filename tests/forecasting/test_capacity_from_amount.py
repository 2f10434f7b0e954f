"""Capacity: demand estimated from amount for opportunities without an estimate, the language and
time-zone views from staffing requirements and people, colours where there is no capacity, and the
kickoffs. Expected figures are worked out here from the rows the test makes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from forecasting import capacity
from forecasting.models import ExchangeRate
from people.models import Region
from scoping import services as scoping_services
from scoping.models import ScopingStatus
from staffing.models import AssignmentStatus
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory
from tests.people.factories import RegionFactory, delivery_person
from tests.scoping.factories import DeliveryRoleFactory, ScopingIssueFactory
from tests.sow.factories import take_to
from tests.staffing.factories import AssignmentFactory, StaffingRequirementFactory

pytestmark = pytest.mark.django_db
D = Decimal
F = Fraction
MONDAY = dt.date(2026, 11, 23)
SPREAD = 4
WEIGHTS = {"Green": "0.8", "Amber": "0.5", "Red": "0.25", "Grey": "0.1"}
GBP_RATE = "1.25"


def exact(value: Fraction) -> Decimal:
    return D(value.numerator) / D(value.denominator)


@pytest.fixture
def setup(settings, region_amer, region_emea):
    settings.DEMAND_SPREAD_WEEKS = SPREAD
    settings.CAPACITY_CONFIDENCE_WEIGHTS = dict(WEIGHTS)
    settings.CORPORATE_CURRENCY = "USD"
    Region.objects.filter(pk=region_amer.pk).update(blended_bill_rate=D("200"))
    Region.objects.filter(pk=region_emea.pk).update(blended_bill_rate=D("150"))
    ExchangeRate.objects.create(currency="GBP", rate=D(GBP_RATE), effective_date=dt.date(2020, 1, 1))
    return {"AMER": region_amer, "EMEA": region_emea}


# (name, region code, amount, currency, confidence, close date): open, no estimate, so from amount.
COUNTED = [
    ("Amer green", "AMER", "96000.00", "USD", "Green", MONDAY - dt.timedelta(days=3)),
    ("Emea amber in GBP", "EMEA", "24000.00", "GBP", "Amber", MONDAY + dt.timedelta(days=4)),
    ("Amer red with an open issue", "AMER", "20000.00", "USD", "Red", MONDAY + dt.timedelta(days=10)),
]
RATES = {"AMER": F(200), "EMEA": F(150)}


@pytest.fixture
def deals(setup, em):
    made = {}
    for name, code, amount, currency, colour, close in COUNTED:
        made[name] = OpportunityFactory(
            name=name,
            region=setup[code],
            amount=D(amount),
            currency=currency,
            em_confidence=colour,
            em_confidence_rationale="x",
            close_date=close,
            engagement_manager=em,
        )
    ScopingIssueFactory(opportunity=made["Amer red with an open issue"])  # open, no estimate yet
    # Not counted from amount:
    closed = OpportunityFactory(
        name="Won", region=setup["AMER"], is_closed=True, is_won=True, close_date=MONDAY
    )
    removed = OpportunityFactory(
        name="Removed", region=setup["AMER"], removed_in_salesforce_at=timezone.now()
    )
    only_closed_issue = OpportunityFactory(name="Issue closed", region=setup["AMER"], close_date=MONDAY)
    ScopingIssueFactory(opportunity=only_closed_issue, status=ScopingStatus.CLOSED)
    no_rate = OpportunityFactory(
        name="No rate", region=RegionFactory(code="APAC", name="APAC"), close_date=MONDAY
    )
    # With an estimate: its hours count, not its amount (40 h, Green, from MONDAY).
    estimated = OpportunityFactory(
        name="Estimated",
        region=setup["AMER"],
        amount=D("999999.00"),
        em_confidence="Green",
        em_confidence_rationale="x",
        close_date=MONDAY - dt.timedelta(days=3),
        engagement_manager=em,
    )
    DeliveryRoleFactory(name="Engineer")
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=estimated, title="Deal")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_line(
        actor=em.user,
        estimate=estimate,
        kind="activity",
        description="Work",
        role_name="Engineer",
        hours="40",
    )
    made.update(closed=closed, removed=removed, only_closed_issue=only_closed_issue, no_rate=no_rate)
    return made


def expected_from_amount(weeks: list[dt.date]) -> dict[str, list[Fraction]]:
    """Weighted hours a week by region code, from the COUNTED rows alone."""
    result = {code: [F(0)] * len(weeks) for code in RATES}
    for _name, code, amount, currency, colour, close in COUNTED:
        usd = F(D(amount)) * (F(D(GBP_RATE)) if currency == "GBP" else 1)
        per_week = usd / RATES[code] * F(D(WEIGHTS[colour])) / SPREAD
        first = close - dt.timedelta(days=close.weekday()) + dt.timedelta(days=7)
        for n in range(SPREAD):
            week = first + dt.timedelta(weeks=n)
            if week in weeks:
                result[code][weeks.index(week)] += per_week
    return result


def run(dimension: str) -> capacity.Capacity:
    return capacity.capacity(start=MONDAY, dimension=dimension, weights=capacity.confidence_weights({}))


def test_demand_from_amount_sums_by_region_with_the_estimates_demand(deals):
    result = run("region")
    weeks = result.weeks
    want = expected_from_amount(weeks)
    # The estimated deal: 40 h × 0.8 ÷ 4 weeks from MONDAY, in AMER.
    estimate = [F(40) * F(D("0.8")) / SPREAD if i < SPREAD else F(0) for i in range(len(weeks))]
    groups = {g.label: g.cells for g in result.groups}
    for i in range(len(weeks)):
        assert groups["AMER"][i].from_amount == exact(want["AMER"][i]), i
        assert groups["AMER"][i].demand == exact(want["AMER"][i] + estimate[i]), i
        assert groups["EMEA"][i].demand == groups["EMEA"][i].from_amount == exact(want["EMEA"][i]), i
        assert result.totals[i].demand == exact(want["AMER"][i] + want["EMEA"][i] + estimate[i]), i
        assert result.totals[i].from_amount == exact(want["AMER"][i] + want["EMEA"][i]), i
    # 96,000 ÷ 200 × 0.8 ÷ 4 = 96 h in each of the first four weeks; GBP 24,000 = USD 30,000 ÷ 150 ×
    # 0.5 ÷ 4 = 25 h from the week after MONDAY's.
    assert want["AMER"][0] == 96 and want["EMEA"][1] == 25
    assert sorted(row.name for row in result.from_amount) == sorted(name for name, *_ in COUNTED)


def test_the_listed_rows_say_how_each_was_estimated(deals):
    rows = {row.name: row for row in run("region").from_amount}
    emea = rows["Emea amber in GBP"]
    assert (emea.amount, emea.currency, emea.converted, emea.rate, emea.hours) == (
        D("24000.00"),
        "GBP",
        D("30000.00"),
        D("150.00"),
        D("200"),
    )
    assert emea.weight == D("0.5")


def test_a_region_without_a_blended_rate_is_named_not_counted(deals):
    result = run("region")
    [warning] = result.amount_warnings
    assert "APAC (1)" in warning
    assert "No rate" not in [row.name for row in result.from_amount]
    assert result.warnings == []  # the rate-card warning is about estimates only


def test_by_role_the_amount_demand_has_its_own_row(deals):
    result = run("role")
    want = expected_from_amount(result.weeks)
    row = next(g for g in result.groups if g.label == capacity.FROM_AMOUNT_LABEL)
    assert [c.demand for c in row.cells] == [exact(want["AMER"][i] + want["EMEA"][i]) for i in range(12)]
    assert result.groups[-1].label in (capacity.FROM_AMOUNT_LABEL, capacity.UNMAPPED_LABEL)


def test_an_estimate_replaces_the_amount(deals, em):
    opp = deals["Amer green"]
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Now scoped")
    scoping_services.estimate_create(actor=em.user, issue=issue)
    assert "Amer green" not in [row.name for row in run("region").from_amount]


def test_the_capacity_page_marks_demand_estimated_from_amount(deals, make_person):
    client = client_for(make_person(Role.PS_OPERATIONS, username="ops.amount"))
    html = client.get(reverse("forecasting:capacity")).content.decode()
    assert 'data-testid="from-amount"' in html
    assert "estimated from amount" in html
    assert 'data-testid="amount-warning"' in html


# --------------------------------------------------------------------------- language and time zone


@pytest.fixture
def staffed(draft, region_amer):
    alex = delivery_person(
        "Alex", region=region_amer, languages=["English", "German"], time_zone="Europe/London", capacity="40"
    )
    tara = delivery_person(
        "Tara", region=region_amer, languages=["English"], time_zone="America/New_York", capacity="30"
    )
    pat = delivery_person(
        "Pat", region=region_amer, languages=["Japanese"], time_zone="Asia/Tokyo", capacity="40"
    )
    two_weeks = {"start_date": MONDAY, "end_date": MONDAY + dt.timedelta(days=11)}
    german = StaffingRequirementFactory(
        sow=draft.sow,
        languages=["German", "English"],
        customer_time_zone="Europe/Berlin",
        hours_per_week=D("20"),
        **two_weeks,
    )
    AssignmentFactory(
        requirement=german, person=alex, hours_per_week=D("5"), status=AssignmentStatus.PROPOSED
    )
    japanese = StaffingRequirementFactory(
        sow=draft.sow,
        languages=["Japanese"],
        customer_time_zone="Asia/Tokyo",
        hours_per_week=D("10"),
        **two_weeks,
    )
    AssignmentFactory(
        requirement=japanese, person=pat, hours_per_week=D("10"), status=AssignmentStatus.CONFIRMED
    )
    StaffingRequirementFactory(
        sow=draft.sow,
        languages=["Spanish"],
        customer_time_zone="America/Mexico_City",
        hours_per_week=D("8"),
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=4),
    )
    return alex, tara, pat


def test_by_language_capacity_from_people_and_demand_from_open_requirements(staffed):
    result = run("language")
    groups = {g.label: g.cells for g in result.groups}
    assert set(groups) == {"English", "German", "Japanese", "Spanish"}
    assert [groups[k][0].capacity for k in ("English", "German", "Japanese", "Spanish")] == [
        D("70"),
        D("40"),
        D("40"),
        D("0"),
    ]
    # German + English: 20 h less Alex's 5 proposed = 15 uncovered in both weeks; Japanese covered.
    assert [groups["German"][i].demand for i in range(3)] == [D("15"), D("15"), D("0")]
    assert [groups["English"][i].demand for i in range(3)] == [D("15"), D("15"), D("0")]
    assert [groups["Japanese"][i].demand for i in range(2)] == [D("0"), D("0")]
    assert [groups["Spanish"][i].demand for i in range(2)] == [D("8"), D("0")]
    # The total counts the two-language requirement once.
    assert [result.totals[i].demand for i in range(3)] == [D("23"), D("15"), D("0")]
    # No capacity and 8 h wanted: over capacity.
    assert groups["Spanish"][0].heat == "heat-over"
    assert groups["Spanish"][1].heat == ""


def test_by_time_zone_band(staffed):
    result = run("time_zone")
    groups = {g.label: g.cells for g in result.groups}
    americas, emea, apac = (band[0] for band in capacity.TIME_ZONE_BANDS)
    assert (groups[americas][0].capacity, groups[emea][0].capacity, groups[apac][0].capacity) == (
        D("30"),
        D("40"),
        D("40"),
    )
    # Mexico City (UTC−6) is in the Americas; Berlin in EMEA; Tokyo's requirement is covered.
    assert (groups[americas][0].demand, groups[emea][0].demand, groups[apac][0].demand) == (
        D("8"),
        D("15"),
        D("0"),
    )


@pytest.mark.parametrize(
    ("zone", "band"),
    [
        ("America/Sao_Paulo", 0),
        ("Atlantic/Azores", 1),
        ("Asia/Dubai", 1),
        ("Asia/Kolkata", 2),
        ("Pacific/Auckland", 2),
    ],
)
def test_time_zone_bands_by_offset(zone, band):
    assert capacity.time_zone_band(zone, MONDAY) == capacity.TIME_ZONE_BANDS[band][0]


def test_a_person_booked_with_no_capacity_is_over(draft, region_amer):
    person = delivery_person("Zero", region=region_amer, capacity="0")
    requirement = StaffingRequirementFactory(
        sow=draft.sow, start_date=MONDAY, end_date=MONDAY + dt.timedelta(days=4)
    )
    AssignmentFactory(requirement=requirement, person=person, hours_per_week=D("4"))
    row = next(r for r in run("region").people if r.person == person)
    assert [status for _, status in row.coloured][:2] == ["over", "none"]


def test_language_pages_and_query_count_do_not_grow(
    staffed, draft, make_person, django_assert_max_num_queries
):
    client = client_for(make_person(Role.PS_OPERATIONS, username="ops.lang"))
    for by in ("language", "time_zone", "region"):
        url = reverse("forecasting:capacity") + f"?by={by}"
        with django_assert_max_num_queries(40) as first:
            assert client.get(url).status_code == 200
        for n in range(4):
            person = delivery_person(f"More {by} {n}", languages=["French"], time_zone="Europe/Paris")
            requirement = StaffingRequirementFactory(sow=draft.sow, start_date=MONDAY, end_date=MONDAY)
            AssignmentFactory(requirement=requirement, person=person)
            OpportunityFactory(close_date=MONDAY, region=person.region)
        with django_assert_max_num_queries(len(first.captured_queries)):
            assert client.get(url).status_code == 200


def test_the_hand_offs_kickoff_date_is_on_the_capacity_page(draft, em, director, make_person):
    handed = take_to(draft, "handed_off", em=em, director=director)
    client = client_for(make_person(Role.PS_OPERATIONS, username="ops.kickoff"))
    html = client.get(reverse("forecasting:capacity")).content.decode()
    kickoffs = html[html.index('data-testid="kickoffs"') :]
    assert handed.sow.reference in kickoffs
    assert timezone.localdate().strftime("%Y-%m-%d") in kickoffs
