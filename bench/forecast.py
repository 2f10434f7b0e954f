"""The forecast dashboard over N opportunities (BENCH_OPPORTUNITIES, default 20,000) and 26 weekly
snapshots with week-over-week churn, against a floor that computes the same figures, the trend and
the change classification in plain SQL in the same process; and the weekly snapshot against an
INSERT … SELECT writing the same rows. BENCH_LARGE_OPPORTUNITIES (e.g. 100000) adds a second, larger
data set in the same run and prints the time per extra opportunity."""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from decimal import Decimal
from typing import Any

GOAL_DASHBOARD = 2.0
GOAL_DASHBOARD_LARGE = 2.5
GOAL_SNAPSHOT = 1.5
GOAL_QUERIES = 12
WEEKS = 26
TODAY_PER_OPPORTUNITY_US = 44.0  # the dashboard's cost per in-quarter opportunity before this work


def _build(n: int, tag: str) -> tuple[Any, dt.date]:
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from core.fiscal import FiscalQuarter
    from core.roles import Role
    from engagements.models import Account, Opportunity
    from forecasting.models import ExchangeRate
    from forecasting.services import snapshot_take, week_of
    from people.models import Person, Region
    from people.services import person_sync_login_groups

    rng = random.Random(11)
    regions = [
        Region.objects.get_or_create(code=c, defaults={"name": c})[0]
        for c in ("AMER", "EMEA", "APAC", "PubSec")
    ]
    ems = [
        Person.objects.create(
            name=f"EM {tag}{i}",
            email=f"em{tag}{i}@bench.example",
            role=Role.ENGAGEMENT_MANAGER,
            region=regions[i % 4],
        )
        for i in range(40)
    ]
    user = get_user_model().objects.create_user(f"bench.lead{tag}", password="bench-password-1")
    lead = Person.objects.create(
        user=user, name=f"Bench Leader {tag}", email=f"lead{tag}@bench.example", role=Role.LEADERSHIP
    )
    person_sync_login_groups(person=lead)
    ExchangeRate.objects.get_or_create(
        currency="EUR", effective_date=dt.date(2020, 1, 1), defaults={"rate": Decimal("1.08")}
    )
    accounts = Account.objects.bulk_create(
        [Account(name=f"Account {tag}{i}", region=regions[i % 4]) for i in range(500)]
    )
    quarter = FiscalQuarter.current()
    start = quarter.shift(-2).start
    span = (quarter.next().end - start).days
    created = Opportunity.objects.bulk_create(
        [
            Opportunity(
                name=f"Opportunity {tag}{i}",
                account=accounts[i % 500],
                region=regions[i % 4],
                engagement_manager=ems[i % 40],
                stage="Discovery",
                close_date=start + dt.timedelta(days=rng.randrange(span)),
                amount=Decimal(rng.randrange(500_000, 50_000_000)) / 100,
                currency=rng.choice(["USD", "USD", "EUR"]),
                em_confidence=rng.choice(["Green", "Amber", "Red", "Grey"]),
                is_closed=(closed := rng.random() < 0.2),
                is_won=closed and rng.random() < 0.6,
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    pks = [o.pk for o in created]
    this_week = week_of()
    started = time.perf_counter()
    for weeks_ago in range(WEEKS - 1, -1, -1):
        # Week-over-week churn: about 3 % of the deals change each week.
        churn = rng.sample(pks, max(4, n * 3 // 100))
        quarter_of = len(churn) // 4
        Opportunity.objects.filter(pk__in=churn[:quarter_of]).update(amount=F("amount") + Decimal("1250.50"))
        Opportunity.objects.filter(pk__in=churn[quarter_of : 2 * quarter_of]).update(
            em_confidence=rng.choice(["Green", "Amber", "Red"])
        )
        Opportunity.objects.filter(pk__in=churn[2 * quarter_of : 3 * quarter_of]).update(
            close_date=F("close_date") + dt.timedelta(days=30)
        )
        Opportunity.objects.filter(pk__in=churn[3 * quarter_of :], is_closed=False).update(
            is_closed=True, is_won=True
        )
        snapshot_take(week=this_week - dt.timedelta(weeks=weeks_ago))
    from bench.setup import analyze

    analyze()
    print(
        f"  built {n:,} opportunities and {WEEKS} snapshots with weekly churn "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return user, this_week


def _floor_statements(this_week: dt.date) -> list[tuple[str, list[Any]]]:
    """The dashboard's work in plain SQL: its figures by region, EM, close week and in total; the
    trend over the quarter's snapshots; the week-over-week classification with the ten largest items
    per kind."""
    from django.db import connection

    from core.fiscal import FiscalQuarter
    from forecasting.models import ForecastSnapshot

    quarter = FiscalQuarter.current()
    current = ForecastSnapshot.objects.get(week=this_week)
    previous = ForecastSnapshot.objects.get(week=this_week - dt.timedelta(weeks=1))
    trend_ids = list(
        ForecastSnapshot.objects.filter(
            week__gte=quarter.start - dt.timedelta(days=6), week__lte=quarter.end
        ).values_list("pk", flat=True)
    )
    q = [quarter.start, quarter.end]
    rates = "(VALUES ('USD', CAST(1 AS numeric)), ('EUR', CAST(1.08 AS numeric))) AS x (currency, rate)"
    conv = "ROUND(r.amount * x.rate, 2)"
    metrics = ", ".join(
        f"SUM({conv}) FILTER (WHERE {cond}), COUNT(*) FILTER (WHERE {cond})"
        for cond in [
            "r.is_won",
            "NOT r.is_closed AND r.confidence = 'Green'",
            "NOT r.is_closed AND r.confidence IN ('Green', 'Amber')",
            "NOT r.is_closed",
            "NOT r.is_closed AND r.confidence = 'Red'",
            "NOT r.is_closed AND r.confidence = 'Grey'",
            "NOT r.is_closed AND r.close_date < CURRENT_DATE",
            "NOT r.is_closed AND (r.em_reviewed_at IS NULL OR r.em_reviewed_at < NOW() - INTERVAL '14 days')",
        ]
    )
    week_expr = (
        "CAST(date_trunc('week', r.close_date) AS date)"
        if connection.vendor == "postgresql"
        else "date(r.close_date, 'weekday 1', '-7 days')"
    )
    if connection.vendor == "postgresql":
        figures_sql = f"""
            SELECT r.region_id, r.engagement_manager_id, {week_expr}, r.currency, {metrics}
            FROM forecasting_forecastsnapshotrow r LEFT JOIN {rates} ON x.currency = r.currency
            WHERE r.snapshot_id = %s AND r.close_date BETWEEN %s AND %s
            GROUP BY GROUPING SETS ((r.region_id, r.currency), (r.engagement_manager_id, r.currency),
                                    (r.currency), ({week_expr}))
        """
    else:
        figures_sql = """
            SELECT r.region_id, r.engagement_manager_id, r.currency, COUNT(*), SUM(r.amount)
            FROM forecasting_forecastsnapshotrow r
            WHERE r.snapshot_id = %s AND r.close_date BETWEEN %s AND %s
            GROUP BY r.region_id, r.engagement_manager_id, r.currency
        """
    marks = ", ".join(["%s"] * len(trend_ids))
    trend_sql = f"""
        SELECT r.snapshot_id, r.currency,
               SUM(CASE WHEN r.is_won THEN r.amount ELSE 0 END),
               SUM(CASE WHEN NOT r.is_closed AND r.confidence = 'Green' THEN r.amount ELSE 0 END),
               SUM(CASE WHEN NOT r.is_closed AND r.confidence IN ('Green', 'Amber') THEN r.amount ELSE 0 END)
        FROM forecasting_forecastsnapshotrow r
        WHERE r.snapshot_id IN ({marks}) AND r.close_date BETWEEN %s AND %s
        GROUP BY r.snapshot_id, r.currency
    """
    changes_sql = """
        WITH c AS (SELECT * FROM forecasting_forecastsnapshotrow WHERE snapshot_id = %s),
             p AS (SELECT * FROM forecasting_forecastsnapshotrow WHERE snapshot_id = %s),
             j AS (
                SELECT COALESCE(c.opportunity_id, p.opportunity_id) AS opp,
                       COALESCE(c.amount, p.amount) AS amount,
                  CASE
                    WHEN p.id IS NULL THEN 'new'
                    WHEN c.id IS NULL THEN 'removed'
                    WHEN p.close_date NOT BETWEEN %s AND %s THEN 'pulled_in'
                    WHEN c.close_date NOT BETWEEN %s AND %s THEN 'pushed_out'
                    WHEN NOT p.is_closed AND c.is_won THEN 'won'
                    WHEN NOT p.is_closed AND c.is_closed THEN 'lost'
                    WHEN p.confidence <> c.confidence THEN 'confidence'
                    WHEN p.amount <> c.amount THEN 'amount'
                  END AS kind
                FROM c FULL JOIN p ON c.opportunity_id = p.opportunity_id
                WHERE c.close_date BETWEEN %s AND %s OR p.close_date BETWEEN %s AND %s
             ),
             ranked AS (
                SELECT kind, opp, amount, COUNT(*) OVER (PARTITION BY kind) AS n,
                       SUM(amount) OVER (PARTITION BY kind) AS total,
                       ROW_NUMBER() OVER (PARTITION BY kind ORDER BY amount DESC) AS position
                FROM j WHERE kind IS NOT NULL
             )
        SELECT kind, opp, amount, n, total FROM ranked WHERE position <= 10
    """
    return [
        (figures_sql, [current.pk, *q]),
        (trend_sql, [*trend_ids, *q]),
        (changes_sql, [current.pk, previous.pk, *q, *q, *q, *q]),
    ]


def _floor_ms(statements: list[tuple[str, list[Any]]], runs: int = 9) -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(runs + 1):
            started = time.perf_counter()
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])


def _dashboard_figures(user: Any, this_week: dt.date, n: int) -> float:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from bench.setup import measure, report
    from core.fiscal import FiscalQuarter

    client = Client()
    client.force_login(user)
    quarter = FiscalQuarter.current()
    past = f"/forecast/?quarter={quarter.label}&week={this_week.isoformat()}"

    def get(url: str, *, cold: bool) -> int:
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, response.status_code
        return len(ctx.captured_queries)

    floor = _floor_ms(_floor_statements(this_week))
    cold_ms, cold_queries = measure(lambda: get(past, cold=True), runs=7)
    warm_ms, warm_queries = measure(lambda: get(past, cold=False), runs=7)
    with override_settings(FORECAST_LIVE_CACHE_SECONDS=0):
        live_ms, live_queries = measure(lambda: get("/forecast/", cold=False), runs=7)
    with override_settings(FORECAST_LIVE_CACHE_SECONDS=30):
        shared_ms, shared_queries = measure(lambda: get("/forecast/", cold=False), runs=7)
    goal = GOAL_DASHBOARD if n <= 20_000 else GOAL_DASHBOARD_LARGE
    print(f"  forecast dashboard, {n:,} opportunities × {WEEKS} snapshots ({connection.vendor}):", flush=True)
    report(f"this week's snapshot, not cached ({cold_queries} queries)", cold_ms, floor, goal)
    report(f"the same week from the cache ({warm_queries} queries)", warm_ms, floor, goal)
    report(f"live, not shared ({live_queries} queries)", live_ms, floor, goal)
    report(f"live, shared for the data version ({shared_queries} queries)", shared_ms, floor, goal)
    # The page holds other sections too (SOW mismatches, deal hygiene, forecast calls, ...): the
    # forecast's own part, computed and rendered, is timed on its own as well.
    own_ms = _own_part_ms(user, quarter, this_week)
    report("this week's snapshot, not cached: the forecast's own figures and page", own_ms, floor, goal)
    print(f"  queries: {cold_queries} uncached, {live_queries} live (goal <= {GOAL_QUERIES}, constant)")
    return own_ms


def _own_part_ms(user: Any, quarter: Any, this_week: dt.date) -> float:
    """The forecast's figures, changes and trend (views._dashboard_data) and the page rendered with
    the other sections' context left empty, for this week's snapshot with the cache emptied."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from bench.setup import median_ms
    from forecasting import fragments, views

    def once() -> None:
        cache.clear()
        request = RequestFactory().get(
            "/forecast/", {"quarter": quarter.label, "week": this_week.isoformat()}
        )
        request.user = user
        request.session = {}  # type: ignore[assignment]
        request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        context = views._dashboard_data(request)  # type: ignore[arg-type]
        context["forecast_html"] = fragments.render_sections(context)
        render_to_string("forecasting/dashboard.html", context, request=request)

    return median_ms(once, runs=7)


def _snapshot_figures(n: int) -> None:
    from django.db import transaction

    from bench.setup import report
    from core.fiscal import FiscalQuarter
    from forecasting.models import ForecastSnapshot
    from forecasting.services import SNAPSHOT_QUARTERS_BACK, _snapshot_insert_rows, snapshot_take, week_of

    this_week = week_of()
    closed_from = FiscalQuarter.for_date(this_week).shift(-SNAPSHOT_QUARTERS_BACK).start
    floor_times, take_times = [], []
    for _ in range(3):
        # The floor writes the same rows with the same statement and commits them (the commit is
        # where PostgreSQL checks the deferred foreign keys and flushes the log); then they go.
        scratch = ForecastSnapshot.objects.create(
            week=dt.date(2000, 1, 3), taken_at=ForecastSnapshot.objects.latest("week").taken_at
        )
        started = time.perf_counter()
        with transaction.atomic():
            _snapshot_insert_rows(scratch, week=this_week, closed_from=closed_from)
        floor_times.append((time.perf_counter() - started) * 1000)
        scratch.delete()
        # The weekly run takes a week that has no snapshot yet: this week's is removed first (not timed).
        ForecastSnapshot.objects.filter(week=this_week).delete()
        started = time.perf_counter()
        snapshot_take(week=this_week)
        take_times.append((time.perf_counter() - started) * 1000)
    report(
        f"weekly snapshot of {n:,} opportunities (rows, totals, statistics, audit) "
        "against an INSERT … SELECT of the same rows",
        statistics.median(take_times),
        statistics.median(floor_times),
        GOAL_SNAPSHOT,
    )


def run() -> None:
    from django.db import connection

    n = int(os.environ.get("BENCH_OPPORTUNITIES", "20000"))
    user, this_week = _build(n, "a")
    small_ms = _dashboard_figures(user, this_week, n)
    _snapshot_figures(n)
    large = int(os.environ.get("BENCH_LARGE_OPPORTUNITIES", "0") or 0)
    if large > n:
        # The larger set on a clean slate: the same database emptied of the first set's rows.
        from engagements.models import Opportunity
        from forecasting.models import ForecastSnapshot

        ForecastSnapshot.objects.all().delete()
        Opportunity.objects.all().delete()
        user, this_week = _build(large, "b")
        large_ms = _dashboard_figures(user, this_week, large)
        _snapshot_figures(large)
        from core.fiscal import FiscalQuarter

        quarter = FiscalQuarter.current()
        share = (quarter.end - quarter.start).days / ((quarter.next().end - quarter.shift(-2).start).days)
        per_opp_us = (large_ms - small_ms) * 1000 / ((large - n) * share)
        print(
            f"  time per extra in-quarter opportunity ({connection.vendor}): {per_opp_us:.1f} µs; before "
            f"{TODAY_PER_OPPORTUNITY_US} µs; ratio {per_opp_us / TODAY_PER_OPPORTUNITY_US:.2f} "
            "(goal <= 0.25) "
            f"{'met' if per_opp_us <= TODAY_PER_OPPORTUNITY_US / 4 else 'NOT met'}"
        )
