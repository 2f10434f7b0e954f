"""Object- and field-level refusals: an EM of another region gets 403/404 for every object URL of
this region's deal, and nobody writes Salesforce-owned fields through the EM pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from engagements.models import Opportunity
from tests.access.matrix import APP
from tests.access.test_urls import all_patterns, kwargs_for, outcome

pytestmark = pytest.mark.django_db
NOT_OBJECTS = {"table"}  # URL arguments that are not object ids


def object_urls(world):
    for route, name, pattern in all_patterns():
        if name not in APP:
            continue
        kwargs = kwargs_for(name, route, pattern, world)
        if kwargs and not set(kwargs) <= NOT_OBJECTS:
            yield name, APP[name][0], reverse(name, kwargs=kwargs)


def test_em_of_another_region_gets_nothing_of_this_regions_objects(people, world):
    client = Client()
    client.force_login(people["other_em"].user)
    checked, leaks = 0, []
    for name, method, url in object_urls(world):
        response = client.post(url) if method == "POST" else client.get(url)
        checked += 1
        if outcome(response) != "forbidden":
            leaks.append(f"{method} {url} ({name}): {response.status_code}")
    assert checked >= 40  # opportunity, risk, scoping issue, estimate, SOW, requirement, assignment pages
    assert not leaks, "\n".join(leaks)
    opp = Opportunity.objects.get(pk=world["opportunity"].pk)
    assert (opp.em_confidence, opp.version) == (world["opportunity"].em_confidence, 2)


def test_and_this_regions_em_gets_nothing_of_the_other_regions_deal(people, world):
    client = Client()
    client.force_login(people["em"].user)
    foreign = world["foreign"]
    for name in ("engagements:detail", "engagements:em_fields", "scoping:create"):
        key = "opportunity_pk" if name == "scoping:create" else "pk"
        assert client.get(reverse(name, kwargs={key: foreign.pk})).status_code == 404


def test_em_cannot_write_salesforce_owned_fields(people, world):
    opp = world["opportunity"]
    before = Opportunity.objects.get(pk=opp.pk)
    client = Client()
    client.force_login(people["em"].user)
    response = client.post(
        reverse("engagements:em_fields", args=[opp.pk]),
        {
            "em_confidence": "Amber",
            "em_confidence_rationale": "Timing unclear",
            "version": before.version,
            # Salesforce owns these: whatever is posted must be ignored.
            "name": "Renamed",
            "amount": "1",
            "currency": "EUR",
            "stage": "Closed Won",
            "is_won": "on",
            "is_closed": "on",
            "close_date": "2030-01-01",
            "probability": "100",
            "salesforce_id": "006HACKED",
            "owner_name": "Mallory",
            "region": "",
            "account": "",
            "engagement_manager": people["other_em"].pk,
        },
    )
    assert response.status_code == 302
    after = Opportunity.objects.get(pk=opp.pk)
    assert after.em_confidence == "Amber"
    for field in (
        "name",
        "amount",
        "currency",
        "stage",
        "is_won",
        "is_closed",
        "close_date",
        "probability",
        "salesforce_id",
        "owner_name",
        "region_id",
        "account_id",
        "engagement_manager_id",
    ):
        assert getattr(after, field) == getattr(before, field), field


def test_admin_form_cannot_write_salesforce_fields_either(people, world):
    opp = world["opportunity"]
    client = Client()
    client.force_login(people["admin"].user)
    client.post(
        reverse("admin:engagements_opportunity_change", args=[opp.pk]),
        {"name": "Renamed", "amount": "1", "stage": "Closed Won", "close_date": dt.date(2030, 1, 1)},
    )
    after = Opportunity.objects.get(pk=opp.pk)
    assert (after.name, after.amount, after.stage) == (opp.name, opp.amount, opp.stage)
    assert after.amount == Decimal("100000.00")
