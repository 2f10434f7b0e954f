"""The Audit page reads one source — the entries every write records — with people's names and
values in words, filters, pages, and a CSV export for administrators only."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import actions
from core.models import AuditEntry
from core.roles import Role
from people import services as people_services
from people.forms import PersonForm
from tests.conftest import client_for
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def _edit_person(actor, person, **changes):
    initial = PersonForm.initial_for(person)
    values = {**initial, **changes}
    return people_services.person_update(
        actor=actor.user,
        person=person,
        expected_version=person.version,
        name=values["name"],
        role=values["role"],
        region=values.get("region_obj"),
        manager=None,
        languages=values["languages"],
        time_zone=values["time_zone"],
        weekly_capacity_hours=values["weekly_capacity_hours"],
        utilization_target=values["utilization_target"],
        active=values["active"],
        skill_levels={},
    )


@pytest.fixture
def ops(make_person):
    return make_person(Role.PS_OPERATIONS, username="psops", name="Pat Ops")


@pytest.fixture
def engineer(db):
    return PersonFactory(
        role=Role.PS_ENGINEER, user=None, name="Sam Taylor", weekly_capacity_hours=Decimal("40")
    )


def test_a_directory_edit_is_listed_with_names_and_values_in_words(ops, engineer, admin_person):
    _edit_person(ops, engineer, role=Role.PROJECT_MANAGER, weekly_capacity_hours=Decimal("32"))
    response = client_for(admin_person).get(reverse("audit"))
    assert response.status_code == 200
    row = response.context["rows"][0]
    assert row["who"] == "Pat Ops"
    assert row["entry"].action == "edited the directory entry"
    assert row["kind"] == "Person"
    assert "role: PS Engineer → Project Manager" in row["changes"]
    assert "weekly capacity hours: 40.00 → 32.00" in row["changes"]
    body = response.content.decode()
    assert "Sam Taylor" in body and "Pat Ops" in body and "ps_engineer" not in body
    assert row["entry"].object_url == reverse("people:detail", args=[engineer.pk])


def test_filters_by_kind_who_day_and_words(ops, engineer, admin_person, region_amer):
    _edit_person(ops, engineer, name="Sam T. Taylor")
    actions.record(actor=admin_person.user, action="renamed", obj=region_amer, note="Americas, all of it")
    client = client_for(admin_person)

    def labels(query):
        return [row["entry"].object_label for row in client.get(reverse("audit") + query).context["rows"]]

    assert labels("?kind=people.person") == ["Sam T. Taylor"]
    assert labels("?kind=people.region") == ["AMER"]
    assert labels("?user=Pat") == ["Sam T. Taylor"]  # the person's name
    assert labels("?user=psops") == ["Sam T. Taylor"]  # or the login
    assert labels("?q=all+of+it") == ["AMER"]  # the note
    today = timezone.localdate()
    assert len(labels(f"?since={today.isoformat()}")) == 2
    assert labels(f"?until={(today - dt.timedelta(days=1)).isoformat()}") == []
    bad = client.get(reverse("audit") + "?since=not-a-date")
    assert bad.status_code == 200 and "Enter a valid date" in bad.content.decode() and not bad.context["rows"]


def test_pages_of_fifty(admin_person, region_amer):
    for n in range(60):
        actions.record(actor=admin_person.user, action=f"looked {n}", obj=region_amer)
    client = client_for(admin_person)
    first = client.get(reverse("audit"))
    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.count == 60
    second = client.get(reverse("audit") + "?page=2")
    assert [row["entry"].action for row in second.context["rows"]][-1] == "looked 0"


def test_administrators_export_csv_with_formulas_neutralised(ops, admin_person):
    engineer = PersonFactory(role=Role.PS_ENGINEER, user=None, name='=HYPERLINK("http://evil.example")')
    _edit_person(ops, engineer, weekly_capacity_hours=Decimal("20"))
    response = client_for(admin_person).get(reverse("audit") + "?format=csv&kind=people.person")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["When (UTC)", "Kind", "Who", "Action", "Record", "Changes", "Note"]
    assert rows[1][1:5] == [
        "Person",
        "Pat Ops",
        "edited the directory entry",
        '\'=HYPERLINK("http://evil.example")',
    ]
    assert "weekly capacity hours: 40.00 → 20.00" in rows[1][5]


def test_leadership_reads_the_trail_but_does_not_export_it(leadership, admin_person, region_amer):
    actions.record(actor=admin_person.user, action="renamed", obj=region_amer)
    client = client_for(leadership)
    page = client.get(reverse("audit"))
    assert page.status_code == 200 and page.context["rows"]
    assert "Export CSV" not in page.content.decode()
    assert client.get(reverse("audit") + "?format=csv").status_code == 403


@pytest.mark.parametrize("who", ["em", "em_manager", "ps_director"])
def test_others_may_not_read_the_trail(who, em, em_manager, ps_director):
    person = {"em": em, "em_manager": em_manager, "ps_director": ps_director}[who]
    response = client_for(person).get(reverse("audit"))
    assert response.status_code == 403
    assert "The audit trail is for administrators and leadership." in response.content.decode()


def test_admin_edits_are_in_the_trail(admin_person, region_amer):
    client = client_for(admin_person)
    url = reverse("admin:people_region_change", args=[region_amer.pk])
    response = client.post(url, {"code": "AMER", "name": "The Americas"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_id=str(region_amer.pk), content_type__model="region")
    assert entry.action == "changed in the admin" and entry.actor == admin_person.user
    assert entry.changes == [{"field": "name", "before": "Americas", "after": "The Americas"}]


def test_query_count_does_not_grow_with_entries(admin_person, ops, region_amer):
    client = client_for(admin_person)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit")).status_code == 200
        return len(ctx.captured_queries)

    engineer = PersonFactory(role=Role.PS_ENGINEER, user=None)
    _edit_person(ops, engineer, name="First change")
    few = count()
    for n in range(20):
        person = PersonFactory(role=Role.PS_ENGINEER, user=None)
        _edit_person(ops, person, name=f"Changed {n}")
        actions.record(actor=admin_person.user, action="renamed", obj=region_amer)
    assert count() == few
