"""The director's decision in one page: the review page shows the deal (amount, close date, stage,
EM confidence and rationale), price, COGS, gross profit and margin per kind of line against the
target, the TA state, risks, the EM's recommendation and the estimate against its previous version,
with links to each; directors land on their queue and the menu shows how many SOWs wait and since
when (a constant number of queries)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from engagements.models import Risk
from scoping import services as scoping_services
from scoping.models import Estimate
from sow import services
from sow.models import MANDATORY_SECTIONS, CostLine, SowVersion
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def fill(version: SowVersion) -> SowVersion:
    for name in MANDATORY_SECTIONS:
        if not getattr(version, name):
            setattr(version, name, f"{name} text")
    version.recommendation = "Sign before quarter end; customer budget approved."
    version.save()
    return version


@pytest.fixture
def revised_issue(em, ready_issue):
    """The agreed estimate is v2: v1 (20 h TA, 100 h Engineer) revised with 10 more Engineer hours
    on the execution line and a new training line of 2 × 1,500."""
    v1 = ready_issue.estimates.get()
    v2 = scoping_services.estimate_revise(actor=em.user, estimate=v1, reason="Bigger estate")
    execution = v2.lines.get(description__endswith="Execution")
    scoping_services.estimate_update(
        actor=em.user,
        estimate=v2,
        expected_version=v2.version,
        contingency_percent="0",
        expenses="0",
        discount="0",
        lines=[
            scoping_services.LineChange(line_id=execution.pk, description=execution.description, hours="110")
        ],
    )
    v2.refresh_from_db()
    scoping_services.estimate_add_line(
        actor=em.user, estimate=v2, kind="free", description="Training seats", quantity="2", unit_price="1500"
    )
    v2.refresh_from_db()
    scoping_services.estimate_agree(actor=em.user, estimate=v2)
    ready_issue.refresh_from_db()
    return ready_issue


@pytest.fixture
def submitted(em, revised_issue) -> SowVersion:
    opp = revised_issue.opportunity
    opp.amount, opp.currency, opp.stage = Decimal("152000.00"), "USD", "Negotiation"
    opp.close_date = dt.date(2027, 1, 29)
    opp.em_confidence, opp.em_confidence_rationale = "Amber", "Procurement slow; budget approved"
    opp.save()
    version = fill(services.sow_create(actor=em.user, issue=revised_issue).versions.get())
    return services.sow_submit(
        actor=em.user, version=version, expected_version=version.version, justification="Strategic logo"
    )


def review_page(director, version: SowVersion) -> str:
    response = client_for(director).get(reverse("admin:sow_approvalqueueitem_review", args=[version.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_review_page_shows_the_deal_and_links_to_it(director, submitted):
    page = review_page(director, submitted)
    opp = submitted.sow.opportunity
    assert "USD 152,000.00" in page and "2027-01-29" in page and "Negotiation" in page
    assert "Amber" in page and "Procurement slow; budget approved" in page
    assert "Sign before quarter end; customer budget approved." in page
    assert "TA review" in page and submitted.sow.scoping_issue.get_ta_review_state_display() in page
    assert f'href="{opp.get_absolute_url()}"' in page
    assert f'href="{submitted.estimate.get_absolute_url()}"' in page
    assert f'href="{opp.get_absolute_url()}#risks-heading"' in page
    assert "Legacy jobs undocumented" in page and "Discovery workshop" in page


def test_the_review_page_shows_gross_profit_and_margin_per_kind(director, submitted):
    page = review_page(director, submitted)
    lines = list(CostLine.objects.filter(cost_estimate__sow_version=submitted))
    cogs = sum(
        (line.hours * line.cost_rate if line.kind == "role" else line.amount for line in lines), Decimal(0)
    )
    # 20 h × 300 + 110 h × 200 labour and 2 × 1,500 training seats; costs 20 × 150 + 110 × 100 + 3,000.
    assert submitted.total == Decimal("31000.00") and cogs == Decimal("17000.00")
    assert "USD 31,000.00" in page and "USD 17,000.00" in page
    assert 'data-testid="review-gross-profit">USD 14,000.00<' in page
    assert "45.2 %" in page  # 14,000 / 31,000
    kinds = page.split('data-testid="review-kind-margins"')[1].split("</table>")[0]
    assert "Labour" in kinds and "USD 28,000.00" in kinds and "USD 14,000.00" in kinds and "50.0 %" in kinds
    assert "Pass-through" in kinds and "USD 3,000.00" in kinds and "0.0 % below" in kinds


def test_the_review_page_shows_the_estimate_against_its_previous_version(director, submitted):
    page = review_page(director, submitted)
    diff = page.split('data-testid="review-estimate-diff"')[1].split("</table>")[0]
    assert "Estimate v2 against v1" in page
    assert "changed" in diff and "100.00 h · USD 20,000.00" in diff and "110.00 h · USD 22,000.00" in diff
    assert "added" in diff and "Training seats" in diff
    assert "USD 26,000.00" in diff and "USD 31,000.00" in diff and "USD 5,000.00 change" in diff
    assert Estimate.objects.filter(scoping_issue=submitted.sow.scoping_issue).count() == 2


def test_decisions_are_styled_buttons_that_ask_first(director, submitted):
    page = review_page(director, submitted)
    assert 'class="approve" data-confirm="Approve ' in page
    assert 'class="request-changes" data-confirm="Send ' in page
    assert "js/confirm.js" in page


def test_directors_land_on_their_queue(director, em, leadership):
    response = client_for(director).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:sow_approvalqueueitem_changelist")
    assert client_for(leadership).get(reverse("home"))["Location"] == reverse("forecasting:dashboard")
    assert client_for(em).get(reverse("home"))["Location"].startswith(reverse("engagements:pipeline"))


def test_the_menu_shows_how_many_wait_and_the_oldest_age(director, em, submitted):
    SowVersion.objects.filter(pk=submitted.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=3, hours=2)
    )
    page = client_for(director).get(reverse("sow:list")).content.decode()
    item = page.split('data-testid="nav-sowqueue"')[1].split("</a>")[0]
    assert ">1</span>" in item and "oldest 3 d" in item
    assert 'data-testid="nav-sowqueue"' not in client_for(em).get(reverse("sow:list")).content.decode()


def test_the_menu_count_costs_the_same_queries_however_many_wait(
    director, em, submitted, region_amer, catalog, django_assert_max_num_queries
):
    client = client_for(director)
    url = reverse("sow:list")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for index in range(4):
        opp = OpportunityFactory(engagement_manager=em, region=region_amer)
        issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title=f"More {index}")
        estimate = scoping_services.estimate_create(actor=em.user, issue=issue)
        scoping_services.estimate_add_offering(actor=em.user, estimate=estimate, offering=catalog)
        scoping_services.estimate_agree(actor=em.user, estimate=estimate)
        version = fill(services.sow_create(actor=em.user, issue=issue).versions.get())
        services.sow_submit(actor=em.user, version=version, expected_version=version.version)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert ">5</span>" in page.split('data-testid="nav-sowqueue"')[1].split("</a>")[0]


def test_risks_are_listed_most_severe_first(director, submitted):
    Risk.objects.create(opportunity=submitted.sow.opportunity, description="Low thing", severity="low")
    Risk.objects.create(opportunity=submitted.sow.opportunity, description="Closed one", status="closed")
    risks = review_page(director, submitted).split('data-testid="review-risks"')[1].split("</ul>")[0]
    assert risks.index("Legacy jobs undocumented") < risks.index("Low thing")
    assert "Closed one" not in risks
