"""My pipeline for an EM with N opportunities: median server time and query count."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from bench.setup import measure

GOAL_QUERIES = 8
ROWS = 50  # My pipeline is measured with 50 rows a page (PIPELINE_PAGE_SIZE; 25 by default)


def generate(n: int) -> Any:
    """Create one EM login with n opportunities across three fiscal quarters; returns the user."""
    from django.contrib.auth import get_user_model

    from core.fiscal import FiscalQuarter
    from core.roles import Role
    from engagements.models import Account, Confidence, Opportunity
    from people.models import Person, Region
    from people.services import person_sync_login_groups

    rng = random.Random(7)
    region, _ = Region.objects.get_or_create(code="AMER", defaults={"name": "Americas"})
    user = get_user_model().objects.create_user("bench.em", password="bench-password-1")
    person = Person.objects.create(
        user=user, name="Bench EM", email="bench.em@example.com", role=Role.ENGAGEMENT_MANAGER, region=region
    )
    person_sync_login_groups(person=person)
    accounts = Account.objects.bulk_create(
        [Account(name=f"Bench account {i}", region=region) for i in range(50)]
    )
    quarter = FiscalQuarter.current()
    colours = list(Confidence.values)
    Opportunity.objects.bulk_create(
        [
            Opportunity(
                name=f"Bench opportunity {i}",
                account=accounts[i % 50],
                region=region,
                stage="Discovery",
                close_date=quarter.start + dt.timedelta(days=rng.randrange(0, 88)),
                amount=Decimal(rng.randrange(10_000, 500_000)),
                currency=rng.choice(["USD", "EUR"]),
                engagement_manager=person,
                em_confidence=rng.choice(colours),
                em_confidence_rationale="bench",
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    return user


def run(n: int = 500) -> None:
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from bench.setup import analyze, median_ms, report

    user = generate(n)
    analyze()
    client = Client()
    client.force_login(user)

    def one() -> int:
        with CaptureQueriesContext(connection) as ctx, override_settings(PIPELINE_PAGE_SIZE=ROWS):
            response = client.get("/pipeline/?scope=mine")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    median, queries = measure(one)

    def floor() -> None:
        # The page's rows in one plain statement: the EM's first 50 opportunities with their account.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT o.id, o.name, a.name, o.stage, o.close_date, o.amount, o.currency, o.em_confidence "
                "FROM engagements_opportunity o JOIN engagements_account a ON a.id = o.account_id "
                "JOIN people_person p ON p.id = o.engagement_manager_id "
                "WHERE p.user_id = %s ORDER BY o.close_date, o.id LIMIT %s",
                [user.pk, ROWS],
            )
            cursor.fetchall()

    report(
        f"my pipeline, {ROWS} rows of {n} opportunities ({connection.vendor})", median, median_ms(floor), None
    )
    print(f"  my pipeline queries: {queries} (goal <= {GOAL_QUERIES}, constant)")
