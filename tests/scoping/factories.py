from decimal import Decimal

import factory

from scoping.models import DeliveryRole, Estimate, OfferingActivity, ScopingIssue, ServiceOffering
from tests.engagements.factories import OpportunityFactory


class DeliveryRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryRole
        django_get_or_create = ("name", "currency")

    name = "Engineer"
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
