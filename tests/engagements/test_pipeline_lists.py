"""Lists people can work in: bulk confirm and assign, saved filters, the column choice, the CSV export
and the deal-hygiene strip — with their rules, refusals and query counts."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from engagements import services
from engagements.models import ConfidenceEvent, Opportunity, PipelinePreference, SavedFilter
from engagements.services import BulkItem
from tests.conftest import client_for, query_budget
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

PIPELINE = reverse("engagements:pipeline")


def _items(*opps: Opportunity) -> list[BulkItem]:
    return [BulkItem(opp.pk, opp.version) for opp in opps]


def _ready(em, region, n, **kwargs):
    defaults = {"em_confidence": "Amber", "em_confidence_rationale": "Budget agreed"}
    return OpportunityFactory.create_batch(n, engagement_manager=em, region=region, **(defaults | kwargs))


# --- services --------------------------------------------------------------------------------------


def test_bulk_confirm_confirms_each_and_refuses_the_one_changed_meanwhile(em, em_manager, region_amer):
    first, second, third = _ready(em, region_amer, 3)
    seen = _items(first, second, third)  # the versions on the EM's page
    # The manager changes the second one after the EM loaded the page.
    services.opportunity_update_em_fields(
        actor=em_manager.user,
        opportunity=second,
        expected_version=second.version,
        em_confidence="Red",
        em_confidence_rationale="Budget frozen",
    )

    result = services.opportunities_confirm_unchanged(actor=em.user, items=seen)

    assert sorted(opp.pk for opp in result.done) == sorted([first.pk, third.pk])
    assert [refusal.opportunity_id for refusal in result.refused] == [second.pk]
    assert em_manager.name in result.refused[0].reason
    assert "nothing was saved" in result.refused[0].reason
    confirmed = ConfidenceEvent.objects.filter(kind=ConfidenceEvent.Kind.CONFIRMED)
    assert sorted(confirmed.values_list("opportunity_id", flat=True)) == sorted([first.pk, third.pk])
    refused = Opportunity.objects.get(pk=second.pk)
    assert (refused.em_confidence, refused.em_confidence_rationale) == ("Red", "Budget frozen")
    assert refused.em_reviewed_at is not None  # from the manager's change, not a confirmation
    assert not confirmed.filter(opportunity=second).exists()
    # Each confirmation is audited like one made by hand.
    assert AuditEntry.objects.filter(action="confirmed the Amber call unchanged").count() == 2


def test_bulk_confirm_applies_the_single_row_rules(em, other_em, region_amer):
    mine_ok, no_rationale = (
        _ready(em, region_amer, 1)[0],
        OpportunityFactory(engagement_manager=em, region=region_amer, em_confidence="Green"),
    )
    # Visible to the EM (their region) but led by someone else: not theirs to confirm.
    someone_elses = OpportunityFactory(engagement_manager=other_em, region=region_amer)

    result = services.opportunities_confirm_unchanged(
        actor=em.user, items=_items(mine_ok, no_rationale, someone_elses)
    )

    assert [opp.pk for opp in result.done] == [mine_ok.pk]
    reasons = {refusal.opportunity_id: refusal.reason for refusal in result.refused}
    assert "Add a rationale before confirming a Green call" in reasons[no_rationale.pk]
    assert "Only the assigned EM" in reasons[someone_elses.pk]
    assert Opportunity.objects.get(pk=no_rationale.pk).em_reviewed_at is None
    assert Opportunity.objects.get(pk=someone_elses.pk).em_reviewed_at is None


def test_bulk_confirm_does_not_reveal_opportunities_the_user_cannot_see(em, other_em, region_emea):
    hidden = OpportunityFactory(engagement_manager=other_em, region=region_emea, name="Secret deal")
    result = services.opportunities_confirm_unchanged(actor=em.user, items=_items(hidden))
    assert result.done == []
    assert result.refused[0].name == "An opportunity"
    assert "Secret deal" not in result.refused[0].reason


def test_bulk_with_nothing_selected_is_a_field_error(em):
    with pytest.raises(ValidationError) as caught:
        services.opportunities_confirm_unchanged(actor=em.user, items=[])
    assert "opportunities" in caught.value.error_dict


def test_bulk_assign_assigns_each_and_refuses_the_stale_one(em, em_manager, region_amer, make_person):
    new_em = make_person("engagement_manager", username="em.two", region=region_amer, manager=em_manager)
    first, second = OpportunityFactory.create_batch(2, engagement_manager=None, region=region_amer)
    seen = _items(first, second)
    services.opportunity_assign_em(
        actor=em_manager.user, opportunity=second, engagement_manager=em, expected_version=second.version
    )

    result = services.opportunities_assign_em(actor=em_manager.user, items=seen, engagement_manager=new_em)

    assert [opp.pk for opp in result.done] == [first.pk]
    assert [refusal.opportunity_id for refusal in result.refused] == [second.pk]
    assert Opportunity.objects.get(pk=first.pk).engagement_manager == new_em
    assert Opportunity.objects.get(pk=second.pk).engagement_manager == em


def test_bulk_assign_by_an_em_is_refused_row_by_row(em, region_amer):
    opp = OpportunityFactory(engagement_manager=None, region=region_amer)
    result = services.opportunities_assign_em(actor=em.user, items=_items(opp), engagement_manager=em)
    assert result.done == []
    assert "EM Manager" in result.refused[0].reason
    assert Opportunity.objects.get(pk=opp.pk).engagement_manager is None


def test_saved_filter_keeps_only_the_lists_own_parameters_and_replaces_by_name(em):
    saved = services.saved_filter_save(
        actor=em.user, name="Green now", query="scope=mine&confidence=Green&page=3&next=//evil.example"
    )
    assert saved.query == "scope=mine&confidence=Green"
    again = services.saved_filter_save(actor=em.user, name="Green now", query="scope=mine&confidence=Amber")
    assert again.pk == saved.pk
    assert SavedFilter.objects.get(pk=saved.pk).query == "scope=mine&confidence=Amber"
    with pytest.raises(ValidationError) as caught:
        services.saved_filter_save(actor=em.user, name="  ", query="")
    assert "name" in caught.value.error_dict


def test_columns_keep_known_keys_in_table_order(em):
    preference = services.pipeline_columns_set(actor=em.user, columns=["reviewed", "bogus", "account"])
    assert preference.columns == ["account", "reviewed"]


# --- views -----------------------------------------------------------------------------------------


def test_bulk_confirm_view_reports_what_was_done_and_what_was_refused(em, em_manager, region_amer):
    first, second = _ready(em, region_amer, 2, name="Deal")
    picks = [f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"]
    services.opportunity_update_em_fields(
        actor=em_manager.user,
        opportunity=second,
        expected_version=second.version,
        em_confidence_rationale="New",
    )
    client = client_for(em)
    response = client.post(
        reverse("engagements:pipeline_bulk"),
        {"action": "confirm", "pick": picks, "next": f"{PIPELINE}?scope=mine"},
        follow=True,
    )
    body = response.content.decode()
    assert "Confirmed unchanged: 1 opportunity" in body
    assert f"Not saved — {second.name}: {em_manager.name} changed it at" in body
    assert response.redirect_chain[-1][0] == f"{PIPELINE}?scope=mine"


def test_bulk_view_is_refused_to_read_only_roles(leadership, em, region_amer):
    opp = _ready(em, region_amer, 1)[0]
    response = client_for(leadership).post(
        reverse("engagements:pipeline_bulk"), {"action": "confirm", "pick": [f"{opp.pk}:{opp.version}"]}
    )
    assert response.status_code == 403
    assert Opportunity.objects.get(pk=opp.pk).em_reviewed_at is None


def test_bulk_assign_view_needs_an_em(em_manager, region_amer):
    opp = OpportunityFactory(engagement_manager=None, region=region_amer)
    response = client_for(em_manager).post(
        reverse("engagements:pipeline_bulk"),
        {"action": "assign", "pick": [f"{opp.pk}:{opp.version}"]},
        follow=True,
    )
    assert "Choose the Engagement Manager to assign." in response.content.decode()


def test_saved_filters_save_apply_and_delete_per_user(em, other_em, region_amer):
    OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        em_confidence="Red",
        em_confidence_rationale="x",
        name="Red one",
    )
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Grey one")
    client = client_for(em)
    response = client.post(
        reverse("engagements:saved_filter_save"), {"name": "Reds", "query": "scope=mine&confidence=Red"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{PIPELINE}?scope=mine&confidence=Red"
    applied = client.get(response["Location"])
    assert [row.name for row in applied.context["rows"]] == ["Red one"]
    assert applied.context["active_saved"].name == "Reds"
    saved = SavedFilter.objects.get(user=em.user)
    # Another user neither sees nor deletes it.
    other = client_for(other_em)
    assert other.get(PIPELINE).context["saved_filters"] == []
    assert other.post(reverse("engagements:saved_filter_delete", args=[saved.pk])).status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    client.post(reverse("engagements:saved_filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


def test_column_choice_is_remembered_per_user(em, em_manager, region_amer):
    OpportunityFactory(engagement_manager=em, region=region_amer)
    client = client_for(em)
    client.post(reverse("engagements:pipeline_columns"), {"columns": ["account", "amount", "confidence"]})
    assert PipelinePreference.objects.get(user=em.user).columns == ["account", "amount", "confidence"]
    response = client.get(f"{PIPELINE}?scope=mine")
    assert response.context["columns"] == ["account", "amount", "confidence"]
    body = response.content.decode()
    assert 'class="cell-stage col-off"' in body and 'class="cell-account"' in body
    # Someone else still sees every column.
    assert "col-off" not in client_for(em_manager).get(f"{PIPELINE}?scope=team").content.decode()


def test_active_filter_count_on_the_phone_button(em, region_amer):
    client = client_for(em)
    assert client.get(f"{PIPELINE}?scope=mine").context["filter"].active_count == 0
    response = client.get(f"{PIPELINE}?scope=mine&quarter=any&confidence=Red&confidence=Green&stale=on")
    assert response.context["filter"].active_count == 3
    assert 'data-testid="active-filter-count">3<' in response.content.decode()


def test_csv_export_holds_the_filtered_list_formula_safe(em, region_amer):
    OpportunityFactory(
        engagement_manager=em,
        region=region_amer,
        name='=HYPERLINK("http://evil.example")',
        em_confidence="Green",
        em_confidence_rationale="+1 signed; -2 risks",
        amount=Decimal("1234.50"),
    )
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Grey deal")
    response = client_for(em).get(reverse("engagements:pipeline_export") + "?scope=mine&confidence=Green")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Opportunity", "Account", "Close date"]
    assert len(rows) == 2  # the header and the one Green opportunity
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][8] == "'+1 signed;' -2 risks"
    assert rows[1][4] == "1234.50"


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_features_keep_my_pipeline_within_its_query_budget(em, region_amer):
    client = client_for(em)
    for name in ("Reds", "Greens", "Stale"):
        services.saved_filter_save(actor=em.user, name=name, query=f"scope=mine&q={name}")
    services.pipeline_columns_set(actor=em.user, columns=["account", "amount"])
    _ready(em, region_amer, 5, forecast_category="Commit", em_confidence="Red")
    few = _queries(client, f"{PIPELINE}?scope=mine&quarter=any")
    _ready(em, region_amer, 195, forecast_category="Commit", em_confidence="Red")
    many = _queries(client, f"{PIPELINE}?scope=mine&quarter=any")
    assert few == many <= query_budget(8)
    # The export reads the same way whatever the number of rows.
    export = reverse("engagements:pipeline_export") + "?scope=mine&quarter=any"
    assert _queries(client, export) <= query_budget(6)


def test_team_view_with_bulk_assign_keeps_a_constant_query_count(em, em_manager, region_amer):
    client = client_for(em_manager)
    counts = []
    for batch in (3, 60):
        _ready(em, region_amer, batch)
        OpportunityFactory.create_batch(batch, engagement_manager=None, region=region_amer)
        counts.append(
            (
                _queries(client, f"{PIPELINE}?scope=team&quarter=any"),
                _queries(client, f"{PIPELINE}?scope=unassigned&quarter=any"),
            )
        )
    assert counts[0] == counts[1]


def test_hygiene_counts_filter_and_badges_match_the_rows(em, region_amer):
    today = timezone.localdate()
    soon = today + dt.timedelta(days=5)
    # Category against colour: Commit in Salesforce while the EM says Red or Grey.
    disagree = _ready(em, region_amer, 2, forecast_category="Commit", em_confidence="Red", close_date=soon)
    agree = _ready(em, region_amer, 1, forecast_category="Commit", em_confidence="Green", close_date=soon)
    past = _ready(em, region_amer, 1, close_date=today - dt.timedelta(days=3))
    closed_past = _ready(em, region_amer, 1, close_date=today - dt.timedelta(days=3), is_closed=True)
    rows = disagree + agree + past + closed_past
    expected_category = sum(
        1
        for o in rows
        if not o.is_closed and o.forecast_category == "Commit" and o.em_confidence in ("Red", "Grey")
    )
    expected_past_due = sum(1 for o in rows if not o.is_closed and o.close_date < today)

    client = client_for(em)
    response = client.get(f"{PIPELINE}?scope=mine&quarter=any&status=all")
    counts = {flag.key: flag.count for flag in response.context["flag_counts"]}
    assert counts["category"] == expected_category == 2
    assert counts["past_due"] == expected_past_due == 1
    body = response.content.decode()
    assert body.count('data-testid="hygiene-category"') == 2

    narrowed = client.get(f"{PIPELINE}?scope=mine&quarter=any&status=all&hygiene=category")
    assert sorted(row.pk for row in narrowed.context["rows"]) == sorted(o.pk for o in disagree)
    assert narrowed.context["filter"].active_count == 3  # quarter, status, hygiene
