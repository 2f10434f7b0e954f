"""Rate-card roles written before they named their delivery role get it from the name mapping capacity
used until then; a name that mapping did not know is left blank for someone to set."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.roles import Role
from scoping.models import DeliveryRole

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("scoping", "0001_initial")]
AFTER = [("scoping", "0002_deliveryrole_person_role")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    apps = _migrate(BEFORE)
    yield apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_existing_rate_card_roles_get_the_delivery_role_their_name_meant(old_apps):
    OldRole = old_apps.get_model("scoping", "DeliveryRole")
    for name, currency in [
        ("Senior Engineer", "USD"),
        ("Trainer", "EUR"),
        ("technical architect", "USD"),
        ("Project Manager", "GBP"),
        ("Partner Consultant", "USD"),
        ("Data Scientist", "USD"),
    ]:
        OldRole.objects.create(name=name, currency=currency, bill_rate=Decimal("1"), cost_rate=Decimal("1"))
    _migrate(AFTER)
    assert dict(DeliveryRole.objects.values_list("name", "person_role")) == {
        "Senior Engineer": Role.PS_ENGINEER,
        "Trainer": Role.PS_ENGINEER,
        "technical architect": Role.TECHNICAL_ARCHITECT,
        "Project Manager": Role.PROJECT_MANAGER,
        "Partner Consultant": Role.PARTNER_CONSULTANT,
        "Data Scientist": "",
    }
