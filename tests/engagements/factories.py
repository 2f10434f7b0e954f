import datetime as dt
from decimal import Decimal

import factory

from core.fiscal import FiscalQuarter
from engagements.models import Account, Opportunity, Risk
from tests.people.factories import RegionFactory


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    region = factory.SubFactory(RegionFactory)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Opportunity {n}")
    account = factory.SubFactory(AccountFactory, region=factory.SelfAttribute("..region"))
    region = factory.SubFactory(RegionFactory)
    stage = "Discovery"
    close_date = factory.LazyFunction(lambda: FiscalQuarter.current().start + dt.timedelta(days=10))
    amount = Decimal("100000.00")
    currency = "USD"


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Risk

    opportunity = factory.SubFactory(OpportunityFactory)
    description = "Customer may not have an owner"
    severity = Risk.Severity.HIGH
