"""Roll-up arithmetic on a hand-built hierarchy, with adjustments at every level; last week's deltas;
a past week's calls unchanged after later revisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from calls import selectors, services
from calls.models import ForecastCall, ForecastCallRevision, Level
from core.fiscal import FiscalQuarter
from forecasting.models import BookingsPlan

pytestmark = pytest.mark.django_db
D = Decimal


def submit(person: Any, commit: str, best: str, note: str = "", **kwargs: Any) -> ForecastCall:
    return services.call_submit(
        actor=person.user,
        person=person,
        quarter=FiscalQuarter.current(),
        commit=commit,
        best_case=best,
        note=note,
        **kwargs,
    )


def test_levels_come_from_the_manager_chain(org):
    tree = selectors.hierarchy()
    levels = {pk: m.level for pk, m in tree.members.items()}
    assert levels[org["director"].pk] == Level.ORGANISATION
    assert levels[org["m1"].pk] == levels[org["m2"].pk] == Level.MANAGER
    assert {levels[org[k].pk] for k in ("e1", "e2", "e3")} == {Level.EM}
    assert [pk for pk, _ in tree.order()] == [
        org[k].pk
        for k in ("director", "m2", "e3", "m1", "e1", "e2")  # names in order: Max before Mia
    ]


def test_system_numbers_are_closed_won_plus_green_and_plus_amber(org):
    systems = selectors.system_numbers(FiscalQuarter.current())
    assert systems[org["e1"].pk] == (D("150.00"), D("180.00"))  # 100 + 50; 100 + 50 + 30
    assert systems[org["e2"].pk] == (D("200.00"), D("200.00"))
    assert systems[org["e3"].pk] == (D("40.00"), D("100.00"))  # 40; 40 + 60


def test_rollup_with_adjustments_at_every_level(org, settings):
    # Calls made now are on time whatever the weekday the test runs on: the deadline is the week's end.
    settings.FORECAST_CALL_DEADLINE_DAY = 6
    settings.FORECAST_CALL_DEADLINE_TIME = "23:59"
    quarter = FiscalQuarter.current()
    BookingsPlan.objects.create(quarter=quarter.label, engagement_manager=org["e1"], amount=D("200"))
    BookingsPlan.objects.create(quarter=quarter.label, engagement_manager=org["e2"], amount=D("300"))
    BookingsPlan.objects.create(quarter=quarter.label, amount=D("1000"))
    submit(org["e1"], "160", "190", "Acme PO slipping to next week, keeping it in")  # +10 / +10
    submit(org["e2"], "200", "200")  # as the system says: no note needed
    # e3 does not submit: the roll-up counts their system numbers 40 / 100 in its place.
    submit(org["m1"], "380", "420", "Eric's renewal is bigger")  # team sum 360 / 390
    # m2 does not submit: counted as the sum below them, 40 / 100.
    submit(org["director"], "400", "520", "Hold back on Mia's upside")  # below: 380+40, 420+100
    r = selectors.rollup(quarter, selectors.current_week())
    by = {line.pk: line for line in r.lines}
    e1, e2, e3, m1, m2, top = (by[org[k].pk] for k in ("e1", "e2", "e3", "m1", "m2", "director"))
    assert (e1.system_commit, e1.adjustment_commit, e1.adjustment_best_case) == (D("150"), D("10"), D("10"))
    assert (e2.adjustment_commit, e2.status) == (D("0"), "submitted")
    assert (e3.call, e3.status, e3.effective_commit, e3.effective_best_case) == (
        None,
        "not submitted",
        D("40"),
        D("100"),
    )
    assert (m1.below_commit, m1.below_best_case) == (D("360"), D("390"))
    assert (m1.adjustment_commit, m1.adjustment_best_case) == (D("20"), D("30"))
    assert m1.system_commit == D("350")  # 150 + 200
    assert (m2.effective_commit, m2.adjustment_commit) == (D("40"), None)
    assert (top.below_commit, top.below_best_case) == (D("420"), D("520"))
    assert (top.adjustment_commit, top.adjustment_best_case) == (D("-20"), D("0"))
    assert top.system_commit == D("390")  # 150 + 200 + 40
    # plans: EM's own; manager = sum of their EMs'; the organisation = the overall plan
    assert (e1.plan, e3.plan, m1.plan, m2.plan, top.plan) == (D("200"), None, D("500"), None, D("1000"))
    assert e1.attainment_percent == D("80")  # 160 / 200
    assert m1.attainment_percent == D("76")  # 380 / 500
    assert top.attainment_percent == D("40")  # 400 / 1000
    stored = ForecastCall.objects.get(person=org["m1"])
    assert (stored.level, stored.default_commit, stored.system_commit) == (Level.MANAGER, D("360"), D("350"))


def test_a_manager_differing_from_the_team_sum_needs_a_note(org):
    submit(org["e1"], "150", "180")
    with pytest.raises(ValidationError) as error:
        submit(org["m1"], "999", "999")
    assert error.value.error_dict["note"][0].code == "note_required"
    # e1 150/180 + e2 (not submitted: system) 200/200
    call = submit(org["m1"], "350", "380")
    assert call.note == "" and call.default_commit == D("350")


def _last_week_call(person: Any, commit: str, best: str) -> ForecastCall:
    last_week_moment = timezone.now() - dt.timedelta(days=7)
    return services.call_submit(
        actor=person.user,
        person=person,
        quarter=FiscalQuarter.for_date(timezone.localdate(last_week_moment)),
        commit=commit,
        best_case=best,
        note="last week",
        now=last_week_moment,
    )


def test_change_since_last_week(org):
    if FiscalQuarter.for_date(timezone.localdate() - dt.timedelta(days=7)) != FiscalQuarter.current():
        pytest.skip("last week was in another quarter")
    _last_week_call(org["e1"], "120", "170")
    _last_week_call(org["m1"], "300", "330")
    submit(org["e1"], "160", "190", "up")
    submit(org["e2"], "200", "200")
    submit(org["m1"], "380", "420", "up")
    r = selectors.rollup(FiscalQuarter.current(), selectors.current_week())
    by = {line.pk: line for line in r.lines}
    assert (by[org["e1"].pk].change_commit, by[org["e1"].pk].change_best_case) == (D("40"), D("20"))
    assert (by[org["m1"].pk].change_commit, by[org["m1"].pk].change_best_case) == (D("80"), D("90"))
    assert by[org["e2"].pk].change_commit is None  # no call last week
    # Read as of last week, the calls are last week's, with no change (nothing the week before).
    past = selectors.rollup(FiscalQuarter.current(), r.last_week)
    past_call = past.line(org["e1"].pk).call
    assert past_call is not None and past_call.commit == D("120")
    assert past.line(org["e1"].pk).change_commit is None


def test_a_past_week_stays_as_submitted_after_later_revisions(org):
    past = _last_week_call(org["e1"], "120", "170")
    past_revisions = list(ForecastCallRevision.objects.filter(call=past).values())
    first = submit(org["e1"], "160", "190", "first this week")
    submit(org["e1"], "170", "190", "second this week", expected_version=first.version)
    past.refresh_from_db()
    assert (past.commit, past.best_case, past.note, past.version) == (D("120"), D("170"), "last week", 1)
    assert list(ForecastCallRevision.objects.filter(call=past).values()) == past_revisions
    now_call = ForecastCall.objects.get(person=org["e1"], week=selectors.current_week())
    assert [r.commit for r in now_call.revisions.order_by("number")] == [D("160"), D("170")]
    # Writing to the past week is refused.
    with pytest.raises(ValidationError) as error:
        submit(org["e1"], "999", "999", "rewrite history", week=past.week, expected_version=1)
    assert error.value.code == "frozen"
    past.refresh_from_db()
    assert past.commit == D("120")


def test_not_submitted_and_call_as_of(org):
    quarter, week = FiscalQuarter.current(), selectors.current_week()
    submit(org["e1"], "150", "180")
    missing = selectors.not_submitted(quarter, week)
    assert missing == [org[k].pk for k in ("director", "m2", "e3", "m1", "e2")]
    found = selectors.call_as_of(org["e1"].pk, quarter, week)
    assert found is not None and found.commit == D("150")
    assert selectors.call_as_of(org["e2"].pk, quarter, week) is None
    assert selectors.commit_calls(quarter) == {(org["e1"].pk, week): D("150")}
