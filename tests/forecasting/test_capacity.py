"""Capacity against booked work and confidence-weighted demand, on a hand-built data set."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.roles import Role
from forecasting import capacity
from scoping import services as scoping_services
from scoping.models import DeliveryRole
from staffing.models import AssignmentStatus
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory
from tests.people.factories import delivery_person
from tests.scoping.factories import DeliveryRoleFactory, PackagedOfferingFactory
from tests.staffing.factories import AssignmentFactory, StaffingRequirementFactory

pytestmark = pytest.mark.django_db
D = Decimal
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def team(region_amer, region_emea):
    alex = delivery_person("Alex Engineer", region=region_amer, capacity="40", skills={"Kubernetes": 4})
    tara = delivery_person(
        "Tara Architect",
        region=region_emea,
        capacity="30",
        role=Role.TECHNICAL_ARCHITECT,
        skills={"Kubernetes": 5, "Security": 3},
    )
    delivery_person("Gone Engineer", region=region_amer, capacity="40", active=False)
    return alex, tara


@pytest.fixture
def bookings(team, draft):
    alex, tara = team
    requirement = StaffingRequirementFactory(
        sow=draft.sow, start_date=MONDAY, end_date=MONDAY + dt.timedelta(days=25)
    )
    # Alex: confirmed 20 h in weeks 1-4; Tara: proposed 10 h in week 2 only (Tue–Wed)
    AssignmentFactory(
        requirement=requirement, person=alex, hours_per_week=D("20"), status=AssignmentStatus.CONFIRMED
    )
    AssignmentFactory(
        requirement=requirement,
        person=tara,
        hours_per_week=D("10"),
        status=AssignmentStatus.PROPOSED,
        start_date=MONDAY + dt.timedelta(days=8),
        end_date=MONDAY + dt.timedelta(days=9),
    )
    # and a cancelled one that must not count
    AssignmentFactory(
        requirement=requirement, person=tara, hours_per_week=D("30"), status=AssignmentStatus.CANCELLED
    )
    return requirement


def cells(result, label):
    return next(group.cells for group in result.groups if group.label == label)


def test_capacity_and_bookings_by_region(bookings):
    result = capacity.capacity(
        start=MONDAY, dimension="region", weights=capacity.Weights(capacity.default_weights(), {})
    )
    assert len(result.weeks) == 12 and result.weeks[0] == MONDAY
    amer, emea = cells(result, "AMER"), cells(result, "EMEA")
    assert [c.capacity for c in amer[:5]] == [D("40")] * 5
    assert [c.confirmed for c in amer[:5]] == [D("20"), D("20"), D("20"), D("20"), D("0")]
    assert [c.proposed for c in emea[:3]] == [D("0"), D("10"), D("0")]
    assert emea[1].capacity == D("30")
    assert result.totals[1].capacity == D("70") and result.totals[1].booked == D("30")


def test_by_role_and_skill(bookings):
    weights = capacity.Weights(capacity.default_weights(), {})
    by_role = capacity.capacity(start=MONDAY, dimension="role", weights=weights)
    assert cells(by_role, "PS Engineer")[0].confirmed == D("20")
    assert cells(by_role, "Technical Architect")[1].proposed == D("10")
    by_skill = capacity.capacity(start=MONDAY, dimension="skill", weights=weights)
    assert cells(by_skill, "Kubernetes")[0].capacity == D("70")  # both have it
    assert cells(by_skill, "Security")[0].capacity == D("30")


def test_person_utilization_against_target(bookings, team):
    alex, _ = team
    result = capacity.capacity(start=MONDAY, weights=capacity.Weights(capacity.default_weights(), {}))
    row = next(r for r in result.people if r.person == alex)
    assert row.cells[0].utilization == D("50")
    assert row.status(row.cells[0]) == "under"  # 50 % against the 70 % default target
    second = StaffingRequirementFactory(
        sow=bookings.sow, start_date=MONDAY, end_date=MONDAY + dt.timedelta(days=4)
    )
    AssignmentFactory(
        requirement=second, person=alex, hours_per_week=D("30"), status=AssignmentStatus.PROPOSED
    )
    result = capacity.capacity(start=MONDAY, weights=capacity.Weights(capacity.default_weights(), {}))
    row = next(r for r in result.people if r.person == alex)
    assert row.cells[0].utilization == D("125") and row.status(row.cells[0]) == "over"


@pytest.fixture
def pipeline_demand(em, region_amer, catalog):
    """Two open opportunities with agreed 120-hour estimates (20 h architect + 100 h engineer), closing
    the Friday before MONDAY, so their delivery starts on MONDAY: one Green, one Red."""
    result = {}
    for colour in ("Green", "Red"):
        opp = OpportunityFactory(
            engagement_manager=em,
            region=region_amer,
            close_date=MONDAY - dt.timedelta(days=3),
            em_confidence=colour,
            em_confidence_rationale="x",
        )
        issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title=f"{colour} deal")
        estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
        scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=catalog)
        scoping_services.estimate_agree(actor=em.user, estimate=estimate)
        result[colour] = opp
    return result


def test_weighted_demand_with_default_weights(pipeline_demand, settings):
    settings.DEMAND_SPREAD_WEEKS = 4
    weights = capacity.confidence_weights({})  # no calibration history: the defaults
    assert weights.values == {"Green": D("0.9"), "Amber": D("0.6"), "Red": D("0.2"), "Grey": D("0.1")}
    result = capacity.capacity(start=MONDAY, dimension="role", weights=weights)
    # 100 engineer hours over 4 weeks = 25 h/week; × (0.9 + 0.2) = 27.5 h/week in weeks 1–4
    engineers = cells(result, "PS Engineer")
    assert [c.demand for c in engineers[:5]] == [D("27.5"), D("27.5"), D("27.5"), D("27.5"), D("0")]
    architects = cells(result, "Technical Architect")
    assert architects[0].demand == D("5.5")  # 20 h / 4 × 1.1
    assert result.totals[0].demand == D("33.0")


def test_weighted_demand_with_calibrated_weights(pipeline_demand, settings):
    settings.DEMAND_SPREAD_WEEKS = 4
    settings.CAPACITY_MIN_CALLS = 10
    weights = capacity.confidence_weights({"Green": (20, 15), "Amber": (4, 4), "Red": (10, 1)})
    assert weights.values["Green"] == D("0.75") and weights.values["Red"] == D("0.1")
    assert weights.values["Amber"] == D("0.6")  # only 4 calls: the default stays
    assert "calibration" in weights.sources["Green"] and "default" in weights.sources["Amber"]
    result = capacity.capacity(start=MONDAY, dimension="role", weights=weights)
    assert cells(result, "PS Engineer")[0].demand == D("21.25")  # 25 × (0.75 + 0.1)


def test_signed_sow_is_not_pipeline_demand(pipeline_demand, em, director, settings):
    from sow import services as sow_services
    from tests.sow.factories import take_to

    settings.DEMAND_SPREAD_WEEKS = 4
    issue = pipeline_demand["Red"].scoping_issues.get()
    version = sow_services.sow_create(actor=em.user, issue=issue).versions.get()
    take_to(version, "signed", em=em, director=director)
    result = capacity.capacity(start=MONDAY, dimension="role", weights=capacity.confidence_weights({}))
    assert cells(result, "PS Engineer")[0].demand == D("22.5")  # only the Green deal: 25 × 0.9


def test_query_count_constant(bookings, team, region_amer, people_and_clients):
    client = people_and_clients["psops"]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("forecasting:capacity") + "?by=skill").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for index in range(25):
        person = delivery_person(
            f"Extra {index}", region=region_amer, skills={"Kubernetes": 2, f"Skill {index}": 3}
        )
        AssignmentFactory(requirement=bookings, person=person, hours_per_week=D("5"))
    assert count() == few


@pytest.fixture
def people_and_clients(make_person, em, leadership, em_manager, ps_director):
    psops = make_person(Role.PS_OPERATIONS, username="psops.cap")
    return {
        "psops": client_for(psops),
        "em": client_for(em),
        "leadership": client_for(leadership),
        "em_manager": client_for(em_manager),
        "director": client_for(ps_director),
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [("psops", 200), ("leadership", 200), ("em_manager", 200), ("director", 200), ("em", 403)],
)
def test_capacity_access(people_and_clients, role, status):
    assert people_and_clients[role].get(reverse("forecasting:capacity")).status_code == status


def test_capacity_anonymous_and_bad_input(people_and_clients):
    assert Client().get(reverse("forecasting:capacity")).status_code == 302
    response = people_and_clients["psops"].get(reverse("forecasting:capacity") + "?by=<script>")
    assert (
        response.status_code == 200
        and "Group by region, role, skill, language or time-zone band" in response.content.decode()
    )


# --------------------------------------------------------------------------- rate-card roles by their key


def green_deal(em, region, *, role_name=None, hours="40", offering=None):
    """An open Green opportunity delivering from MONDAY, with an agreed estimate of one activity line
    (or one offering)."""
    opp = OpportunityFactory(
        engagement_manager=em,
        region=region,
        close_date=MONDAY - dt.timedelta(days=3),
        em_confidence="Green",
        em_confidence_rationale="x",
    )
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Deal")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    if offering is not None:
        scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=offering)
    else:
        scoping_services.estimate_add_line(
            actor=em.user,
            estimate=estimate,
            kind="activity",
            description="Work",
            role_name=role_name,
            hours=hours,
        )
    scoping_services.estimate_agree(actor=em.user, estimate=estimate)
    return opp


def by_role(settings, weeks=4):
    settings.DEMAND_SPREAD_WEEKS = weeks
    return capacity.capacity(start=MONDAY, dimension="role", weights=capacity.confidence_weights({}))


def test_demand_follows_the_rate_cards_delivery_role_not_its_name(em, region_amer, settings):
    # "Engineer" reads like PS Engineer work; the rate card says partner consultants deliver it.
    DeliveryRoleFactory(name="Engineer", person_role=Role.PARTNER_CONSULTANT)
    green_deal(em, region_amer, role_name="Engineer", hours="40")
    result = by_role(settings)
    assert cells(result, "Partner Consultant")[0].demand == D("9.0")  # 40 h / 4 weeks × 0.9
    assert "PS Engineer" not in [group.label for group in result.groups]
    assert result.warnings == []


def test_a_new_rate_card_role_with_a_delivery_role_is_counted(em, region_amer, settings):
    DeliveryRoleFactory(name="Cloud Security Specialist", person_role=Role.TECHNICAL_ARCHITECT)
    green_deal(em, region_amer, role_name="Cloud Security Specialist", hours="80")
    result = by_role(settings)
    assert [c.demand for c in cells(result, "Technical Architect")[:5]] == [D("18.0")] * 4 + [D("0")]
    assert result.demand_without_role == D("0") and result.warnings == []


def test_demand_for_a_rate_card_role_without_a_delivery_role_stays_visible(em, region_amer, settings):
    DeliveryRoleFactory(name="Engineer")
    DeliveryRole.objects.create(name="Data Scientist", currency="USD", bill_rate=D("220"), cost_rate=D("100"))
    green_deal(em, region_amer, role_name="Engineer", hours="40")
    green_deal(em, region_amer, role_name="Data Scientist", hours="20")
    result = by_role(settings)
    unmapped = cells(result, capacity.UNMAPPED_LABEL)
    assert unmapped[0].demand == D("4.5")  # 20 h / 4 × 0.9, in a row of its own, listed last
    assert result.groups[-1].label == capacity.UNMAPPED_LABEL
    assert result.totals[0].demand == D("13.5")  # 9.0 engineer + 4.5 unplaced: nothing dropped
    assert result.demand_without_role == D("18.0")  # over the 4 weeks
    [warning] = result.warnings
    assert "Data Scientist (18.0 h)" in warning and "Engineer" not in warning
    by_region = capacity.capacity(start=MONDAY, dimension="region", weights=capacity.confidence_weights({}))
    assert cells(by_region, "AMER")[0].demand == D("13.5") and by_region.warnings == result.warnings


def test_the_capacity_page_shows_demand_without_a_delivery_role(
    em, region_amer, settings, people_and_clients
):
    settings.DEMAND_SPREAD_WEEKS = 4
    DeliveryRole.objects.create(name="Data Scientist", currency="USD", bill_rate=D("220"), cost_rate=D("100"))
    green_deal(em, region_amer, role_name="Data Scientist", hours="20")
    page = people_and_clients["psops"].get(reverse("forecasting:capacity") + "?by=role").content.decode()
    assert 'data-testid="capacity-warning"' in page and "Data Scientist (" in page
    assert capacity.UNMAPPED_LABEL in page


def test_packaged_hours_count_as_the_configured_rate_card_role(em, region_amer, settings):
    DeliveryRoleFactory(name="Senior Engineer", person_role=Role.PROJECT_MANAGER)
    package = PackagedOfferingFactory(included_hours=D("40"))
    green_deal(em, region_amer, offering=package)
    settings.SOW_PACKAGED_DELIVERY_ROLE = "Senior Engineer"
    assert cells(by_role(settings), "Project Manager")[0].demand == D("9.0")
    settings.SOW_PACKAGED_DELIVERY_ROLE = "Delivery Lead"  # not on the rate card
    result = by_role(settings)
    assert cells(result, capacity.UNMAPPED_LABEL)[0].demand == D("9.0")
    assert "Delivery Lead (36.0 h)" in result.warnings[0]


def test_a_role_missing_in_the_estimates_currency_counts_as_its_other_rows_agree(em, region_amer, settings):
    DeliveryRoleFactory(name="Engineer", currency="USD", person_role=Role.PARTNER_CONSULTANT)
    DeliveryRoleFactory(name="Engineer", currency="EUR", person_role=Role.PARTNER_CONSULTANT)
    green_deal(em, region_amer, role_name="Engineer", hours="40")
    DeliveryRole.objects.filter(currency="USD").delete()  # the rate card dropped the USD row since
    assert cells(by_role(settings), "Partner Consultant")[0].demand == D("9.0")
