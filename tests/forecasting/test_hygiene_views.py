"""Deal hygiene on the dashboard, its list page and the opportunity page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagements.models import Opportunity
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def deals(em, other_em, region_amer, region_emea):
    reviewed = timezone.now()
    return {
        "late": OpportunityFactory(
            name="Late <b>deal</b>",
            region=region_amer,
            engagement_manager=em,
            close_date=TODAY - dt.timedelta(days=2),
            em_reviewed_at=reviewed,
        ),
        "commit_red": OpportunityFactory(
            name="Commit red",
            region=region_emea,
            engagement_manager=other_em,
            forecast_category="Commit",
            owner_name="Ann Owner",
            em_confidence="Red",
            em_confidence_rationale="x",
            close_date=TODAY + dt.timedelta(days=9),
            em_reviewed_at=reviewed,
        ),
        "clean": OpportunityFactory(
            name="Clean",
            region=region_amer,
            engagement_manager=em,
            forecast_category="Commit",
            em_confidence="Green",
            em_confidence_rationale="x",
            close_date=TODAY + dt.timedelta(days=9),
            em_reviewed_at=reviewed,
        ),
    }


def test_dashboard_shows_counts_matrix_and_disagreements(deals, login, leadership):
    html = login(leadership).get(reverse("forecasting:dashboard")).content.decode()
    assert 'data-testid="hygiene-past_due" href="/forecast/hygiene/?flag=past_due">1<' in html
    assert 'data-testid="hygiene-category" href="/forecast/hygiene/?flag=category">1<' in html
    assert 'data-testid="hygiene-pushed" href="/forecast/hygiene/?flag=pushed">0<' in html
    assert html.count('data-testid="disagreement-row"') == 1
    assert "Ann Owner" in html


def test_list_filters_by_flag_region_and_em(deals, login, leadership, em, region_emea):
    client = login(leadership)
    url = reverse("forecasting:hygiene")
    html = client.get(url, {"flag": "past_due"}).content.decode()
    assert html.count('data-testid="hygiene-row"') == 1
    assert "Late &lt;b&gt;deal&lt;/b&gt;" in html  # escaped
    html = client.get(url).content.decode()  # any flag
    assert html.count('data-testid="hygiene-row"') == 2
    assert "Clean" not in html
    html = client.get(url, {"region": region_emea.pk}).content.decode()
    assert html.count('data-testid="hygiene-row"') == 1 and "Commit red" in html
    html = client.get(url, {"em": em.pk, "flag": "category"}).content.decode()
    assert html.count('data-testid="hygiene-row"') == 0


def test_bad_filter_is_a_field_error_not_a_500(deals, login, leadership):
    response = login(leadership).get(reverse("forecasting:hygiene"), {"flag": "nonsense", "region": "x"})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()


def test_list_is_refused_to_an_em(deals, login, em):
    assert login(em).get(reverse("forecasting:hygiene")).status_code == 403


def test_list_query_count_constant(deals, login, leadership, em, region_amer, django_assert_max_num_queries):
    client = login(leadership)
    url = reverse("forecasting:hygiene")
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for n in range(30):
        OpportunityFactory(
            region=region_amer, engagement_manager=em, close_date=TODAY - dt.timedelta(days=n + 1)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_opportunity_page_shows_both_views_side_by_side(deals, login, leadership):
    opp: Opportunity = deals["commit_red"]
    html = login(leadership).get(reverse("engagements:detail", args=[opp.pk])).content.decode()
    assert 'data-testid="sf-category">Commit<' in html
    assert 'data-testid="em-colour">Red<' in html
    assert 'data-testid="category-disagrees"' in html
    clean = deals["clean"]
    html = login(leadership).get(reverse("engagements:detail", args=[clean.pk])).content.decode()
    assert 'data-testid="hygiene-panel"' in html
    assert 'data-testid="category-disagrees"' not in html


def test_dashboard_hygiene_is_shared_per_data_version_and_a_write_renews_it(
    deals, login, leadership, settings
):
    """With live caching on, leaders opening the dashboard share one computation of the hygiene
    counts; any write to the pipeline makes the next read count again (from the rows, by hand)."""
    from forecasting import hygiene

    settings.FORECAST_LIVE_CACHE_SECONDS = 300

    def past_due_by_hand() -> int:
        return sum(
            1
            for o in Opportunity.objects.all()
            if not o.is_closed and o.removed_in_salesforce_at is None and o.close_date < timezone.localdate()
        )

    first = {c.key: c.count for c in hygiene.dashboard_summary().counts}
    assert first["past_due"] == past_due_by_hand()
    with CaptureQueriesContext(connection) as again:
        hygiene.dashboard_summary()
    assert len(again.captured_queries) == 0  # the next leader reads the shared result
    # A write straight to the table (as the sync's bulk updates): the next read counts again.
    Opportunity.objects.filter(pk=deals["commit_red"].pk).update(close_date=TODAY - dt.timedelta(days=1))
    second = {c.key: c.count for c in hygiene.dashboard_summary().counts}
    assert second["past_due"] == past_due_by_hand() == first["past_due"] + 1
    response = login(leadership).get(reverse("forecasting:dashboard"))
    assert (
        f'data-testid="hygiene-past_due" href="/forecast/hygiene/?flag=past_due">{second["past_due"]}<'
        in (response.content.decode())
    )
