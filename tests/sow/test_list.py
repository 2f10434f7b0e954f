"""The SOW list: the latest version of every SOW the user may read, newest first, filtered and paged
in the database (50 a page), so an old SOW is as reachable as a new one."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from sow import services
from sow.models import Sow, SowVersion
from sow.views import PAGE_SIZE
from tests.conftest import client_for
from tests.sow.factories import take_to

pytestmark = pytest.mark.django_db


def more_sows(like: SowVersion, count: int, *, status: str = "draft") -> list[Sow]:
    """`count` SOWs on the same deal, newer than every SOW so far, each with one version."""
    sows = Sow.objects.bulk_create(
        Sow(opportunity=like.sow.opportunity, scoping_issue=like.sow.scoping_issue, title=f"More {index}")
        for index in range(count)
    )
    SowVersion.objects.bulk_create(
        SowVersion(
            sow=sow,
            number=1,
            status=status,
            estimate=like.estimate,
            category=like.category,
            total=like.total,
            currency=like.currency,
        )
        for sow in sows
    )
    return sows


def listed(response) -> list[str]:
    return [version.sow.reference for version in response.context["rows"]]


def test_the_oldest_of_501_sows_is_reachable_by_filter_and_by_page(em, director, draft):
    oldest = take_to(draft, "signed", em=em, director=director).sow
    Sow.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - dt.timedelta(days=365))
    more_sows(draft, 500)
    client = client_for(em)

    signed = client.get(reverse("sow:list"), {"status": "signed"})
    assert listed(signed) == [oldest.reference]

    last_page = client.get(reverse("sow:list"), {"page": 11})
    assert last_page.context["page"].paginator.count == 501
    assert listed(last_page) == [oldest.reference]


def test_the_list_shows_fifty_a_page_newest_first_and_keeps_the_filter_in_the_page_links(em, draft):
    newer = more_sows(draft, PAGE_SIZE + 5)
    client = client_for(em)
    first = client.get(reverse("sow:list"), {"status": "draft"})
    assert listed(first) == [sow.reference for sow in reversed(newer)][:PAGE_SIZE]
    assert "?status=draft&amp;page=2" in first.content.decode()
    second = client.get(reverse("sow:list"), {"status": "draft", "page": "2"})
    assert listed(second) == [sow.reference for sow in reversed(newer)][PAGE_SIZE:] + [draft.sow.reference]
    assert "?status=draft&amp;page=1" in second.content.decode()


def test_the_list_shows_each_sows_latest_version_and_filters_on_it(em, director, draft):
    v1 = take_to(draft, "approved", em=em, director=director)
    v2 = services.sow_revise(actor=em.user, version=v1, expected_version=v1.version)
    client = client_for(em)
    rows = client.get(reverse("sow:list")).context["rows"]
    assert [(row.sow_id, row.label) for row in rows] == [(draft.sow_id, v2.label)]
    assert listed(client.get(reverse("sow:list"), {"status": "approved"})) == []
    assert listed(client.get(reverse("sow:list"), {"status": "draft"})) == [draft.sow.reference]


def test_an_unknown_status_is_refused_with_a_message_and_lists_nothing(em, draft):
    response = client_for(em).get(reverse("sow:list"), {"status": "lost<script>"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert listed(response) == []


def test_the_list_shows_only_sows_the_user_may_see(em, other_em, director, draft):
    assert listed(client_for(em).get(reverse("sow:list"))) == [draft.sow.reference]
    assert listed(client_for(director).get(reverse("sow:list"))) == [draft.sow.reference]
    assert listed(client_for(other_em).get(reverse("sow:list"))) == []


def test_the_list_needs_a_login_and_a_role_with_sows(make_person, draft):
    response = Client().get(reverse("sow:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    outsider = make_person(Role.PROJECT_MANAGER, username="outsider")
    assert client_for(outsider).get(reverse("sow:list")).status_code == 403


def test_the_list_query_count_stays_the_same_as_sows_grow(em, draft):
    client = client_for(em)

    def count(**params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("sow:list"), params).status_code == 200
        return len(ctx.captured_queries)

    more_sows(draft, 2)
    few = count()
    more_sows(draft, PAGE_SIZE + 10)
    assert count() == few
    assert count(page=2) == few
    assert count(status="draft") == few
