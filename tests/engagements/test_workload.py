import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from engagements import selectors
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(em, em_manager, make_person, region_amer, region_emea):
    quiet = make_person(
        Role.ENGAGEMENT_MANAGER,
        username="em.quiet",
        region=region_amer,
        name="Quinn Quiet",
        manager=em_manager,
    )
    far = make_person(Role.ENGAGEMENT_MANAGER, username="em.far", region=region_emea, name="Farah Far")
    fresh = timezone.now()
    for amount in ("1000", "2000"):
        OpportunityFactory(
            engagement_manager=em, region=region_amer, amount=Decimal(amount), em_reviewed_at=fresh
        )
    OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        currency="EUR",
        amount=Decimal("500"),
        em_reviewed_at=fresh - dt.timedelta(days=30),
    )
    OpportunityFactory(
        engagement_manager=em, region=region_amer, is_closed=True, is_won=True
    )  # closed: not load
    OpportunityFactory(engagement_manager=quiet, region=region_amer, em_reviewed_at=None)
    OpportunityFactory(engagement_manager=far, region=region_emea)
    return {"em": em, "quiet": quiet, "far": far}


def test_workload_per_em_in_the_managers_region(team, em_manager):
    loads = {load.em.name: load for load in selectors.em_workload(user=em_manager.user)}
    assert set(loads) == {"Em Amer", "Quinn Quiet", "Emm Amer"}  # AMER only; the manager is an EM too
    em = loads["Em Amer"]
    assert (em.open_count, em.stale_count) == (3, 1)
    assert em.amounts == {"EUR": Decimal("500.00"), "USD": Decimal("3000.00")}
    assert (loads["Quinn Quiet"].open_count, loads["Quinn Quiet"].stale_count) == (1, 1)


def test_suggested_em_is_least_loaded_engagement_manager_never_the_manager(team, em_manager, admin_person):
    suggestions = selectors.suggested_ems(selectors.em_workload(user=em_manager.user))
    amer = team["em"].region_id
    # Emm Amer (EM Manager) has 0 open but is never suggested; AMER loads are in USD and EUR, so the
    # count decides: Quinn with 1 open before Em Amer with 3.
    assert suggestions[amer].em == team["quiet"]
    everyone = selectors.suggested_ems(selectors.em_workload(user=admin_person.user))
    assert everyone[team["far"].region_id].em == team["far"]
    assert everyone[amer].em == team["quiet"]


def test_suggestion_ranks_by_open_amount_then_count(em, em_manager, make_person, region_amer):
    small = make_person(Role.ENGAGEMENT_MANAGER, username="em.small", region=region_amer, name="Sam Small")
    # Em Amer: one deal of USD 90,000; Sam Small: two deals of USD 10,000 each.
    rows = [(em, "90000"), (small, "10000"), (small, "10000")]
    for person, amount in rows:
        OpportunityFactory(engagement_manager=person, region=region_amer, amount=Decimal(amount))
    totals: dict[str, Decimal] = {}
    for person, amount in rows:
        totals[person.name] = totals.get(person.name, Decimal("0")) + Decimal(amount)
    expected = min(totals, key=lambda name: totals[name])
    suggestion = selectors.suggested_ems(selectors.em_workload(user=em_manager.user))[region_amer.pk]
    assert suggestion.em.name == expected == "Sam Small"  # the lower open amount wins over fewer deals


def test_region_with_only_a_manager_has_no_suggestion_or_preselection(make_person, region_emea, admin_person):
    lone = make_person(Role.EM_MANAGER, username="emm.emea", region=region_emea, name="Mona Manager")
    opp = OpportunityFactory(region=region_emea, engagement_manager=None, name="EMEA needs an EM")
    assert region_emea.pk not in selectors.suggested_ems(selectors.em_workload(user=admin_person.user))
    body = (
        client_for(lone)
        .get(reverse("engagements:pipeline") + "?scope=unassigned&quarter=any")
        .content.decode()
    )
    row = body[body.index(f'id="opp-{opp.pk}"') :]
    row = row[: row.index("</select>")]
    assert f'value="{lone.pk}">Mona Manager — 0 open</option>' in row  # may still be chosen by hand
    assert " selected" not in row and "suggested" not in row
    detail = client_for(lone).get(opp.get_absolute_url()).content.decode()
    assert "suggested: least loaded" not in detail


def test_unassigned_view_preselects_suggestion(team, em_manager, region_amer):
    opp = OpportunityFactory(region=region_amer, engagement_manager=None, name="Needs an EM")
    body = (
        client_for(em_manager)
        .get(reverse("engagements:pipeline") + "?scope=unassigned&quarter=any")
        .content.decode()
    )
    row = body[body.index(f'id="opp-{opp.pk}"') :]
    row = row[: row.index("</select>")]
    quiet = team["quiet"]
    assert f'value="{quiet.pk}" selected>Quinn Quiet — 1 open (suggested: least loaded)' in row
    assert f'value="{em_manager.pk}">Emm Amer — 0 open</option>' in row  # listed, not preselected
    assert row.count(" selected") == 1
    detail = client_for(em_manager).get(opp.get_absolute_url()).content.decode()
    assert "Quinn Quiet (AMER) — suggested: least loaded, 1 open" in detail
    assert "Emm Amer (AMER) — suggested" not in detail


@pytest.mark.parametrize(("who", "status"), [("em_manager", 200), ("em", 403), ("leadership", 403)])
def test_workload_page_access(team, em_manager, em, leadership, who, status):
    person = {"em_manager": em_manager, "em": em, "leadership": leadership}[who]
    response = client_for(person).get(reverse("engagements:workload"))
    assert response.status_code == status
    if status == 200:
        assert "Quinn Quiet" in response.content.decode() and "Farah Far" not in response.content.decode()


def test_workload_query_count_constant(team, em_manager, region_amer, make_person):
    client = client_for(em_manager)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("engagements:workload")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(15):
        person = make_person(Role.ENGAGEMENT_MANAGER, region=region_amer)
        OpportunityFactory.create_batch(3, engagement_manager=person, region=region_amer)
    assert count() == few
