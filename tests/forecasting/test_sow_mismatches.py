"""SOW/Salesforce mismatch flags on hand-built opportunities and SOWs, their counts on the dashboard,
their lists, and the SOW state on the opportunity page, My pipeline and the drill-downs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from engagements.models import Opportunity
from forecasting import mismatches
from forecasting.models import ExchangeRate
from sow.models import Sow, SowStatus, SowVersion
from tests.engagements.factories import OpportunityFactory
from tests.scoping.factories import EstimateFactory, ScopingIssueFactory


def sow_for(opp: Opportunity, *versions: tuple[str, str, str]) -> Sow:
    """A SOW on `opp` with versions (status, total, currency) numbered 1, 2, …"""
    issue = ScopingIssueFactory(opportunity=opp)
    estimate = EstimateFactory(scoping_issue=issue)
    sow = Sow.objects.create(opportunity=opp, scoping_issue=issue, title=f"SOW for {opp.name}")
    for number, (status, total, currency) in enumerate(versions, start=1):
        SowVersion.objects.create(
            sow=sow,
            number=number,
            status=status,
            estimate=estimate,
            category="migration",
            total=Decimal(total),
            currency=currency,
        )
    return sow


@pytest.fixture
def cases(db, region_amer):
    """One opportunity per case, named for what it shows."""

    def opp(name: str, *, amount: str = "26070.00", currency: str = "GBP", **kw: object) -> Opportunity:
        return OpportunityFactory(
            name=name, region=region_amer, amount=Decimal(amount), currency=currency, **kw
        )

    made = {
        # The issue's example: signed and handed off at GBP 26,070, open in Discovery at GBP 152,000.
        "signed_open": opp("Signed open", amount="152000.00"),
        "signed_won": opp("Signed won", is_closed=True, is_won=True, stage="Closed Won"),
        "signed_lost": opp("Signed lost", is_closed=True, is_won=False, stage="Closed Lost"),
        "won_no_sow": opp("Won no SOW", is_closed=True, is_won=True, stage="Closed Won"),
        "won_sent": opp("Won sent", is_closed=True, is_won=True, stage="Closed Won"),
        "draft_same": opp("Draft same amount"),
        "draft_other": opp("Draft other amount", amount="30000.00"),
        "withdrawn_only": opp("Withdrawn only", amount="1.00"),
        "revised": opp("Revised", amount="28000.00"),
        "two_sows": opp("Two SOWs", amount="30000.00"),
        "usd_opp_gbp_sow": opp("USD opp GBP SOW", amount="33000.00", currency="USD"),
        "usd_opp_gbp_sow_far": opp("USD opp GBP SOW far", amount="40000.00", currency="USD"),
        "no_rate": opp("No rate", amount="1000.00", currency="USD"),
        "removed": opp("Removed won", is_closed=True, is_won=True, removed_in_salesforce_at=timezone.now()),
        "no_sow_open": opp("Open without SOW"),
    }
    sow_for(made["signed_open"], (SowStatus.HANDED_OFF, "26070.00", "GBP"))
    sow_for(made["signed_won"], (SowStatus.SIGNED, "26070.00", "GBP"))
    sow_for(made["signed_lost"], (SowStatus.SIGNED, "26070.00", "GBP"))
    sow_for(made["won_sent"], (SowStatus.SENT, "26070.00", "GBP"))
    sow_for(made["draft_same"], (SowStatus.DRAFT, "26070.00", "GBP"))
    sow_for(made["draft_other"], (SowStatus.DRAFT, "26070.00", "GBP"))
    sow_for(made["withdrawn_only"], (SowStatus.WITHDRAWN, "26070.00", "GBP"))
    # v1 superseded at 26,070, v2 approved at 28,000 (the opportunity's amount), v3 withdrawn at 1.
    sow_for(
        made["revised"],
        (SowStatus.SUPERSEDED, "26070.00", "GBP"),
        (SowStatus.APPROVED, "28000.00", "GBP"),
        (SowStatus.WITHDRAWN, "1.00", "GBP"),
    )
    # Two SOWs of 10,000 and 20,000 make the opportunity's 30,000.
    sow_for(made["two_sows"], (SowStatus.SENT, "10000.00", "GBP"))
    sow_for(made["two_sows"], (SowStatus.DRAFT, "20000.00", "GBP"))
    # GBP 26,070 at 1.27 is USD 33,108.90: 0.33 % from 33,000 (within 1 %); 17 % from 40,000.
    sow_for(made["usd_opp_gbp_sow"], (SowStatus.APPROVED, "26070.00", "GBP"))
    sow_for(made["usd_opp_gbp_sow_far"], (SowStatus.APPROVED, "26070.00", "GBP"))
    sow_for(made["no_rate"], (SowStatus.APPROVED, "1000.00", "EUR"))
    sow_for(made["removed"], (SowStatus.DRAFT, "5.00", "GBP"))
    ExchangeRate.objects.create(
        currency="GBP", rate=Decimal("1.27"), effective_date=timezone.localdate() - dt.timedelta(days=30)
    )
    return made


EXPECTED = {
    "signed_open": ({mismatches.SIGNED_NOT_WON, mismatches.AMOUNT_DIFFERS}, SowStatus.HANDED_OFF),
    "signed_won": (set(), SowStatus.SIGNED),
    "signed_lost": ({mismatches.SIGNED_NOT_WON}, SowStatus.SIGNED),
    "won_no_sow": ({mismatches.WON_NOT_SIGNED}, ""),
    "won_sent": ({mismatches.WON_NOT_SIGNED}, SowStatus.SENT),
    "draft_same": (set(), SowStatus.DRAFT),
    "draft_other": ({mismatches.AMOUNT_DIFFERS}, SowStatus.DRAFT),
    "withdrawn_only": (set(), SowStatus.WITHDRAWN),
    "revised": (set(), SowStatus.APPROVED),
    "two_sows": (set(), SowStatus.SENT),
    "usd_opp_gbp_sow": (set(), SowStatus.APPROVED),
    "usd_opp_gbp_sow_far": ({mismatches.AMOUNT_DIFFERS}, SowStatus.APPROVED),
    "no_rate": (set(), SowStatus.APPROVED),
    "no_sow_open": (set(), ""),
}


def test_each_hand_built_case_carries_its_flags_and_status(cases):
    states = mismatches.sow_states([cases[key] for key in EXPECTED])
    for key, (flags, status) in EXPECTED.items():
        state = states[cases[key].pk]
        assert set(state.flags) == flags, key
        assert state.status == status, key


def test_the_drill_down_lookup_by_ids_agrees_with_the_lookup_by_rows(cases):
    by_rows = mismatches.sow_states([cases[key] for key in EXPECTED])
    by_ids = mismatches.sow_states_for_ids([cases[key].pk for key in EXPECTED] + [None])
    for key in EXPECTED:
        pk = cases[key].pk
        assert (by_ids[pk].flags, by_ids[pk].status) == (by_rows[pk].flags, by_rows[pk].status), key


def test_the_amounts_compared_are_said_in_words(cases):
    states = mismatches.sow_states([cases["signed_open"], cases["usd_opp_gbp_sow_far"], cases["no_rate"]])
    assert states[cases["signed_open"].pk].amount_note == "SOW GBP 26,070.00, opportunity GBP 152,000.00."
    # 26,070 × 1.27 = 33,108.90
    assert (
        "SOW USD 33,108.90, opportunity USD 40,000.00" in states[cases["usd_opp_gbp_sow_far"].pk].amount_note
    )
    assert states[cases["no_rate"].pk].amount_note == "Not compared: no exchange rate today for EUR."


def test_dashboard_counts_every_live_opportunity_once_per_flag(cases):
    expected = dict.fromkeys(mismatches.FLAGS, 0)
    for flags, _ in EXPECTED.values():
        for flag in flags:
            expected[flag] += 1
    counts = {c.key: c.count for c in mismatches.flag_counts()}
    assert (
        counts
        == expected
        == {
            mismatches.SIGNED_NOT_WON: 2,
            mismatches.WON_NOT_SIGNED: 2,
            mismatches.AMOUNT_DIFFERS: 3,
        }
    )


def test_each_list_holds_exactly_the_flagged_opportunities(cases):
    for flag in mismatches.FLAGS:
        expected = {cases[key].pk for key, (flags, _) in EXPECTED.items() if flag in flags}
        assert set(mismatches.flagged(flag).values_list("pk", flat=True)) == expected, flag


@pytest.fixture
def leader_client(login, leadership):
    return login(leadership)


def test_dashboard_shows_the_counts_linked_to_their_lists(cases, leader_client):
    response = leader_client.get(reverse("forecasting:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    url = reverse("forecasting:sow_mismatches")
    assert f'href="{url}?flag=amount_differs">3</a>' in html
    assert f'href="{url}?flag=signed_not_won">2</a>' in html


def test_the_list_page_shows_the_flagged_opportunities(cases, leader_client):
    response = leader_client.get(reverse("forecasting:sow_mismatches"), {"flag": "signed_not_won"})
    assert response.status_code == 200
    names = [opp.name for opp, _ in response.context["rows"]]
    assert sorted(names) == ["Signed lost", "Signed open"]
    assert "SOW GBP 26,070.00, opportunity GBP 152,000.00." in response.content.decode()


def test_the_list_page_refuses_an_unknown_flag_with_a_message(cases, leader_client):
    response = leader_client.get(reverse("forecasting:sow_mismatches"), {"flag": "<b>x"})
    assert response.status_code == 400
    assert "<b>x" not in response.content.decode()


def test_the_list_page_is_for_those_who_see_the_forecast(cases, login, em):
    response = login(em).get(reverse("forecasting:sow_mismatches"), {"flag": "signed_not_won"})
    assert response.status_code == 403


def test_list_page_queries_do_not_grow_with_rows(
    cases, leader_client, django_assert_max_num_queries, region_amer
):
    url = reverse("forecasting:sow_mismatches")
    with django_assert_max_num_queries(30) as few:
        leader_client.get(url, {"flag": "amount_differs"})
    for n in range(6):
        sow_for(
            OpportunityFactory(region=region_amer, amount=Decimal(n + 1)), (SowStatus.DRAFT, "99.00", "USD")
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = leader_client.get(url, {"flag": "amount_differs"})
    assert len(response.context["rows"]) == 9


def test_opportunity_page_shows_the_sow_status_and_flags(cases, login, em):
    opp = cases["signed_open"]
    opp.engagement_manager = em
    opp.save()
    Opportunity.objects.filter(pk=opp.pk).update(booked_on=dt.date(2026, 11, 2))
    response = login(em).get(opp.get_absolute_url())
    html = response.content.decode()
    assert 'data-testid="sow-status">Handed off<' in html
    assert "Signed, not won in Salesforce" in html
    assert (
        "SOW total differs from the opportunity amount: SOW GBP 26,070.00, opportunity GBP 152,000.00."
        in html
    )
    assert 'data-testid="booked-on">2026-11-02<' in html


def test_my_pipeline_shows_each_rows_sow_status_in_constant_queries(
    cases, login, em, django_assert_max_num_queries, region_amer
):
    Opportunity.objects.filter(pk__in=[o.pk for o in cases.values()]).update(engagement_manager=em)
    client = login(em)
    url = reverse("engagements:pipeline") + "?scope=mine"
    with django_assert_max_num_queries(60) as first:
        response = client.get(url)
    html = response.content.decode()
    # Open ones only (the pipeline's default): signed open (2 flags), draft other, USD far.
    assert html.count('data-testid="row-sow-flag"') == 4
    assert ">signed, not won<" in html
    for _ in range(5):
        sow_for(
            OpportunityFactory(region=region_amer, engagement_manager=em), (SowStatus.SIGNED, "1.00", "USD")
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count(">signed, not won<") >= 6


def test_drill_down_rows_show_their_sow_status(cases, leader_client):
    response = leader_client.get(
        reverse("forecasting:drill"), {"metric": "pipeline", "quarter": _quarter_label(), "week": "live"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert ">Handed off<" in html
    assert ">signed, not won<" in html


def _quarter_label() -> str:
    from core.fiscal import FiscalQuarter

    return FiscalQuarter.current().label


def test_em_role_person_sees_no_forecast_counts(cases, make_person, login):
    person = make_person(Role.ENGAGEMENT_MANAGER, username="em_x", name="Em X")
    assert login(person).get(reverse("forecasting:dashboard")).status_code == 403


def test_shared_counts_follow_a_sow_being_signed(cases, leader_client, settings):
    """With the live dashboard shared between leaders, signing a SOW still shows at once."""
    settings.FORECAST_LIVE_CACHE_SECONDS = 300
    url = reverse("forecasting:sow_mismatches")

    def won_not_signed() -> str:
        html: str = leader_client.get(reverse("forecasting:dashboard")).content.decode()
        return html.split(f'href="{url}?flag=won_not_signed">', 1)[1].split("<", 1)[0]

    assert won_not_signed() == "2"
    assert won_not_signed() == "2"  # served from the shared cache
    sow_for(cases["won_no_sow"], (SowStatus.SIGNED, "26070.00", "GBP"))
    expected = Opportunity.objects.filter(is_won=True, removed_in_salesforce_at__isnull=True).exclude(
        sows__versions__status=SowStatus.SIGNED
    )
    assert won_not_signed() == str(expected.count()) == "1"
