"""Each forecasting access rule refuses with its one message, on the page, in the admin and in the
service alike, and the menu offers a page exactly when its rule allows it."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from core.roles import Role
from forecasting import access
from forecasting.models import BookingsPlan, ForecastSnapshot
from forecasting.services import plan_import, snapshot_take
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PLAN = b"quarter,region,em_email,amount,currency\nFY27-Q4,,,400000,USD\n"


def page_refusal(response, rule):
    """The 403 page shows the rule's own message."""
    assert response.status_code == 403
    assert escape(rule.message) in response.content.decode()


def service_refusal(call, rule):
    with pytest.raises(PermissionDenied) as exc:
        call()
    assert str(exc.value) == rule.message


def menu_keys(client):
    response = client.get(reverse("engagements:pipeline"))
    return {item["key"] for item in response.context["nav_items"]}


@pytest.mark.parametrize(
    "url",
    [
        reverse("forecasting:dashboard"),
        reverse("forecasting:drill") + "?quarter=FY27-Q4&week=live&metric=commit",
        reverse("forecasting:export", args=["regions"]),
        reverse("forecasting:calibration"),
    ],
)
def test_forecast_pages_refuse_with_the_rules_message(em, url):
    page_refusal(client_for(em).get(url), access.can_see_forecast)


def test_capacity_page_refuses_with_the_rules_message(em):
    page_refusal(client_for(em).get(reverse("forecasting:capacity")), access.can_see_capacity)


@pytest.mark.parametrize(
    ("role", "forecast", "capacity"),
    [
        (Role.ENGAGEMENT_MANAGER, False, False),
        (Role.PS_OPERATIONS, False, True),
        (Role.EM_MANAGER, True, True),
        (Role.LEADERSHIP, True, True),
    ],
)
def test_menu_offers_forecast_and_capacity_by_their_rules(make_person, role, forecast, capacity):
    person = make_person(role, username=f"menu.{role}")
    assert access.can_see_forecast(person.user) is forecast
    assert access.can_see_capacity(person.user) is capacity
    keys = menu_keys(client_for(person))
    assert ("forecasting:dashboard" in keys) is forecast
    assert ("forecasting:capacity" in keys) is capacity


def test_taking_a_snapshot_refuses_in_the_admin_and_the_service_alike(ps_director):
    # A PS Director works in the admin and may read snapshots, but not take one by hand.
    client = client_for(ps_director)
    page_refusal(client.post(reverse("admin:forecasting_forecastsnapshot_take")), access.can_take_snapshot)
    service_refusal(lambda: snapshot_take(actor=ps_director.user), access.can_take_snapshot)
    assert not ForecastSnapshot.objects.exists()


def test_snapshot_button_shows_only_to_who_may_take_one(ps_director, admin_person):
    url = reverse("admin:forecasting_forecastsnapshot_changelist")
    button = "Take this week's snapshot now"
    assert button not in client_for(ps_director).get(url).content.decode()
    assert button in client_for(admin_person).get(url).content.decode()


def test_importing_plans_refuses_in_the_admin_and_the_service_alike(make_person):
    practice = make_person(Role.PRACTICE_MANAGER, username="practice")  # in the admin, not a plan owner
    client = client_for(practice)
    url = reverse("admin:forecasting_bookingsplan_import")
    page_refusal(client.get(url), access.can_import_plans)
    page_refusal(client.post(url, {"file": SimpleUploadedFile("plan.csv", PLAN)}), access.can_import_plans)
    service_refusal(lambda: plan_import(actor=practice.user, data=PLAN), access.can_import_plans)
    assert not BookingsPlan.objects.exists()


def test_import_link_shows_only_to_who_may_import(make_person, ps_director):
    reader = make_person(Role.PRACTICE_MANAGER, username="plan.reader")
    reader.user.user_permissions.add(Permission.objects.get(codename="view_bookingsplan"))
    url = reverse("admin:forecasting_bookingsplan_changelist")
    link = reverse("admin:forecasting_bookingsplan_import")
    response = client_for(reader).get(url)
    assert response.status_code == 200 and link not in response.content.decode()
    assert link in client_for(ps_director).get(url).content.decode()
