import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.roles import Role
from engagements.models import Account, Opportunity
from forecasting.services import snapshot_take
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
PAGES = ["forecasting:dashboard", "forecasting:calibration"]


@pytest.fixture
def people(em, em_manager, leadership, ps_director, admin_person, make_person):
    return {
        "em": em,
        "em_manager": em_manager,
        "leadership": leadership,
        "director": ps_director,
        "admin": admin_person,
        "psops": make_person(Role.PS_OPERATIONS, username="psops"),
        "ta": make_person(Role.TECHNICAL_ARCHITECT, username="ta"),
    }


@pytest.mark.parametrize("page", [*PAGES, "drill", "export"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("em", 403),
        ("psops", 403),
        ("ta", 403),
        ("leadership", 200),
        ("director", 200),
        ("em_manager", 200),
        ("admin", 200),
    ],
)
def test_access(people, page, role, expected):
    url = {
        "drill": reverse("forecasting:drill") + "?quarter=FY27-Q4&week=live&metric=commit",
        "export": reverse("forecasting:export", args=["regions"]),
    }.get(page) or reverse(page)
    client = Client() if role == "anonymous" else client_for(people[role])
    response = client.get(url)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("login"))


def test_dashboard_shows_figures_and_drill_links_match(people, book):
    client = client_for(people["leadership"])
    response = client.get(reverse("forecasting:dashboard") + "?quarter=FY27-Q4")
    body = response.content.decode()
    assert "USD 100,000.00" in body and "USD 102,000.00" in body and "25.0 %" in body
    assert "No exchange rate for GBP" in body
    drill = client.get(reverse("forecasting:drill") + "?quarter=FY27-Q4&week=live&metric=pipeline")
    assert "USD 102,000.00" in drill.content.decode()
    assert drill.context["total"].amount == Decimal("102000.00")


@pytest.mark.parametrize(
    "query", ["?quarter=FY99-Q9", "?quarter=garbage&week=2020-01-01", "?week=not-a-date"]
)
def test_bad_selectors_fall_back_with_a_message(people, query):
    response = client_for(people["leadership"]).get(reverse("forecasting:dashboard") + query)
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()


def test_bad_drill_link_is_400_not_500(people):
    response = client_for(people["leadership"]).get(reverse("forecasting:drill") + "?metric=evil&quarter=x")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_csv_exports_neutralise_formulas(people, book):
    Opportunity.objects.filter(name="Green").update(name='=HYPERLINK("http://x")')
    Account.objects.update(name="@SUM(A1)")
    client = client_for(people["leadership"])
    response = client.get(
        reverse("forecasting:drill") + "?quarter=FY27-Q4&week=live&metric=commit&format=csv"
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == '\'=HYPERLINK("http://x")' and rows[1][1] == "'@SUM(A1)"
    for table in ("regions", "ems", "changes", "trend", "closing"):
        export = client.get(reverse("forecasting:export", args=[table]) + "?quarter=FY27-Q4")
        assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    calibration = client.get(reverse("forecasting:calibration") + "?format=csv")
    assert calibration["Content-Type"].startswith("text/csv")
    assert client.get(reverse("forecasting:export", args=["nope"])).status_code == 403


def _bulk(n, region, em):
    account = Account.objects.create(name="Bulk", region=region)
    Opportunity.objects.bulk_create(
        [
            Opportunity(
                name=f"Bulk {i}",
                account=account,
                region=region,
                engagement_manager=em,
                stage="Discovery",
                close_date=dt.date(2026, 11, 1) + dt.timedelta(days=i % 90),
                amount=Decimal(1000 + i),
                currency=["USD", "EUR"][i % 2],
                em_confidence=["Green", "Amber", "Red", "Grey"][i % 4],
                is_closed=i % 7 == 0,
                is_won=i % 14 == 0,
            )
            for i in range(n)
        ]
    )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("week", ["live", "2026-11-16"])
def test_dashboard_query_count_constant(people, region_amer, em, week):
    client = client_for(people["leadership"])
    url = reverse("forecasting:dashboard") + f"?quarter=FY27-Q4&week={week}"
    _bulk(10, region_amer, em)
    snapshot_take(week=dt.date(2026, 11, 9))
    snapshot_take(week=dt.date(2026, 11, 16))
    few = _count(client, url)
    _bulk(4990, region_amer, em)  # 10 → 5,000 opportunities
    snapshot_take(week=dt.date(2026, 11, 9), replace=True)
    snapshot_take(week=dt.date(2026, 11, 16), replace=True)
    many = _count(client, url)
    assert few == many
    # the forecast's own ten, the notification bell's count, the SOW mismatch counts and the deal
    # hygiene section (flag counts, category × colour table, largest disagreements), and the forecast
    # calls section (the hierarchy and the week's calls; its figures are the dashboard's own), and the
    # SOWs in approval closing this quarter
    assert many <= 19


def test_admin_snapshot_button_and_plan_import(people, region_amer, django_capture_on_commit_callbacks):
    client = client_for(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):  # the worker's part, run here
        client.post(reverse("admin:forecasting_forecastsnapshot_take"))
    response = client.get(reverse("admin:forecasting_forecastsnapshot_changelist"))
    assert "opportunities stored" in response.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("plan.csv", b"quarter,region,em_email,amount,currency\nFY27-Q4,MARS,,10,USD\n")
    response = client.post(reverse("admin:forecasting_bookingsplan_import"), {"file": bad})
    assert "Line 2" in response.content.decode()
    good = SimpleUploadedFile("plan.csv", b"quarter,region,em_email,amount,currency\nFY27-Q4,AMER,,10,USD\n")
    response = client.post(reverse("admin:forecasting_bookingsplan_import"), {"file": good}, follow=True)
    assert "1 created" in response.content.decode()
    em_client = client_for(people["em"])
    assert em_client.get(reverse("admin:forecasting_bookingsplan_import")).status_code == 302
