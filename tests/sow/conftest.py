import pytest

from core.roles import Role
from scoping import services as scoping_services
from tests.engagements.factories import OpportunityFactory, RiskFactory
from tests.scoping.factories import CustomOfferingFactory, DeliveryRoleFactory, OfferingActivityFactory


@pytest.fixture
def catalog(db):
    DeliveryRoleFactory(name="Engineer", bill_rate="200.00", cost_rate="100.00")
    DeliveryRoleFactory(name="Technical Architect", bill_rate="300.00", cost_rate="150.00")
    DeliveryRoleFactory(name="Senior Engineer", bill_rate="250.00", cost_rate="120.00")
    offering = CustomOfferingFactory(name="Custom Migration", category="migration")
    OfferingActivityFactory(
        offering=offering, role_name="Technical Architect", description="Assessment", hours="20"
    )
    OfferingActivityFactory(offering=offering, role_name="Engineer", description="Execution", hours="100")
    return offering


@pytest.fixture
def director(make_person):
    return make_person(Role.PS_DIRECTOR, username="director", name="Dana Director")


@pytest.fixture
def second_director(make_person):
    return make_person(Role.PS_DIRECTOR, username="director2", name="Drew Director")


@pytest.fixture
def ready_issue(em, region_amer, catalog):
    """A scoping issue with an agreed estimate of USD 26,000 (20 h × 300 + 100 h × 200), no TA needed."""
    opp = OpportunityFactory(
        engagement_manager=em, region=region_amer, name="Harbor Bank — Migration", account__name="Harbor Bank"
    )
    RiskFactory(opportunity=opp, description="Legacy jobs undocumented", mitigation="Discovery workshop")
    issue = scoping_services.scoping_issue_create(
        actor=em.user,
        opportunity=opp,
        title="Harbor Bank migration",
        desired_outcomes="Weekly releases",
        current_state="Jenkins on VMs",
    )
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=catalog)
    scoping_services.estimate_agree(actor=em.user, estimate=estimate)
    issue.refresh_from_db()
    return issue


@pytest.fixture
def draft(em, ready_issue):
    from sow import services

    sow = services.sow_create(actor=em.user, issue=ready_issue)
    return sow.versions.get()
