"""The live dashboard's figures are shared between requests for one data version, and every kind of
write to what they are made of — a service, a bulk update as the Salesforce sync makes, an exchange
rate, a plan, a new snapshot — makes the next read compute them again. The figures are checked
against sums of the raw rows written in the test."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagements import services
from engagements.models import Opportunity
from forecasting import live_cache
from forecasting.models import BookingsPlan, ExchangeRate
from forecasting.services import snapshot_take
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
D = Decimal
NOW = timezone.make_aware(dt.datetime(2026, 11, 18, 9))
QUERY = "?quarter=FY27-Q4&week=live"


@pytest.fixture
def shared(settings, monkeypatch):
    settings.FORECAST_LIVE_CACHE_SECONDS = 300
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def deals(em, region_amer):
    kw = {"engagement_manager": em, "region": region_amer, "em_confidence_rationale": "x"}
    return [
        OpportunityFactory(
            name="Green USD",
            amount=D("1000.00"),
            em_confidence="Green",
            close_date=dt.date(2026, 12, 3),
            **kw,
        ),
        OpportunityFactory(
            name="Amber EUR",
            amount=D("2000.00"),
            currency="EUR",
            em_confidence="Amber",
            close_date=dt.date(2026, 12, 10),
            **kw,
        ),
    ]


def _expected_commit() -> Decimal:
    """Commit from the raw rows: open Green deals of the quarter, converted with today's rates."""
    rates = {"USD": D("1")} | {
        rate.currency: rate.rate for rate in ExchangeRate.objects.order_by("effective_date")
    }
    total = D("0")
    for opp in Opportunity.objects.filter(removed_in_salesforce_at__isnull=True):
        if opp.em_confidence == "Green" and not opp.is_closed and dt.date(2026, 11, 1) <= opp.close_date:
            total += ((opp.amount or D("0")) * rates[opp.currency]).quantize(D("0.01"))
    return total


def _commit_on_page(client) -> tuple[Decimal, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("forecasting:dashboard") + QUERY)
    assert response.status_code == 200
    figures = sum("GROUPING SETS" in q["sql"] for q in ctx.captured_queries)
    commit = response.context["board"].overall.metrics["commit"].amount
    return commit, figures


def test_concurrent_reads_share_one_computation_and_every_write_recomputes(
    shared, deals, leadership, em, region_amer
):
    client = client_for(leadership)
    first, computed = _commit_on_page(client)
    assert first == _expected_commit() == D("1000.00")
    again, computed_again = _commit_on_page(client)
    if connection.vendor == "postgresql":
        assert (computed, computed_again) == (1, 0)  # the second read comes from the cache
    assert again == first

    # A service write (the EM turns the Amber deal Green).
    amber = deals[1]
    services.opportunity_update_em_fields(
        actor=em.user, opportunity=amber, expected_version=amber.version, em_confidence="Green"
    )
    ExchangeRate.objects.create(currency="EUR", rate=D("1.10"), effective_date=dt.date(2026, 1, 1))
    commit, _ = _commit_on_page(client)
    assert commit == _expected_commit() == D("3200.00")

    # A bulk update, as the Salesforce sync writes, with no model signal.
    Opportunity.objects.filter(pk=deals[0].pk).update(amount=D("1500.00"))
    commit, _ = _commit_on_page(client)
    assert commit == _expected_commit() == D("3700.00")

    # An exchange rate saved in the admin.
    ExchangeRate.objects.filter(currency="EUR").update(rate=D("1.20"))
    commit, _ = _commit_on_page(client)
    assert commit == _expected_commit() == D("3900.00")

    # A plan: the attainment and gap follow.
    BookingsPlan.objects.create(quarter="FY27-Q4", amount=D("10000"))
    response = client.get(reverse("forecasting:dashboard") + QUERY)
    assert response.context["board"].overall.plan == D("10000")


def test_a_new_snapshot_changes_the_live_comparison(shared, deals, leadership):
    client = client_for(leadership)
    assert client.get(reverse("forecasting:dashboard") + QUERY).context["changes"] is None
    snapshot_take(week=dt.date(2026, 11, 16))
    OpportunityFactory(name="Brand new", amount=D("700.00"), close_date=dt.date(2026, 12, 1))
    changes = client.get(reverse("forecasting:dashboard") + QUERY).context["changes"]
    assert [item.name for item in changes.category("new").items] == ["Brand new"]


def test_a_write_moves_the_version_on_when_it_runs_and_again_at_commit(shared, deals):
    before = live_cache.version()
    Opportunity.objects.filter(pk=deals[0].pk).update(name="Renamed")
    after_write = live_cache.version()
    assert after_write != before
    # Reads never move it.
    list(Opportunity.objects.all())
    assert live_cache.version() == after_write


@pytest.mark.django_db(transaction=True)
def test_the_commit_moves_the_version_again(settings, em, region_amer):
    settings.FORECAST_LIVE_CACHE_SECONDS = 300
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    with transaction.atomic():
        Opportunity.objects.filter(pk=opp.pk).update(name="Inside")
        during = live_cache.version()
    assert live_cache.version() != during  # moved on at commit
    settled = live_cache.version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Opportunity.objects.filter(pk=opp.pk).update(name="Rolled back")
        raise RuntimeError
    live_cache.version()  # a rollback leaves no callback behind: the next transaction registers its own
    with transaction.atomic():
        Opportunity.objects.filter(pk=opp.pk).update(name="Again")
        during = live_cache.version()
    assert live_cache.version() not in (during, settled)


def test_only_writes_to_the_dashboards_tables_count():
    writes = [
        'INSERT INTO "engagements_opportunity" ("name") VALUES (%s)',
        'UPDATE "forecasting_exchangerate" SET "rate" = %s',
        'DELETE FROM "people_person" WHERE id = %s',
        'insert into "forecasting_forecastsnapshotrow" (snapshot_id) select 1',
        'UPDATE "sow_sowversion" SET "status" = %s',  # the mismatch counts read the SOWs
        'INSERT INTO "calls_forecastcall" ("person_id") VALUES (%s)',  # the calls section
    ]
    others = [
        'SELECT * FROM "engagements_opportunity" FOR UPDATE',
        'UPDATE "django_session" SET "session_data" = %s',
        'INSERT INTO "axes_accesslog" ("ip") VALUES (%s)',
    ]
    assert all(live_cache._WRITE.match(sql) for sql in writes)
    assert not any(live_cache._WRITE.match(sql) for sql in others)


def test_the_rendered_sections_follow_every_write(shared, deals, leadership):
    from tests.forecasting.test_week_cache import headline, rendered

    url = reverse("forecasting:dashboard") + QUERY
    client = client_for(leadership)
    first = client.get(url)
    assert rendered(first)
    assert headline(first.content.decode(), "commit") == f"USD {_expected_commit():,.2f}"
    second = client.get(url)
    assert not rendered(second)  # the same data version: the stored HTML
    assert second.content.decode().count('data-testid="commit"') == 1
    Opportunity.objects.filter(name="Green USD").update(amount=D("4000.00"))  # as a bulk sync writes
    third = client.get(url)
    assert rendered(third)
    assert headline(third.content.decode(), "commit") == f"USD {_expected_commit():,.2f}" == "USD 4,000.00"
