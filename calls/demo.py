"""Demo forecast calls for `seed_demo`: a weekly call by every EM, manager and the organisation for
each of the last four closed quarters and the weeks of this quarter before this one.

Each EM's Commit call starts off their quarter's actual Closed won by a bias of their own (some
sandbag, some over-call) and closes in on it week by week; managers call their team's sum with a
small adjustment of their own, and so does the organisation. A quarter without any Closed won for
an EM is called around their plan or a fixed sum instead. This week is left for the demo logins to
call. Idempotent: calls that exist are kept.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from calls import selectors
from calls.models import ForecastCall, ForecastCallRevision
from core.fiscal import FiscalQuarter
from forecasting import figures

QUARTERS_BACK = 4
THOUSAND = Decimal("1000")
FALLBACK = Decimal("250000")
NOTES = [
    "Acme PO slipping to next week, keeping it in.",
    "Two renewals confirmed by the customer; pulling them into Commit.",
    "Holding back: procurement at Globex has not signed the SOW yet.",
    "Upside from the health-check SKU if legal turns the paper around.",
    "",
    "",
]


def _round(value: Decimal) -> Decimal:
    return max(Decimal("0"), (value / THOUSAND).quantize(Decimal("1")) * THOUSAND)


def _weeks(quarter: FiscalQuarter, before: dt.date) -> list[dt.date]:
    first = quarter.start - dt.timedelta(days=quarter.start.weekday())
    weeks = []
    week = first
    while week <= quarter.end and week < before:
        weeks.append(week)
        week += dt.timedelta(weeks=1)
    return weeks


def seed() -> int:
    """Create the missing demo calls; returns how many were created."""
    tree = selectors.hierarchy()
    if not tree.members:
        return 0
    this_week = selectors.current_week()
    current = FiscalQuarter.current()
    quarters = [current.shift(-n) for n in range(QUARTERS_BACK, 0, -1)] + [current]
    book = figures.RateBook.load()
    existing = set(ForecastCall.objects.values_list("person_id", "quarter", "week"))
    created = 0
    for quarter in quarters:
        board = figures.dashboard(quarter, figures.Source(None, timezone.now()), book)
        by_em = {b.key: b for b in board.by_em if b.key is not None}
        weeks = _weeks(quarter, this_week)
        if not weeks:
            continue
        whole = len(
            _weeks(quarter, quarter.end + dt.timedelta(days=7))
        )  # this quarter's calls are not all in yet
        calls: list[ForecastCall] = []
        for index, week in enumerate(weeks):
            progress = Decimal(index) / Decimal(max(1, whole - 1))  # 0 at the first week, 1 at the last
            effective: dict[int, tuple[Decimal, Decimal]] = {}
            for pk, _depth in reversed(tree.order()):  # reports before their managers
                member = tree.members[pk]
                rng = random.Random(f"{pk}-{quarter.label}-{week.isoformat()}")
                bias = Decimal(str(random.Random(f"bias-{pk}").uniform(-0.3, 0.2)))
                if not member.reports:
                    breakdown = by_em.get(pk)
                    if quarter == current:
                        target = breakdown.figures["forecast"].amount if breakdown else Decimal("0")
                    else:
                        target = breakdown.figures["closed_won"].amount if breakdown else Decimal("0")
                    if not target:
                        plan = breakdown.figures.plan if breakdown else None
                        target = plan or FALLBACK * Decimal(str(0.5 + random.Random(f"size-{pk}").random()))
                    noise = Decimal(str(rng.uniform(-0.08, 0.08)))
                    commit = _round(target * (1 + (bias + noise) * (1 - progress)))
                    system = _round(target * (Decimal("0.55") + Decimal("0.45") * progress))
                    system_best = _round(system * Decimal("1.25"))
                    default = (system, system_best)
                else:
                    below = [effective[child] for child in member.reports]
                    default = (
                        sum((b[0] for b in below), Decimal("0")),
                        sum((b[1] for b in below), Decimal("0")),
                    )
                    system = default[0]
                    system_best = default[1]
                    commit = _round(
                        default[0] * (1 + Decimal(str(rng.uniform(-0.05, 0.03))) * (1 - progress))
                    )
                best = max(commit, _round(commit * Decimal(str(1.12 + 0.15 * rng.random()))))
                effective[pk] = (commit, best)
                if (pk, quarter.label, week) in existing:
                    continue
                deadline = selectors.deadline_for(week)
                late = rng.random() < 0.08
                submitted = (
                    deadline + dt.timedelta(hours=rng.randint(1, 20))
                    if late
                    else deadline - dt.timedelta(hours=rng.randint(1, 40))
                )
                differs = (commit, best) != default
                calls.append(
                    ForecastCall(
                        person_id=pk,
                        level=member.level,
                        quarter=quarter.label,
                        week=week,
                        commit=commit,
                        best_case=best,
                        currency=board.corporate_currency,
                        system_commit=system,
                        system_best_case=system_best,
                        default_commit=default[0],
                        default_best_case=default[1],
                        note=(rng.choice([n for n in NOTES if n]) if differs else ""),
                        submitted_at=submitted,
                        first_submitted_at=submitted,
                        submitted_by_id=member.user_id,
                        late=late,
                        version=1,
                    )
                )
        ForecastCall.objects.bulk_create(calls, batch_size=1000)
        ForecastCallRevision.objects.bulk_create(
            [
                ForecastCallRevision(
                    call=call,
                    number=1,
                    commit=call.commit,
                    best_case=call.best_case,
                    currency=call.currency,
                    system_commit=call.system_commit,
                    system_best_case=call.system_best_case,
                    default_commit=call.default_commit,
                    default_best_case=call.default_best_case,
                    note=call.note,
                    submitted_at=call.submitted_at,
                    submitted_by_id=call.submitted_by_id,
                    late=call.late,
                )
                for call in calls
            ],
            batch_size=1000,
        )
        created += len(calls)
    return created
