"""Cost lines written before they pointed at the rate card get the rate-card role their copied name
and their SOW's currency meant; a name no longer on the rate card stays unlinked, its copy kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# sow before the cost lines' rate-card link; the other apps as they are now (their newer columns).
BEFORE = [
    ("sow", "0004_remove_staffing_models_from_state"),
    ("scoping", "0002_deliveryrole_person_role"),
    ("engagements", "0005_account_legal_name_address"),
]
AFTER = [("sow", "0005_cost_lines_cover_every_price")]


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    apps = _migrate(BEFORE)
    yield apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_existing_role_lines_point_at_the_rate_card_role_they_named(old_apps):
    get = old_apps.get_model
    usd = get("scoping", "DeliveryRole").objects.create(
        name="Engineer",
        person_role="ps_engineer",
        currency="USD",
        bill_rate=Decimal("200"),
        cost_rate=Decimal("100"),
    )
    get("scoping", "DeliveryRole").objects.create(
        name="Engineer",
        person_role="ps_engineer",
        currency="EUR",
        bill_rate=Decimal("180"),
        cost_rate=Decimal("90"),
    )
    region = get("people", "Region").objects.create(code="AMER", name="Americas")
    account = get("engagements", "Account").objects.create(name="Acme")
    opp = get("engagements", "Opportunity").objects.create(
        name="Acme — Build", account=account, stage="Discovery", close_date=dt.date(2027, 1, 1), region=region
    )
    issue = get("scoping", "ScopingIssue").objects.create(opportunity=opp, title="Acme")
    estimate = get("scoping", "Estimate").objects.create(scoping_issue=issue, number=1, currency="USD")
    sow = get("sow", "Sow").objects.create(opportunity=opp, scoping_issue=issue, title="Acme")
    version = get("sow", "SowVersion").objects.create(
        sow=sow, number=1, estimate=estimate, category="implementation", currency="USD", total=Decimal("1")
    )
    costs = get("sow", "CostEstimate").objects.create(sow_version=version)
    line = get("sow", "CostLine")
    known = line.objects.create(cost_estimate=costs, kind="role", description="Build", role_name="Engineer")
    gone = line.objects.create(cost_estimate=costs, kind="role", description="Old", role_name="Astronaut")
    travel = line.objects.create(
        cost_estimate=costs, kind="travel", description="Flights", amount=Decimal("5")
    )
    new_apps = _migrate(AFTER)
    CostLine = new_apps.get_model("sow", "CostLine")
    assert CostLine.objects.get(pk=known.pk).delivery_role_id == usd.pk
    assert CostLine.objects.get(pk=gone.pk).delivery_role_id is None
    assert CostLine.objects.get(pk=gone.pk).role_name == "Astronaut"
    assert CostLine.objects.get(pk=travel.pk).delivery_role_id is None
