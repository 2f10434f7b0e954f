from decimal import Decimal

import factory

from core.roles import Role
from scoping.models import DeliveryRole, Estimate, OfferingActivity, ScopingIssue, ServiceOffering
from tests.engagements.factories import OpportunityFactory

PERSON_ROLE_OF = {
    "Technical Architect": Role.TECHNICAL_ARCHITECT,
    "Project Manager": Role.PROJECT_MANAGER,
    "Partner Consultant": Role.PARTNER_CONSULTANT,
}


class DeliveryRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryRole
        django_get_or_create = ("name", "currency")

    name = "Engineer"
    # Who delivers it, as the rate card says: architects, project managers and partner consultants
    # by their own roles, every other role by PS Engineers (pass person_role to say otherwise).
    person_role = factory.LazyAttribute(lambda role: PERSON_ROLE_OF.get(role.name, Role.PS_ENGINEER))
    currency = "USD"
    bill_rate = Decimal("200.00")
    cost_rate = Decimal("95.00")


class PackagedOfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceOffering

    code = factory.Sequence(lambda n: f"PKG-{n}")
    name = factory.Sequence(lambda n: f"Package {n}")
    kind = ServiceOffering.Kind.PACKAGED
    category = "implementation"
    unit_price = Decimal("24000.00")
    currency = "USD"
    included_hours = Decimal("120")


class CustomOfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceOffering

    code = factory.Sequence(lambda n: f"CUS-{n}")
    name = factory.Sequence(lambda n: f"Custom {n}")
    kind = ServiceOffering.Kind.CUSTOM
    category = "implementation"
    currency = ""


class OfferingActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfferingActivity

    offering = factory.SubFactory(CustomOfferingFactory)
    role_name = "Engineer"
    description = "Build"
    hours = Decimal("10")


class ScopingIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScopingIssue

    opportunity = factory.SubFactory(OpportunityFactory)
    title = factory.Sequence(lambda n: f"Scoping {n}")
    assignee = factory.SelfAttribute("opportunity.engagement_manager")


class EstimateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Estimate

    scoping_issue = factory.SubFactory(ScopingIssueFactory)
    number = 1
    currency = "USD"
