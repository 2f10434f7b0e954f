"""A past week's dashboard, HTML and every CSV, is byte-for-byte the same after live edits, a
removal, a rate change, a rename and an attempted delete. Only the per-request security tokens
(the CSRF token and the CSP nonce) are masked before comparing."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.urls import reverse
from django.utils import timezone

from engagements.models import Opportunity
from forecasting.models import BookingsPlan, ExchangeRate
from forecasting.services import snapshot_take
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
D = Decimal
PREV, WEEK = dt.date(2026, 11, 9), dt.date(2026, 11, 16)
TABLES = ["regions", "ems", "changes", "waterfall", "trend", "closing", "past-due"]
METRICS = ["closed_won", "commit", "best_case", "pipeline", "forecast", "past_due", "stale"]
TOKENS = re.compile(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": "|nonce=")[^"]+')


def pages(client, quarter):
    query = f"?quarter={quarter}&week={WEEK.isoformat()}"
    got = {"html": TOKENS.sub(rb"\1-", client.get(reverse("forecasting:dashboard") + query).content)}
    for table in TABLES:
        got[table] = client.get(reverse("forecasting:export", args=[table]) + query).content
    for metric in METRICS:
        got[metric] = client.get(reverse("forecasting:drill") + f"{query}&metric={metric}&format=csv").content
        got[f"{metric}-html"] = TOKENS.sub(
            rb"\1-", client.get(reverse("forecasting:drill") + f"{query}&metric={metric}").content
        )
    return got


def take_at(monkeypatch, week):
    moment = timezone.make_aware(dt.datetime.combine(week, dt.time(6)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    snapshot_take(week=week)
    monkeypatch.undo()


def test_a_past_weeks_dashboard_never_changes(monkeypatch, leadership, admin_person, em, region_amer):
    eur = ExchangeRate.objects.create(currency="EUR", rate=D("1.10"), effective_date=dt.date(2026, 1, 1))
    BookingsPlan.objects.create(quarter="FY27-Q4", amount=D("500000"))
    kw = {"engagement_manager": em, "region": region_amer, "em_confidence_rationale": "x"}
    deals = [
        OpportunityFactory(
            name="Green EUR",
            amount=D("1000.05"),
            currency="EUR",
            em_confidence="Green",
            close_date=dt.date(2026, 12, 3),
            **kw,
        ),
        OpportunityFactory(
            name="Amber", amount=D("2500.50"), em_confidence="Amber", close_date=dt.date(2026, 11, 12), **kw
        ),
        OpportunityFactory(
            name="Won",
            amount=D("9999.99"),
            is_closed=True,
            is_won=True,
            em_confidence="Green",
            close_date=dt.date(2026, 11, 5),
            **kw,
        ),
        OpportunityFactory(
            name="BRL",
            amount=D("700.00"),
            currency="BRL",
            em_confidence="Green",
            close_date=dt.date(2026, 12, 20),
            **kw,
        ),
        OpportunityFactory(
            name="Last quarter",
            amount=D("300.00"),
            is_closed=True,
            is_won=True,
            em_confidence="Green",
            close_date=dt.date(2026, 10, 30),
            **kw,
        ),
    ]
    take_at(monkeypatch, PREV)
    Opportunity.objects.filter(name="Amber").update(em_confidence="Green", amount=D("2600.00"))
    take_at(monkeypatch, WEEK)
    client = client_for(leadership)
    before = {quarter: pages(client, quarter) for quarter in ("FY27-Q3", "FY27-Q4", "FY28-Q1")}

    # live edits, a removal, a rename, rate changes and an attempted delete
    Opportunity.objects.filter(name="Green EUR").update(
        amount=D("5"), em_confidence="Red", close_date=dt.date(2027, 3, 1)
    )
    Opportunity.objects.filter(name="Amber").update(is_closed=True, is_won=True)
    Opportunity.objects.filter(name="Won").update(removed_in_salesforce_at=timezone.now())
    em.name = "Renamed EM"
    em.save()
    region_amer.code = "AMR"
    region_amer.save()
    eur.rate = D("2")
    eur.save()
    ExchangeRate.objects.create(currency="EUR", rate=D("3"), effective_date=dt.date(2026, 11, 1))
    ExchangeRate.objects.create(currency="BRL", rate=D("0.2"), effective_date=dt.date(2026, 1, 1))
    OpportunityFactory(
        name="Brand new", amount=D("1"), em_confidence="Green", close_date=dt.date(2026, 12, 1)
    )
    with pytest.raises(ProtectedError), transaction.atomic():
        deals[0].delete()
    admin = client_for(admin_person)
    admin.post(reverse("admin:engagements_opportunity_delete", args=[deals[1].pk]), {"post": "yes"})
    assert Opportunity.objects.filter(pk=deals[1].pk).exists()

    after = {quarter: pages(client, quarter) for quarter in ("FY27-Q3", "FY27-Q4", "FY28-Q1")}
    for quarter in before:
        for key in before[quarter]:
            assert after[quarter][key] == before[quarter][key], (quarter, key)
    assert b"Renamed EM" not in after["FY27-Q4"]["html"]
    assert b"9,999.99" in after["FY27-Q4"]["html"]  # the removed deal is still in that week
