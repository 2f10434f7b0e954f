"""The capacity page with 500 people, 2,000 assignments and 5,000 open opportunities with agreed
estimates: median server time and query count."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

PEOPLE, ASSIGNMENTS, OPPORTUNITIES = 500, 2_000, 5_000


def _build() -> Any:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.roles import Role
    from engagements.models import Account, Opportunity
    from people.models import Person, Region
    from people.services import person_sync_login_groups
    from scoping.models import Estimate, EstimateLine, ScopingIssue
    from sow.models import Sow, SowVersion
    from staffing.models import Assignment, StaffingRequirement

    rng = random.Random(5)
    regions = [
        Region.objects.get_or_create(code=c, defaults={"name": c})[0] for c in ("AMER", "EMEA", "APAC")
    ]
    roles = [Role.PS_ENGINEER, Role.TECHNICAL_ARCHITECT, Role.PROJECT_MANAGER, Role.PARTNER_CONSULTANT]
    people = Person.objects.bulk_create(
        [
            Person(
                name=f"Person {i}",
                email=f"p{i}@bench.example",
                role=roles[i % 4],
                region=regions[i % 3],
                weekly_capacity_hours=Decimal(rng.choice([32, 40])),
            )
            for i in range(PEOPLE)
        ]
    )
    user = get_user_model().objects.create_user("bench.ops", password="bench-password-1")
    ops = Person.objects.create(
        user=user, name="Bench Ops", email="ops@bench.example", role=Role.PS_OPERATIONS
    )
    person_sync_login_groups(person=ops)
    account = Account.objects.create(name="Bench", region=regions[0])
    today = timezone.localdate()
    opps = Opportunity.objects.bulk_create(
        [
            Opportunity(
                name=f"Opp {i}",
                account=account,
                region=regions[i % 3],
                stage="Discovery",
                close_date=today + dt.timedelta(days=rng.randrange(0, 70)),
                amount=Decimal("50000"),
                em_confidence=rng.choice(["Green", "Amber", "Red", "Grey"]),
            )
            for i in range(OPPORTUNITIES)
        ],
        batch_size=2000,
    )
    issues = ScopingIssue.objects.bulk_create(
        [ScopingIssue(opportunity=o, title=o.name, status="estimate_feedback") for o in opps], batch_size=2000
    )
    estimates = Estimate.objects.bulk_create(
        [Estimate(scoping_issue=i, number=1, status="agreed", currency="USD") for i in issues],
        batch_size=2000,
    )
    EstimateLine.objects.bulk_create(
        [
            EstimateLine(
                estimate=e,
                kind="activity",
                role_name=name,
                description=name,
                hours=Decimal(h),
                bill_rate=Decimal("200"),
            )
            for e in estimates
            for name, h in (("Engineer", "120"), ("Technical Architect", "24"))
        ],
        batch_size=5000,
    )
    sow = Sow.objects.create(opportunity=opps[0], scoping_issue=issues[0], title="Bench SOW")
    SowVersion.objects.create(
        sow=sow,
        number=1,
        estimate=estimates[0],
        category="implementation",
        total=Decimal("1"),
        currency="USD",
        status="signed",
    )
    requirement = StaffingRequirement.objects.create(
        sow=sow,
        delivery_role=Role.PS_ENGINEER,
        hours_per_week=Decimal("10"),
        start_date=today,
        end_date=today + dt.timedelta(weeks=12),
    )
    now = timezone.now()
    Assignment.objects.bulk_create(
        [
            Assignment(
                requirement=requirement,
                person=people[i % PEOPLE],
                status=rng.choice(["proposed", "confirmed"]),
                hours_per_week=Decimal("8"),
                start_date=today + dt.timedelta(days=rng.randrange(0, 60)),
                end_date=today + dt.timedelta(days=rng.randrange(61, 120)),
                proposed_at=now,
            )
            for i in range(ASSIGNMENTS)
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return user


def run() -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.setup import measure

    client = Client()
    client.force_login(_build())

    def one() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/capacity/?by=region").status_code == 200
        return len(ctx.captured_queries)

    median_ms, queries = measure(one, runs=9)
    print(
        f"capacity page, {PEOPLE} people, {ASSIGNMENTS:,} assignments, {OPPORTUNITIES:,} open opportunities "
        f"({connection.vendor}): median {median_ms:.0f} ms, {queries} queries"
    )
