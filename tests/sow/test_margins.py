"""Margins that count every cost: each priced line of the agreed estimate has a cost line (labour at
the rate card's cost rates, packaged SKUs' delivery hours at the packaged role's, pass-through lines
and billed travel & expenses at their price times the configured percentage); a line that costs
nothing says why; the margin panel shows price and cost per kind of line."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scoping import services as scoping_services
from scoping.models import DeliveryRole, EstimateLine
from sow import services
from sow.models import MANDATORY_SECTIONS, CostLine, SowVersion
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory
from tests.scoping.factories import DeliveryRoleFactory, PackagedOfferingFactory

pytestmark = pytest.mark.django_db

LICENCE = Decimal("1350.00")
EXPENSES = Decimal("5000.00")


@pytest.fixture
def mixed_draft(em, region_amer, catalog) -> SowVersion:
    """An agreed estimate with every kind of priced line: the custom migration's activities (20 h
    Technical Architect, 100 h Engineer), a packaged SKU (USD 12,000, 60 h), a licence line
    (3 × 450), billed travel & expenses of 5,000 and a 10 % contingency on labour."""
    DeliveryRoleFactory(name="Senior Engineer", bill_rate="250.00", cost_rate="120.00")
    package = PackagedOfferingFactory(name="Jumpstart", unit_price="12000.00", included_hours="60")
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Kestrel — Platform")
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Kestrel platform")
    estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=catalog)
    scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=package, quantity=1)
    scoping_services.estimate_add_line(
        actor=em.user, estimate=estimate, kind="free", description="Licences", quantity="3", unit_price="450"
    )
    estimate.refresh_from_db()
    scoping_services.estimate_update(
        actor=em.user,
        estimate=estimate,
        expected_version=estimate.version,
        contingency_percent="10",
        expenses=str(EXPENSES),
        discount="0",
        lines=[],
    )
    estimate.refresh_from_db()
    scoping_services.estimate_agree(actor=em.user, estimate=estimate)
    issue.refresh_from_db()
    return services.sow_create(actor=em.user, issue=issue).versions.get()


def lines_of(version: SowVersion) -> list[CostLine]:
    return list(CostLine.objects.filter(cost_estimate__sow_version=version).order_by("position"))


def test_every_priced_line_gets_a_cost_line_at_cost(mixed_draft):
    priced = list(EstimateLine.objects.filter(estimate=mixed_draft.estimate).order_by("position"))
    lines = lines_of(mixed_draft)
    assert {line.estimate_line_id for line in lines if line.estimate_line_id} == {p.pk for p in priced}
    by_kind = {(line.kind, line.description): line for line in lines}
    rates = {r.name: r.cost_rate for r in DeliveryRole.objects.all()}
    assert (
        by_kind[("role", "Custom Migration: Assessment")].cost == Decimal("20") * rates["Technical Architect"]
    )
    assert by_kind[("role", "Custom Migration: Execution")].cost == Decimal("100") * rates["Engineer"]
    sku = next(line for line in lines if line.description.startswith("Delivery of"))
    assert sku.cost == Decimal("60") * rates["Senior Engineer"]
    assert sku.delivery_role == DeliveryRole.objects.get(name="Senior Engineer")
    assert by_kind[("pass_through", "Licences")].amount == LICENCE
    assert by_kind[("travel", "Travel & expenses")].amount == EXPENSES
    expected_cogs = Decimal("20") * 150 + Decimal("100") * 100 + Decimal("60") * 120 + LICENCE + EXPENSES
    assert services.version_margin(mixed_draft).cogs == expected_cogs
    assert services.cost_problems(mixed_draft) == []


def test_pass_through_and_expenses_are_costed_at_the_configured_percentage(settings, em, mixed_draft):
    settings.SOW_PASS_THROUGH_COST_PERCENT = "80"
    settings.SOW_EXPENSES_COST_PERCENT = "50"
    cost_estimate = mixed_draft.cost_estimate
    cost_estimate.lines.all().delete()
    from sow.services.costs import prefill_costs

    prefill_costs(cost_estimate, mixed_draft.estimate)
    amounts = {line.kind: line.amount for line in lines_of(mixed_draft) if line.kind != "role"}
    assert amounts == {"pass_through": Decimal("1080.00"), "travel": Decimal("2500.00")}


def test_the_margin_panel_lists_price_and_cost_per_kind(em, mixed_draft):
    rows = {row.kind: row for row in services.kind_margins(mixed_draft)}
    labour_price = (Decimal("20") * 300 + Decimal("100") * 200) * Decimal("1.10")
    assert (rows["labour"].price, rows["labour"].cost) == (labour_price, Decimal("13000.00"))
    assert (rows["packaged"].price, rows["packaged"].cost) == (Decimal("12000.00"), Decimal("7200.00"))
    assert (rows["pass_through"].price, rows["pass_through"].cost) == (LICENCE, LICENCE)
    assert (rows["expenses"].price, rows["expenses"].cost) == (EXPENSES, EXPENSES)
    assert "discount" not in rows
    assert sum(row.price for row in rows.values()) == mixed_draft.total
    assert sum(row.cost for row in rows.values()) == services.version_margin(mixed_draft).cogs
    assert rows["pass_through"].percent == 0 and rows["pass_through"].below_target
    page = client_for(em).get(mixed_draft.get_absolute_url()).content.decode()
    assert 'data-testid="kind-margins"' in page
    assert "Pass-through (licences, partner fees)" in page and "Travel &amp; expenses" in page


def test_a_line_at_zero_needs_a_reason(em, mixed_draft):
    licence = next(line for line in lines_of(mixed_draft) if line.kind == "pass_through")
    with pytest.raises(ValidationError) as exc:
        services.cost_line_update(actor=em.user, line=licence, description="Licences", amount="0")
    assert exc.value.message_dict["amount"][0].startswith("This line costs nothing")
    licence.refresh_from_db()
    assert licence.amount == LICENCE
    services.cost_line_update(
        actor=em.user,
        line=licence,
        description="Licences",
        amount="0",
        no_cost_reason="Customer buys the licences directly",
    )
    licence.refresh_from_db()
    assert (licence.amount, licence.no_cost_reason) == (Decimal("0"), "Customer buys the licences directly")
    assert services.cost_problems(mixed_draft) == []
    with pytest.raises(ValidationError) as exc:
        services.cost_line_add(actor=em.user, version=mixed_draft, kind="partner", description="Partner")
    assert "amount" in exc.value.message_dict
    line = services.cost_line_add(
        actor=em.user, version=mixed_draft, kind="partner", description="Partner", no_cost_reason="Free pilot"
    )
    assert line.cost == 0 and line.no_cost_reason == "Free pilot"


def test_submission_refused_while_a_priced_line_has_no_cost(em, mixed_draft):
    for name in MANDATORY_SECTIONS:
        setattr(mixed_draft, name, getattr(mixed_draft, name) or "text")
    mixed_draft.save()
    lines = lines_of(mixed_draft)
    services.cost_line_delete(actor=em.user, line=next(line for line in lines if line.kind == "travel"))
    services.cost_line_delete(actor=em.user, line=next(line for line in lines if line.kind == "pass_through"))
    problems = services.submission_problems(mixed_draft, justification="tight deal")
    assert any(p.startswith("“Licences” is priced but has no cost line") for p in problems)
    assert any(p.startswith("Travel & expenses are billed but have no cost line") for p in problems)
    mixed_draft.refresh_from_db()
    with pytest.raises(ValidationError):
        services.sow_submit(
            actor=em.user, version=mixed_draft, expected_version=mixed_draft.version, justification="x"
        )
    licence = EstimateLine.objects.get(estimate=mixed_draft.estimate, description="Licences")
    services.cost_line_add(
        actor=em.user,
        version=mixed_draft,
        kind="pass_through",
        description="Licences",
        estimate_line=licence,
        amount="1350",
    )
    services.cost_line_add(
        actor=em.user, version=mixed_draft, kind="travel", description="T&E", no_cost_reason="Remote only"
    )
    assert services.cost_problems(mixed_draft) == []


def test_a_delivery_role_cost_line_is_chosen_from_the_rate_card(em, draft):
    client = client_for(em)
    engineer = DeliveryRole.objects.get(name="Engineer", currency="USD")
    eur = DeliveryRoleFactory(name="Engineer", currency="EUR", bill_rate="180", cost_rate="90")
    page = client.get(draft.get_absolute_url()).content.decode()
    assert f'<option value="{engineer.pk}">Engineer (100.00/h cost)</option>' in page
    assert f'value="{eur.pk}"' not in page
    url = reverse("sow:cost_add", args=[draft.pk])
    response = client.post(
        url, {"kind": "role", "description": "Extra", "delivery_role": eur.pk, "hours": "4"}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = client.post(
        url, {"kind": "role", "description": "Typed", "role_name": "Astronaut", "hours": "4"}
    )
    assert "Choose a delivery role from the rate card." in response.content.decode()
    response = client.post(
        url, {"kind": "role", "description": "Extra", "delivery_role": engineer.pk, "hours": "4"}
    )
    assert response.status_code == 302
    line = CostLine.objects.get(cost_estimate__sow_version=draft, description="Extra")
    assert (line.delivery_role, line.role_name, line.cost_rate) == (engineer, "Engineer", Decimal("100.00"))
