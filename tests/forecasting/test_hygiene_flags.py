"""Each deal-hygiene flag on hand-built deals, checked against what the rule says of each by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from engagements.models import Opportunity
from forecasting import hygiene, pushes
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow
from forecasting.services import snapshot_take, week_of
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _opp(**kw) -> Opportunity:
    kw.setdefault("em_reviewed_at", timezone.now())
    kw.setdefault("close_date", TODAY + dt.timedelta(days=20))
    return OpportunityFactory(**kw)


def _snapshot_history(opportunity: Opportunity, closes: list[dt.date], start: dt.date) -> None:
    """One snapshot row a week for `opportunity`, its close date as listed."""
    for n, close in enumerate(closes):
        week = start + dt.timedelta(weeks=n)
        snapshot, _ = ForecastSnapshot.objects.get_or_create(week=week, defaults={"taken_at": timezone.now()})
        ForecastSnapshotRow.objects.create(
            snapshot=snapshot,
            opportunity=opportunity,
            name=opportunity.name,
            account_name="x",
            amount=opportunity.amount or 0,
            currency="USD",
            close_date=close,
            stage="Discovery",
            is_closed=False,
            is_won=False,
            confidence="Green",
        )


def test_past_due_is_open_with_a_close_date_gone(settings):
    late = _opp(close_date=TODAY - dt.timedelta(days=1))
    _opp(close_date=TODAY)  # today is not past
    _opp(close_date=TODAY - dt.timedelta(days=5), is_closed=True, is_won=True)  # closed: not flagged
    flagged = list(hygiene.filter_flag(hygiene.hygiene_queryset(), hygiene.PAST_DUE))
    assert flagged == [late]


def test_stale_is_never_reviewed_or_reviewed_before_the_cutoff(settings):
    settings.STALE_AFTER_DAYS = 7
    never = _opp(em_reviewed_at=None)
    old = _opp(em_reviewed_at=timezone.now() - dt.timedelta(days=8))
    _opp(em_reviewed_at=timezone.now() - dt.timedelta(days=6))
    _opp(em_reviewed_at=None, is_closed=True)  # closed: not flagged
    flagged = set(hygiene.filter_flag(hygiene.hygiene_queryset(), hygiene.STALE))
    assert flagged == {never, old}


@pytest.mark.parametrize(
    ("category", "colour", "disagrees"),
    [
        ("Commit", "Red", True),
        ("Commit", "Grey", True),
        ("Commit", "Green", False),
        ("Commit", "Amber", False),
        ("Omitted", "Green", True),
        ("Omitted", "Amber", True),
        ("Omitted", "Red", False),
        ("Omitted", "Grey", False),
        ("Best Case", "Red", False),
        ("Pipeline", "Green", False),
        ("", "Green", False),
        ("commit", "Red", True),  # an org's own spelling of the same category
    ],
)
def test_category_disagreement_rule(category, colour, disagrees):
    opp = _opp(forecast_category=category, em_confidence=colour, em_confidence_rationale="x")
    in_query = hygiene.filter_flag(hygiene.hygiene_queryset(), hygiene.CATEGORY).filter(pk=opp.pk).exists()
    assert in_query is disagrees
    assert hygiene.category_disagrees(category, colour) is disagrees


def test_a_closed_deal_never_disagrees():
    _opp(forecast_category="Commit", em_confidence="Red", is_closed=True)
    assert not hygiene.filter_flag(hygiene.hygiene_queryset(), hygiene.CATEGORY).exists()


def test_pushes_count_weeks_whose_close_date_moved_into_a_later_quarter(settings):
    settings.FISCAL_YEAR_START_MONTH = 2  # quarters: Feb-Apr, May-Jul, Aug-Oct, Nov-Jan
    start = dt.date(2026, 3, 2)
    slipper = _opp(name="Slipper")
    # Q1 → Q1 (moved within the quarter) → Q2 (push 1) → Q1 (pulled back) → Q2 (push 2) → Q3 (push 3)
    _snapshot_history(
        slipper,
        [
            dt.date(2026, 3, 20),
            dt.date(2026, 4, 25),
            dt.date(2026, 5, 3),
            dt.date(2026, 4, 1),
            dt.date(2026, 6, 1),
            dt.date(2026, 8, 15),
        ],
        start,
    )
    steady = _opp(name="Steady")
    _snapshot_history(steady, [dt.date(2026, 4, 30)] * 4, start)
    # Across the fiscal-year end (January → February is a later quarter) and a week it was missing.
    year_end = _opp(name="Year end")
    _snapshot_history(year_end, [dt.date(2027, 1, 20)], start)
    _snapshot_history(year_end, [dt.date(2027, 2, 2)], start + dt.timedelta(weeks=3))
    never = _opp(name="No history")
    pushes.mark_all()  # rows written by hand: marked as taking each snapshot marks them

    counts = {row.name: row.hygiene_pushes for row in hygiene.hygiene_queryset()}  # type: ignore[attr-defined]  # an annotation
    assert counts == {"Slipper": 3, "Steady": 0, "Year end": 1, "No history": 0}
    flagged = set(hygiene.filter_flag(hygiene.hygiene_queryset(), hygiene.PUSHED))
    assert flagged == {slipper, year_end}
    assert never not in flagged


def test_counts_match_the_flagged_sets_and_any(settings):
    settings.STALE_AFTER_DAYS = 7
    _opp(close_date=TODAY - dt.timedelta(days=3), em_reviewed_at=None)  # past due + stale
    _opp(forecast_category="Commit", em_confidence="Red", em_confidence_rationale="x")  # category
    _opp()  # clean
    counts = hygiene.flag_counts_for(Opportunity.objects.filter(hygiene.open_live()))
    assert counts == {"past_due": 1, "pushed": 0, "stale": 1, "category": 1, "any": 2}


def test_counts_are_one_query(django_assert_num_queries):
    for n in range(5):
        _opp(close_date=TODAY - dt.timedelta(days=n + 1))
    with django_assert_num_queries(1):
        hygiene.flag_counts_for(Opportunity.objects.filter(hygiene.open_live()))


def test_category_matrix_marks_the_disagreeing_cells():
    _opp(forecast_category="Commit", em_confidence="Red", em_confidence_rationale="x")
    _opp(forecast_category="commit", em_confidence="Red", em_confidence_rationale="x")
    _opp(forecast_category="Omitted", em_confidence="Green", em_confidence_rationale="x")
    _opp(forecast_category="Pipeline", em_confidence="Grey")
    matrix = {
        row.category: {c.colour: (c.count, c.disagrees) for c in row.cells}
        for row in hygiene.category_matrix(Opportunity.objects.filter(hygiene.open_live()))
    }
    assert matrix["Commit"]["Red"] == (2, True)
    assert matrix["Commit"]["Green"] == (0, False)
    assert matrix["Omitted"]["Green"] == (1, True)
    assert matrix["Pipeline"]["Grey"] == (1, False)
    assert list(matrix) == ["Omitted", "Pipeline", "Commit"]


def test_the_pipeline_slot_offers_the_same_flags_annotated_filtered_and_counted(settings):
    from core import list_flags

    settings.STALE_AFTER_DAYS = 7
    late = _opp(close_date=TODAY - dt.timedelta(days=3))
    disagree = _opp(forecast_category="Omitted", em_confidence="Green", em_confidence_rationale="x")
    _opp()
    assert [key for key, _ in list_flags.choices("pipeline")] == list(hygiene.FLAGS)
    qs = list_flags.annotate("pipeline", Opportunity.objects.all())
    assert list(list_flags.filter("pipeline", qs, "past_due")) == [late]
    assert list(list_flags.filter("pipeline", qs, "category")) == [disagree]
    by_pk = {row.pk: [f.key for f in list_flags.flags_of("pipeline", row)] for row in qs}
    assert by_pk[late.pk] == ["past_due"] and by_pk[disagree.pk] == ["category"]
    assert list_flags.counts("pipeline", Opportunity.objects.all()) == {
        "past_due": 1,
        "pushed": 0,
        "stale": 0,
        "category": 1,
    }


def _pushes_of(opportunity: Opportunity) -> int:
    row = hygiene.hygiene_queryset().get(pk=opportunity.pk)
    return int(row.hygiene_pushes)  # type: ignore[attr-defined]  # an annotation


def test_taking_replacing_and_deleting_snapshots_keep_the_push_count_right(admin_person):
    this_week = week_of()
    weeks = [this_week - dt.timedelta(weeks=n) for n in (3, 2, 1)]
    quarter = FiscalQuarter.for_date(this_week)
    later = quarter.next().start + dt.timedelta(days=5)
    opp = _opp(close_date=quarter.end)
    snapshot_take(week=weeks[0])
    Opportunity.objects.filter(pk=opp.pk).update(close_date=later)
    snapshot_take(week=weeks[1])  # into the next quarter: push 1
    snapshot_take(week=weeks[2])  # unchanged: no push
    assert _pushes_of(opp) == 1
    # The first week taken again with the later date: the push is now in no week (week 2 = week 1).
    snapshot_take(week=weeks[0], replace=True)
    assert _pushes_of(opp) == 0
    assert set(ForecastSnapshotRow.objects.filter(opportunity=opp, close_pushed=True)) == set()
    # Back to the quarter's end in week 2, on to the later date in week 3: one push, in week 3.
    Opportunity.objects.filter(pk=opp.pk).update(close_date=quarter.end)
    snapshot_take(week=weeks[1], replace=True)
    assert _pushes_of(opp) == 1
    pushed = ForecastSnapshotRow.objects.get(opportunity=opp, close_pushed=True)
    assert pushed.snapshot.week == weeks[2]
    # Week 2 deleted in the admin: week 3 is compared with week 1 (both the later date): no push.
    deleted = ForecastSnapshot.objects.get(week=weeks[1])
    response = client_for(admin_person).post(
        reverse("admin:forecasting_forecastsnapshot_delete", args=[deleted.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not ForecastSnapshot.objects.filter(pk=deleted.pk).exists()
    assert _pushes_of(opp) == 0
    assert hygiene.flag_counts_for(Opportunity.objects.filter(pk=opp.pk))["pushed"] == 0
