"""The forecast dashboard over 20,000 opportunities and 26 weekly snapshots: median server time,
query count, and the headline aggregation done in one raw SQL statement, with their ratio."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from decimal import Decimal

GOAL_QUERIES = 12
GOAL_RATIO = 2.0
OPPORTUNITIES = 20_000
WEEKS = 26


def _build() -> object:
    from django.contrib.auth import get_user_model

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
            name=f"EM {i}", email=f"em{i}@bench.example", role=Role.ENGAGEMENT_MANAGER, region=regions[i % 4]
        )
        for i in range(40)
    ]
    user = get_user_model().objects.create_user("bench.lead", password="bench-password-1")
    lead = Person.objects.create(
        user=user, name="Bench Leader", email="lead@bench.example", role=Role.LEADERSHIP
    )
    person_sync_login_groups(person=lead)
    ExchangeRate.objects.create(currency="EUR", rate=Decimal("1.08"), effective_date=dt.date(2020, 1, 1))
    accounts = Account.objects.bulk_create(
        [Account(name=f"Account {i}", region=regions[i % 4]) for i in range(500)]
    )
    quarter = FiscalQuarter.current()
    start = quarter.shift(-2).start
    span = (quarter.next().end - start).days
    Opportunity.objects.bulk_create(
        [
            Opportunity(
                name=f"Opportunity {i}",
                account=accounts[i % 500],
                region=regions[i % 4],
                engagement_manager=ems[i % 40],
                stage="Discovery",
                close_date=start + dt.timedelta(days=rng.randrange(span)),
                amount=Decimal(rng.randrange(5_000, 500_000)),
                currency=rng.choice(["USD", "USD", "EUR"]),
                em_confidence=rng.choice(["Green", "Amber", "Red", "Grey"]),
                is_closed=(closed := rng.random() < 0.2),
                is_won=closed and rng.random() < 0.6,
            )
            for i in range(OPPORTUNITIES)
        ],
        batch_size=5000,
    )
    this_week = week_of()
    started = time.perf_counter()
    for weeks_ago in range(WEEKS - 1, -1, -1):
        snapshot_take(week=this_week - dt.timedelta(weeks=weeks_ago))
    print(
        f"  built {OPPORTUNITIES:,} opportunities and {WEEKS} snapshots "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return user


def _raw_sql_seconds(runs: int = 15) -> float:
    from django.db import connection

    from core.fiscal import FiscalQuarter

    quarter = FiscalQuarter.current()
    sql = """
        SELECT region_id, engagement_manager_id, em_confidence, currency, is_won, is_closed, close_date,
               COUNT(*), SUM(amount)
        FROM engagements_opportunity
        WHERE removed_in_salesforce_at IS NULL AND close_date BETWEEN %s AND %s
        GROUP BY region_id, engagement_manager_id, em_confidence, currency, is_won, is_closed, close_date
    """
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, [quarter.start, quarter.end])
            cursor.fetchall()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def run() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.setup import measure

    user = _build()
    client = Client()
    client.force_login(user)

    def one() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/forecast/")
        assert response.status_code == 200, response.status_code
        return len(ctx.captured_queries)

    median_ms, queries = measure(one, runs=9)
    raw_ms = _raw_sql_seconds() * 1000
    print(
        f"forecast dashboard, {OPPORTUNITIES:,} opportunities × {WEEKS} snapshots ({connection.vendor}): "
        f"median {median_ms:.0f} ms, {queries} queries (goal <= {GOAL_QUERIES}); one raw SQL aggregation "
        f"{raw_ms:.1f} ms; ratio {median_ms / raw_ms:.1f} (goal <= {GOAL_RATIO})"
    )
