"""Every quarter the dashboard offers for a week is answered from that week's snapshot; a past
week's snapshot is frozen (rows, names, rates) and its opportunities cannot be deleted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from core.fiscal import FiscalQuarter
from core.models import AuditEntry
from engagements.models import Opportunity
from forecasting import changes, figures
from forecasting.models import ExchangeRate, ForecastSnapshot
from forecasting.services import snapshot_take
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db
D = Decimal
Q3, Q4, Q1 = (FiscalQuarter.parse(label, start_month=2) for label in ("FY27-Q3", "FY27-Q4", "FY28-Q1"))
PREV, WEEK = dt.date(2026, 11, 9), dt.date(2026, 11, 16)


def won(name, close, amount, **kw):
    return OpportunityFactory(
        name=name, close_date=close, amount=amount, is_closed=True, is_won=True, em_confidence="Green", **kw
    )


def test_the_previous_quarter_as_of_a_past_week_shows_its_closed_won(db):
    won("October win", dt.date(2026, 10, 20), D("52000.00"))
    OpportunityFactory(name="October loss", close_date=dt.date(2026, 10, 5), is_closed=True, is_won=False)
    snapshot_take(week=WEEK)
    board = figures.dashboard(Q3, figures.source_for(WEEK))
    assert board.overall["closed_won"].amount == D("52000.00")


def test_the_next_quarter_as_of_a_past_week_counts_deals_already_won(db):
    won("Won early", dt.date(2027, 2, 1), D("7000.00"))
    snapshot_take(week=WEEK)
    board = figures.dashboard(Q1, figures.source_for(WEEK))
    assert board.overall["closed_won"].amount == D("7000.00")


def test_what_changed_calls_no_unchanged_deal_removed_or_new_in_another_quarter(db):
    won("October win", dt.date(2026, 10, 20), D("52000.00"))
    OpportunityFactory(name="October loss", close_date=dt.date(2026, 10, 5), is_closed=True, is_won=False)
    won("Won in October, closing in November", dt.date(2026, 11, 3), D("1000.00"))
    # the last week of FY27-Q3 and the first of FY27-Q4: the snapshots' own quarters differ
    last_of_q3, first_of_q4 = dt.date(2026, 10, 26), dt.date(2026, 11, 2)
    snapshot_take(week=last_of_q3)
    snapshot_take(week=first_of_q4)
    for quarter in (Q3, Q4):
        result = changes.compare(quarter, figures.source_for(last_of_q3), figures.source_for(first_of_q4))
        assert {c.key: c.count for c in result.categories if c.count} == {}, quarter.label


def test_a_deal_closed_and_moved_far_back_is_still_held_for_one_week_so_it_reads_as_moved(db):
    opp = OpportunityFactory(name="Moved", close_date=dt.date(2026, 12, 1), em_confidence="Green")
    snapshot_take(week=PREV)
    Opportunity.objects.filter(pk=opp.pk).update(is_closed=True, close_date=dt.date(2024, 1, 1))
    snapshot_take(week=WEEK)
    result = changes.compare(Q4, figures.source_for(PREV), figures.source_for(WEEK))
    assert result.category("removed").count == 0
    assert result.category("pushed_out").count == 1


def test_an_old_snapshot_offers_only_its_own_quarter_and_says_why(leadership):
    won("October win", dt.date(2026, 10, 20), D("52000.00"))
    snapshot_take(week=WEEK)
    # A snapshot taken before snapshots held other quarters: its own quarter's closed deals only.
    ForecastSnapshot.objects.filter(week=WEEK).update(closed_from=Q4.start, closed_to=Q4.end)
    client = client_for(leadership)
    response = client.get(reverse("forecasting:dashboard") + f"?quarter=FY27-Q3&week={WEEK}")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["quarter"] == Q4
    assert Q3 not in response.context["quarters"]
    assert 'data-testid="scope-note"' in html and "cannot show FY27-Q3" in html
    drill = client.get(reverse("forecasting:drill") + f"?quarter=FY27-Q3&week={WEEK}&metric=closed_won")
    assert drill.status_code == 400 and "cannot show FY27-Q3" in drill.content.decode()


def test_what_changed_is_not_computed_against_a_snapshot_that_cannot_answer_the_quarter(leadership):
    won("October win", dt.date(2026, 10, 20), D("52000.00"))
    snapshot_take(week=PREV)
    snapshot_take(week=WEEK)
    ForecastSnapshot.objects.filter(week=PREV).update(closed_from=Q4.start, closed_to=Q4.end)
    response = client_for(leadership).get(reverse("forecasting:dashboard") + f"?quarter=FY27-Q3&week={WEEK}")
    assert response.context["changes"] is None
    assert "cannot be compared for FY27-Q3" in response.content.decode()


# ------------------------------------------------------------------ history is immutable


def test_an_opportunity_a_snapshot_holds_cannot_be_deleted(db):
    opp = OpportunityFactory()
    snapshot_take(week=WEEK)
    with pytest.raises(ProtectedError):
        Opportunity.objects.filter(pk=opp.pk).delete()


def test_the_admin_refuses_to_delete_a_snapshotted_opportunity_with_a_clear_message(admin_person):
    opp = OpportunityFactory(name="Kept")
    snapshot_take(week=WEEK)
    client = client_for(admin_person)
    response = client.post(
        reverse("admin:engagements_opportunity_delete", args=[opp.pk]), {"post": "yes"}, follow=True
    )
    assert Opportunity.objects.filter(pk=opp.pk).exists()
    assert "cannot be deleted" in response.content.decode()
    assert "marked removed" in response.content.decode()


def test_re_taking_a_past_week_is_refused_without_replace(db):
    OpportunityFactory()
    first = snapshot_take(week=WEEK)
    OpportunityFactory()
    with pytest.raises(ValidationError, match="frozen"):
        snapshot_take(week=WEEK)
    with pytest.raises(CommandError, match="--replace"):
        call_command("take_forecast_snapshot", week=WEEK.isoformat())
    first.refresh_from_db()
    assert first.rows_count == 1 and first.replaced_at is None


def test_replacing_a_past_week_is_recorded_and_shown_on_that_weeks_dashboard(leadership, admin_person):
    OpportunityFactory()
    snapshot_take(week=WEEK)
    OpportunityFactory()
    call_command("take_forecast_snapshot", week=WEEK.isoformat(), replace=True)
    snapshot = ForecastSnapshot.objects.get(week=WEEK)
    assert snapshot.rows_count == 2 and snapshot.replaced_at is not None
    entry = AuditEntry.objects.filter(action="replaced the forecast snapshot").get()
    assert entry.actor is None
    snapshot_take(week=WEEK, actor=admin_person.user, replace=True)
    snapshot.refresh_from_db()
    assert snapshot.replaced_by == (admin_person.user.get_full_name() or admin_person.user.get_username())
    html = client_for(leadership).get(reverse("forecasting:dashboard") + f"?week={WEEK}").content.decode()
    assert 'data-testid="replaced-note"' in html and snapshot.replaced_by in html


def test_the_admin_asks_before_replacing_this_weeks_snapshot(
    admin_person, django_capture_on_commit_callbacks
):
    OpportunityFactory()
    client = client_for(admin_person)
    url = reverse("admin:forecasting_forecastsnapshot_take")
    with django_capture_on_commit_callbacks(execute=True):  # the worker's part, run here
        client.post(url)
    assert ForecastSnapshot.objects.get().replaced_at is None
    response = client.post(url)
    assert "Replace this week" in response.content.decode()
    assert ForecastSnapshot.objects.get().replaced_at is None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"confirm": "replace"})
    assert ForecastSnapshot.objects.get().replaced_at is not None


def test_a_rate_edited_after_a_week_does_not_change_that_week(db):
    rate = ExchangeRate.objects.create(currency="EUR", rate=D("1.10"), effective_date=dt.date(2026, 1, 1))
    OpportunityFactory(amount=D("1000.00"), currency="EUR", close_date=dt.date(2026, 12, 1))
    snapshot_take(week=WEEK)
    rate.rate = D("2")
    rate.save()
    ExchangeRate.objects.create(currency="EUR", rate=D("3"), effective_date=dt.date(2026, 1, 2))
    board = figures.dashboard(Q4, figures.source_for(WEEK))
    assert board.overall["pipeline"].amount == D("1100.00")


def test_a_renamed_em_keeps_their_name_in_past_weeks(em):
    OpportunityFactory(engagement_manager=em, close_date=dt.date(2026, 12, 1))
    old_name = em.name
    snapshot_take(week=WEEK)
    em.name = "Someone Else"
    em.save()
    board = figures.dashboard(Q4, figures.source_for(WEEK))
    assert [b.name for b in board.by_em] == [old_name]
