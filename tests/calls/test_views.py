"""The call pages: submit and revise through the form, field errors, the team and organisation
pages, the CSV export, the dashboard's calls section, and constant query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls import selectors, services
from calls.models import ForecastCall, ForecastCallRevision
from core.fiscal import FiscalQuarter
from core.roles import Role
from engagements.models import Confidence
from tests.calls.conftest import deal
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
D = Decimal


def post_call(
    client: Any, *, commit: str, best: str, note: str = "", version: int = 0, week: Any = None
) -> Any:
    return client.post(
        reverse("calls:mine"),
        {
            "quarter": FiscalQuarter.current().label,
            "week": (week or selectors.current_week()).isoformat(),
            "version": version,
            "commit": commit,
            "best_case": best,
            "note": note,
        },
    )


def test_my_call_is_prefilled_with_the_system_numbers(org):
    page = client_for(org["e1"]).get(reverse("calls:mine")).content.decode()
    assert 'name="commit" value="150.00"' in page
    assert 'name="best_case" value="180.00"' in page
    assert 'data-testid="my-status">not submitted' in page


def test_submit_then_revise_through_the_form(org):
    client = client_for(org["e1"])
    response = post_call(client, commit="160", best="190", note="Acme PO <b>slipping</b>")
    assert response.status_code == 302
    call = ForecastCall.objects.get()
    assert (call.commit, call.version) == (D("160"), 1)
    page = client.get(reverse("calls:mine")).content.decode()
    assert 'name="commit" value="160.00"' in page and 'name="version" value="1"' in page
    assert "Acme PO &lt;b&gt;slipping&lt;/b&gt;" in page  # escaped in the revisions table
    assert post_call(client, commit="170", best="190", note="more", version=1).status_code == 302
    # the same starting version again: refused with a message, nothing saved
    response = post_call(client, commit="999", best="999", note="stale", version=1)
    assert response.status_code == 302
    call.refresh_from_db()
    assert (call.commit, call.version, ForecastCallRevision.objects.count()) == (D("170"), 2, 2)
    assert "revised by another submission" in client.get(response.url).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"commit": "lots", "best": "180"}, "commit", "Enter a number"),
        ({"commit": "151", "best": "180", "note": "x" * 1001}, "note", "at most 1000 characters"),
        ({"commit": "151", "best": "180"}, "note", "Say why the call differs"),
        ({"commit": "190", "best": "180", "note": "x"}, "best_case", "Best case cannot be below Commit"),
    ],
)
def test_bad_input_shows_field_errors_and_saves_nothing(org, data, field, message):
    response = post_call(client_for(org["e1"]), **data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert not ForecastCall.objects.exists()


def test_a_form_for_a_past_week_is_refused(org):
    response = post_call(
        client_for(org["e1"]), commit="150", best="180", week=selectors.current_week() - dt.timedelta(days=7)
    )
    assert response.status_code == 400
    assert "is closed" in response.content.decode()
    assert not ForecastCall.objects.exists()


def test_a_manager_sees_the_team_and_defaults_to_its_sum(org):
    services.call_submit(
        actor=org["e1"].user,
        person=org["e1"],
        quarter=FiscalQuarter.current(),
        commit="160",
        best_case="190",
        note="Acme <script>",
    )
    client = client_for(org["m1"])
    page = client.get(reverse("calls:mine")).content.decode()
    assert 'name="commit" value="360.00"' in page  # e1 160 + e2 (not submitted) 200
    assert "Acme &lt;script&gt;" in page and "<script>" not in page.split("Acme")[1][:20]
    team = client.get(reverse("calls:team")).content.decode()
    assert "Ella One" in team and "Eric Two" in team and "not submitted" in team
    # another manager's team is not theirs to read (they are no forecast reader... but EM Managers are)
    assert client_for(org["e1"]).get(reverse("calls:team")).status_code == 403


def test_csv_export_per_level_is_formula_safe(org, leadership, settings):
    # Calls made now are on time whatever the weekday the test runs on: the deadline is the week's end.
    settings.FORECAST_CALL_DEADLINE_DAY = 6
    settings.FORECAST_CALL_DEADLINE_TIME = "23:59"
    services.call_submit(
        actor=org["e1"].user,
        person=org["e1"],
        quarter=FiscalQuarter.current(),
        commit="160",
        best_case="190",
        note='=HYPERLINK("x")',
    )
    client = client_for(leadership)
    query = f"?quarter={FiscalQuarter.current().label}&week={selectors.current_week().isoformat()}"
    rows = list(csv.reader(io.StringIO(client.get(reverse("calls:export") + query).content.decode())))
    assert len(rows) == 1 + 6
    e1 = next(r for r in rows if r[3] == "Ella One")
    assert e1[5:10] == ["submitted", "150.00", "180.00", "160.00", "190.00"]
    assert e1[11] == "10.00"  # adjustment
    assert e1[17].startswith("'=")
    ems = list(
        csv.reader(io.StringIO(client.get(reverse("calls:export") + query + "&level=em").content.decode()))
    )
    assert [r[3] for r in ems[1:]] == ["Emma Three", "Ella One", "Eric Two"]
    org_rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("calls:export") + query + "&level=organisation").content.decode())
        )
    )
    assert [r[3] for r in org_rows[1:]] == ["Dana Director"]


def test_the_dashboard_shows_the_calls_by_level(org, leadership):
    services.call_submit(
        actor=org["e1"].user,
        person=org["e1"],
        quarter=FiscalQuarter.current(),
        commit="160",
        best_case="190",
        note="Acme PO slipping",
    )
    page = client_for(leadership).get(reverse("forecasting:dashboard")).content.decode()
    section = page.split('data-testid="dashboard-calls"')[1]
    assert "Acme PO slipping" in section and "Dana Director" in section and "Mia Manager" in section
    assert "1 of 6 submitted" in section
    # a manager's row leads to their team; an EM's to the opportunities behind their Commit
    assert f"person={org['m1'].pk}" in section
    assert f"metric=forecast&amp;em={org['e1'].pk}" in section


def _grow(region: Any, make_person: Any, managers: list[Any], n: int, weeks: int) -> None:
    """`n` more EMs under the managers, each with a deal and a call in each of `weeks` past weeks."""
    quarter = FiscalQuarter.current()
    this_week = selectors.current_week()
    for i in range(n):
        person = make_person(
            Role.ENGAGEMENT_MANAGER, username=f"grow{i}.{timezone.now().timestamp()}", manager=managers[i % 2]
        )
        deal(person, region, "10", colour=Confidence.GREEN)
        for w in range(1, weeks + 1):
            ForecastCall.objects.create(
                person=person,
                level="em",
                quarter=quarter.label,
                week=this_week - dt.timedelta(weeks=w),
                commit=D("10"),
                best_case=D("10"),
                currency="USD",
                system_commit=D("10"),
                system_best_case=D("10"),
                default_commit=D("10"),
                default_best_case=D("10"),
                submitted_at=timezone.now(),
                first_submitted_at=timezone.now(),
            )
        services.call_submit(actor=person.user, person=person, quarter=quarter, commit="10", best_case="10")


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["mine_em", "mine_manager", "team", "org", "export", "dashboard"])
def test_query_counts_constant_as_ems_and_weeks_grow(org, make_person, region_amer, leadership, page):
    clients = {
        "mine_em": (org["e1"], reverse("calls:mine")),
        "mine_manager": (org["m1"], reverse("calls:mine")),
        "team": (org["m1"], reverse("calls:team")),
        "org": (leadership, reverse("calls:org")),
        "export": (leadership, reverse("calls:export")),
        "dashboard": (leadership, reverse("forecasting:dashboard")),
    }
    person, url = clients[page]
    client = client_for(person)
    client.get(url)  # warm the session and caches
    _grow(region_amer, make_person, [org["m1"], org["m2"]], 2, 1)
    few = _count(client, url)
    _grow(region_amer, make_person, [org["m1"], org["m2"]], 20, 6)
    many = _count(client, url)
    assert few == many
    assert many <= {"dashboard": 40}.get(page, 25)


def _templates(response: Any) -> list[str]:
    return [t.name for t in response.templates]


def test_the_dashboards_calls_and_todays_sections_are_shared_and_follow_every_call(org, leadership, settings):
    settings.FORECAST_LIVE_CACHE_SECONDS = 300  # as with a shared cache (CACHE_URL)
    quarter = FiscalQuarter.current()
    services.call_submit(
        actor=org["e1"].user, person=org["e1"], quarter=quarter, commit="160", best_case="190", note="first"
    )
    url = reverse("forecasting:dashboard")
    first = client_for(leadership).get(url)
    assert "calls/_dashboard_calls.html" in _templates(first)
    assert "1 of 6 submitted" in first.content.decode().split('data-testid="dashboard-calls"')[1]
    # Another leader in the same data version is served the stored sections, not a new rendering.
    second = client_for(leadership).get(url)
    assert "calls/_dashboard_calls.html" not in _templates(second)
    assert "forecasting/_dashboard_today.html" not in _templates(second)
    page = second.content.decode()
    assert "1 of 6 submitted" in page.split('data-testid="dashboard-calls"')[1]
    assert 'data-testid="approvals-closing"' in page
    # A new call is a write to the calls: the next reader sees it.
    services.call_submit(
        actor=org["e2"].user, person=org["e2"], quarter=quarter, commit="200", best_case="200", note=""
    )
    third = client_for(leadership).get(url)
    assert "calls/_dashboard_calls.html" in _templates(third)
    assert "2 of 6 submitted" in third.content.decode().split('data-testid="dashboard-calls"')[1]
