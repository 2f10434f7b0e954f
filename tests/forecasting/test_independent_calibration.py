"""An independent check of EM calibration on a seeded, generated history: four past quarters of
weekly snapshots (calls that came true and did not, close dates moved out of the quarter, calls
changing week to week), compared for every week number 1–13 with the page's CSV; and the capacity
weights taken from it once a colour has CAPACITY_MIN_CALLS calls. Expected figures are computed
here from the rows the test wrote, never by calling the forecasting code."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from forecasting.models import ForecastSnapshot, ForecastSnapshotRow
from tests.conftest import client_for
from tests.engagements.factories import OpportunityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
D = Decimal
CALLS = ["Green", "Amber", "Red"]


def pct(called: int, won: int) -> str:
    """Won as a percent of called, one decimal, half-up (as on the page)."""
    if not called:
        return ""
    return str((D(won) / D(called) * 100).quantize(D("0.1"), rounding=ROUND_HALF_UP))


def test_calibration_and_its_weights_match_an_independent_computation(make_person, leadership, settings):
    rng = random.Random(606)
    current = FiscalQuarter.current()
    past = [current.shift(-n) for n in range(1, 5)]
    ems = [make_person(Role.ENGAGEMENT_MANAGER, username=f"cal.em{n}", name=f"Cal EM {n}") for n in range(3)]
    history: dict[dt.date, list[dict[str, Any]]] = {}  # snapshot week -> the rows the test stored
    outcome: dict[int, tuple[bool, dt.date]] = {}  # opportunity -> (won, final close date)
    for quarter in past:
        opps = []
        for _ in range(30):
            close = quarter.start + dt.timedelta(days=rng.randrange((quarter.end - quarter.start).days + 1))
            final = close if rng.random() < 0.8 else quarter.end + dt.timedelta(days=rng.randrange(1, 60))
            won = rng.random() < 0.55
            em = rng.choice([*ems, None])
            opp = OpportunityFactory(
                engagement_manager=em, close_date=final, is_closed=won or rng.random() < 0.5, is_won=won
            )
            outcome[opp.pk] = (won, final)
            opps.append((opp, em, close, rng.choice(["Green", "Amber", "Red", "Grey"])))
        monday = quarter.start - dt.timedelta(days=quarter.start.weekday())
        while monday <= quarter.end + dt.timedelta(days=7):
            if rng.random() < 0.9:  # a few weeks have no snapshot
                snapshot, _ = ForecastSnapshot.objects.get_or_create(
                    week=monday, defaults={"taken_at": timezone.now()}
                )
                stored = []
                for opp, em, close, colour in opps:
                    colour = colour if rng.random() < 0.8 else rng.choice(["Green", "Amber", "Red", "Grey"])
                    closed = rng.random() < 0.05
                    stored.append({"opp": opp.pk, "em": em, "close": close, "conf": colour, "closed": closed})
                    ForecastSnapshotRow.objects.create(
                        snapshot=snapshot,
                        opportunity=opp,
                        name=opp.name,
                        account_name="A",
                        amount=D("1"),
                        currency="USD",
                        close_date=close,
                        stage="x",
                        is_closed=closed,
                        is_won=False,
                        confidence=colour,
                        engagement_manager=em,
                        engagement_manager_name=em.name if em else "",
                    )
                history.setdefault(monday, []).extend(stored)
            monday += dt.timedelta(days=7)
    client = client_for(leadership)
    totals_at_7 = {}
    for n in range(1, 14):
        expected: dict[str, dict[str, list[int]]] = {}
        for quarter in past:
            start = quarter.start + dt.timedelta(weeks=n - 1)
            weeks = [w for w in history if start <= w <= quarter.end]
            if not weeks:
                continue
            for row in history[min(weeks)]:
                if (
                    row["closed"]
                    or row["conf"] not in CALLS
                    or not quarter.start <= row["close"] <= quarter.end
                ):
                    continue
                won, final = outcome[row["opp"]]
                hit = won and quarter.start <= final <= quarter.end
                for name in ("All EMs", row["em"].name if row["em"] else "Unassigned"):
                    counts = expected.setdefault(name, {c: [0, 0] for c in CALLS})
                    counts[row["conf"]][0] += 1
                    counts[row["conf"]][1] += hit
        body = client.get(
            reverse("forecasting:calibration") + f"?week_number={n}&format=csv"
        ).content.decode()
        got = {line[0]: line[1:] for line in list(csv.reader(io.StringIO(body)))[1:]}
        want = {
            name: [v for c in CALLS for v in (str(counts[c][0]), str(counts[c][1]), pct(*counts[c]))]
            for name, counts in expected.items()
        }
        if "All EMs" not in want:
            want["All EMs"] = ["0", "0", ""] * 3
        assert got == want, n
        if n == 7:
            totals_at_7 = expected["All EMs"]
    # Green crosses the minimum, Red does not: Green's weight is observed, Red's the default.
    green_calls, red_calls = totals_at_7["Green"][0], totals_at_7["Red"][0]
    assert red_calls < green_calls
    settings.CAPACITY_MIN_CALLS = red_calls + 1 if red_calls + 1 <= green_calls else green_calls
    page = client_for(make_person(Role.PS_OPERATIONS, username="cal.ops")).get(
        reverse("forecasting:capacity")
    )
    html = page.content.decode()
    observed = (D(totals_at_7["Green"][1]) / D(green_calls)).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert f'data-testid="weight-Green">Green {observed}<' in html
    default_red = D(str(settings.CAPACITY_CONFIDENCE_WEIGHTS["Red"])).quantize(D("0.01"))
    assert f'data-testid="weight-Red">Red {default_red}<' in html
