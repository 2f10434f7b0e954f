import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagements import services
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(em, region_amer):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Acme — Migration")
    services.opportunity_update_em_fields(
        actor=em.user,
        opportunity=opp,
        expected_version=1,
        em_confidence="Amber",
        em_confidence_rationale="=cmd|' /C calc'!A0",
    )
    return opp


def test_audit_shows_who_changed_what(changed, admin_person, em):
    response = client_for(admin_person).get(reverse("audit"))
    body = response.content.decode()
    assert "Acme — Migration" in body and "em.amer" in body
    assert "em confidence: Grey → Amber" in body
    entries = response.context["entries"]
    assert entries == sorted(entries, key=lambda e: e.at, reverse=True)


def test_audit_filters(changed, admin_person):
    client = client_for(admin_person)
    assert client.get(reverse("audit") + "?user=em.amer").context["entries"]
    assert not client.get(reverse("audit") + "?user=nobody").context["entries"]
    assert not client.get(reverse("audit") + "?kind=approval").context["entries"]
    today = timezone.localdate().isoformat()
    assert client.get(reverse("audit") + f"?since={today}&kind=opportunity").context["entries"]
    assert not client.get(reverse("audit") + "?until=2000-01-01").context["entries"]
    bad = client.get(reverse("audit") + "?since=not-a-date&kind=bogus")
    assert bad.status_code == 200 and "Enter a valid date" in bad.content.decode()


def test_audit_csv_export_neutralises_formulas(changed, admin_person, em):
    from engagements.models import Opportunity

    opp = Opportunity.objects.get(pk=changed.pk)
    opp.name = '=HYPERLINK("http://evil.example")'
    opp._history_user = em.user
    opp.save()
    response = client_for(admin_person).get(reverse("audit") + "?format=csv&kind=opportunity")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["When (UTC)", "Kind", "Who"]
    labels = [row[4] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example")' in labels
    assert not any(label.startswith("=") for label in labels)


@pytest.mark.parametrize("who", ["em", "em_manager", "leadership", "ps_director"])
def test_audit_is_for_administrators_only(who, em, em_manager, leadership, ps_director):
    person = {"em": em, "em_manager": em_manager, "leadership": leadership, "ps_director": ps_director}[who]
    assert client_for(person).get(reverse("audit")).status_code == 403


def test_audit_query_count_constant(admin_person, em, region_amer):
    client = client_for(admin_person)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit")).status_code == 200
        return len(ctx.captured_queries)

    first = OpportunityFactory(engagement_manager=em, region=region_amer)
    services.opportunity_update_em_fields(
        actor=em.user, opportunity=first, expected_version=1, em_confidence="Red", em_confidence_rationale="x"
    )
    few = count()
    for opp in OpportunityFactory.create_batch(20, engagement_manager=em, region=region_amer):
        services.opportunity_update_em_fields(
            actor=em.user,
            opportunity=opp,
            expected_version=1,
            em_confidence="Red",
            em_confidence_rationale="x",
        )
    assert count() == few


def test_audit_filtered_by_user_still_shows_what_changed(em, em_manager, admin_person, region_amer):
    """The previous state may belong to another user's edit: the diff is taken against it all the same."""
    opp = OpportunityFactory(engagement_manager=em, region=region_amer, name="Acme — Renewal")
    services.opportunity_update_em_fields(
        actor=em.user,
        opportunity=opp,
        expected_version=1,
        em_confidence="Amber",
        em_confidence_rationale="PO expected",
    )
    opp.refresh_from_db()
    services.opportunity_update_em_fields(
        actor=em_manager.user,
        opportunity=opp,
        expected_version=opp.version,
        em_confidence="Red",
        em_confidence_rationale="Budget frozen",
    )
    client = client_for(admin_person)
    manager_entries = client.get(reverse("audit") + "?user=emm.amer&kind=opportunity").context["entries"]
    assert [e.user for e in manager_entries] == ["emm.amer"]
    assert "em confidence: Amber → Red" in manager_entries[0].changes
    assert "em confidence rationale: PO expected → Budget frozen" in manager_entries[0].changes
    em_entries = client.get(reverse("audit") + "?user=em.amer&kind=opportunity").context["entries"]
    assert any("em confidence: Grey → Amber" in e.changes for e in em_entries)
    # A date filter that leaves out the earlier rows keeps the diff too.
    today = timezone.localdate().isoformat()
    dated = client.get(reverse("audit") + f"?since={today}&kind=opportunity&q=Renewal").context["entries"]
    assert "em confidence: Amber → Red" in dated[0].changes


def test_audit_lists_people_rate_card_and_catalog_changes(admin_person, make_person):
    from scoping.models import DeliveryRole

    person = make_person("practice_manager", username="pm.changes")
    person.name = "Pat Changed"
    person._history_user = admin_person.user
    person.save()
    role = DeliveryRole.objects.create(
        name="Architect", bill_rate="250.00", cost_rate="120.00", currency="USD"
    )
    role.bill_rate = "275.00"
    role._history_user = admin_person.user
    role.save()
    client = client_for(admin_person)
    people = client.get(reverse("audit") + "?kind=person&user=admin").context["entries"]
    assert any(e.kind == "Person" and "name:" in e.changes and "Pat Changed" in e.changes for e in people)
    rates = client.get(reverse("audit") + "?kind=rate_card&user=admin").context["entries"]
    assert rates[0].kind == "Rate card" and "bill rate: 250.00 → 275.00" in rates[0].changes
