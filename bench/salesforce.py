"""Salesforce sync at scale, against the fake org over HTTPS: pull 20,000 opportunities into an
empty database, then push 1,000 EM edits. Prints seconds and API calls."""

from __future__ import annotations

import time

GOAL_PULL_SECONDS = 15
GOAL_PUSH_CALLS = 5


def run(n: int = 20_000, edits: int = 1_000) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from engagements import services
    from engagements.models import Opportunity, PendingPush
    from salesforce.client import SalesforceClient
    from salesforce.pull import pull
    from salesforce.push import push
    from tests.fakes.setup import start_fake_org

    org = start_fake_org()
    fake = org.fake
    for name, value in org.settings("password").items():
        setattr(settings, name, value)
    try:
        fake.load_generated(n)
        assert not Opportunity.objects.exists(), "the pull must start from an empty database"

        start = time.perf_counter()
        with SalesforceClient() as client:
            pulled = pull(client)
        pull_seconds = time.perf_counter() - start
        print(
            f"salesforce pull, {pulled.created} of {n} opportunities into an empty {connection.vendor} "
            f"database: {pull_seconds:.1f} s, {client.api_calls} API calls "
            f"({fake.calls['queryAll']} queryAll + {fake.calls['queryMore']} queryMore; "
            f"goal: <= {GOAL_PULL_SECONDS} s)"
        )

        admin = get_user_model().objects.create_superuser(
            "bench.admin", "bench.admin@example.com", "bench-pw-123"
        )
        for opportunity in Opportunity.objects.order_by("salesforce_id")[:edits]:
            services.opportunity_update_em_fields(
                actor=admin,
                opportunity=opportunity,
                expected_version=opportunity.version,
                em_confidence="Amber",
                em_confidence_rationale="Customer asked to phase delivery",
            )
        composite_before = fake.calls["composite"] + fake.calls["sobject"]
        start = time.perf_counter()
        with SalesforceClient() as client:
            pushed = push(client)
        push_seconds = time.perf_counter() - start
        calls = fake.calls["composite"] + fake.calls["sobject"] - composite_before
        left = PendingPush.objects.count()
        print(
            f"salesforce push, {pushed.pushed} of {edits} EM edits: {push_seconds:.2f} s, {calls} API calls "
            f"(goal: = {GOAL_PUSH_CALLS}); {left} left in the outbox"
        )
    finally:
        fake.stop()
