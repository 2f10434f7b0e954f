"""Admin list pages answer absurd filter and search values with a message and the plain list, never a
500 or Django's bare "Database error" page — for the project's admins and the libraries' alike."""

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse

from core.admin_site import BAD_FILTER_MESSAGE
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

ABSURD = [
    "close_date__year=99999999999999999999",
    "close_date__year=9999",
    "close_date__year=0",
    "close_date__year=2026&close_date__month=99999999999999999999999",
    "close_date__year=2026&close_date__month=13",
    "close_date__year=abc",
    "close_date__gte=bogus",
    "id__in=1,x",
    "is_won__exact=maybe",
    "q=%00",
    "em_confidence=%00",
]


@pytest.mark.parametrize("query", ABSURD)
def test_opportunity_list_refuses_absurd_filters_with_a_message(query, admin_person, em, region_amer):
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Acme — Migration")
    client = client_for(admin_person)
    client.raise_request_exception = False
    url = reverse("admin:engagements_opportunity_changelist")
    response = client.get(f"{url}?{query}")
    assert response.status_code == 302 and response["Location"] == url
    assert [str(m) for m in get_messages(response.wsgi_request)] == [BAD_FILTER_MESSAGE]
    page = client.get(url)
    assert page.status_code == 200 and "Acme — Migration" in page.content.decode()


@pytest.mark.parametrize(
    "url_name, query",
    [
        ("admin:django_celery_beat_clockedschedule_changelist", "clocked_time__year=0"),
        ("admin:django_celery_beat_clockedschedule_changelist", "clocked_time__year=99999999999999999999"),
        ("admin:forecasting_exchangerate_changelist", "effective_date__year=9999"),
        ("admin:salesforce_syncrun_changelist", "started_at__year=0"),
        ("admin:auth_user_changelist", "q=%00"),
        ("admin:axes_accessattempt_changelist", "attempt_time__year=99999999999999999999"),
    ],
)
def test_every_admin_list_refuses_absurd_filters(url_name, query, admin_person):
    client = client_for(admin_person)
    client.raise_request_exception = False
    url = reverse(url_name)
    response = client.get(f"{url}?{query}")
    assert response.status_code == 302 and response["Location"] == url


def test_an_amount_beyond_any_column_never_errors(admin_person):
    """PostgreSQL refuses it (message and plain list); SQLite compares and finds nothing."""
    client = client_for(admin_person)
    client.raise_request_exception = False
    url = reverse("admin:engagements_opportunity_changelist")
    response = client.get(f"{url}?amount__gt=1e999999")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert [str(m) for m in get_messages(response.wsgi_request)] == [BAD_FILTER_MESSAGE]


def test_every_registered_admin_has_the_safe_change_list():
    from core.admin_site import SafeChangeListMixin

    unsafe = [
        model._meta.label
        for model, ma in admin.site._registry.items()
        if not isinstance(ma, SafeChangeListMixin)
    ]
    assert unsafe == []


def test_sensible_filters_still_filter(admin_person, em, region_amer):
    import datetime as dt

    OpportunityFactory(
        engagement_manager=em, region=region_amer, name="Early", close_date=dt.date(2026, 3, 1)
    )
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Late", close_date=dt.date(2027, 3, 1))
    response = client_for(admin_person).get(
        reverse("admin:engagements_opportunity_changelist") + "?close_date__year=2027"
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Late" in body and "Early" not in body
