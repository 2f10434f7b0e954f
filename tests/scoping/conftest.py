import pytest

from tests.engagements.factories import OpportunityFactory
from tests.scoping.factories import (
    CustomOfferingFactory,
    DeliveryRoleFactory,
    OfferingActivityFactory,
    PackagedOfferingFactory,
    ScopingIssueFactory,
)


@pytest.fixture
def rate_card(db):
    return {
        "Engineer": DeliveryRoleFactory(name="Engineer", bill_rate="200.00", cost_rate="95.00"),
        "Technical Architect": DeliveryRoleFactory(
            name="Technical Architect", bill_rate="300.00", cost_rate="150.00"
        ),
    }


@pytest.fixture
def custom_offering(rate_card):
    offering = CustomOfferingFactory(name="Custom Implementation")
    OfferingActivityFactory(
        offering=offering, role_name="Technical Architect", description="Design", hours="24"
    )
    OfferingActivityFactory(offering=offering, role_name="Engineer", description="Build", hours="80")
    return offering


@pytest.fixture
def packaged_offering(db):
    return PackagedOfferingFactory(name="Rapid Implementation", unit_price="24000.00")


@pytest.fixture
def opp(em, region_amer):
    return OpportunityFactory(engagement_manager=em, region=region_amer, currency="USD")


@pytest.fixture
def issue(opp, em):
    return ScopingIssueFactory(opportunity=opp, assignee=em)


@pytest.fixture
def ta(make_person):
    from core.roles import Role

    return make_person(Role.TECHNICAL_ARCHITECT, username="ta")
