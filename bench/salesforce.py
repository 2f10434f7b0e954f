"""Salesforce sync at scale, against the fake org over HTTPS: pull 20,000 opportunities into an
empty database, then push 1,000 EM edits. Prints seconds and API calls against the floor: a pull
reads ⌈N/2000⌉ query pages; a push writes ⌈N/200⌉ sObject Collections calls and reads the same
records back first in ⌈N/200⌉ queries (salesforce/prepush.py).

Just this one: `.venv/bin/python -m bench salesforce`."""

from __future__ import annotations

import math
import time

GOAL_PULL_SECONDS = 15
PAGE_SIZE = 2000  # records per query page
COLLECTION_SIZE = 200  # records per sObject Collections call and per pre-push read


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
        pages = fake.calls["queryAll"] + fake.calls["queryMore"]
        print(
            f"salesforce pull, {pulled.created} of {n} opportunities into an empty {connection.vendor} "
            f"database: {pull_seconds:.1f} s (goal: <= {GOAL_PULL_SECONDS} s), {pages} query pages "
            f"({fake.calls['queryAll']} queryAll + {fake.calls['queryMore']} queryMore; floor "
            f"⌈{n}/{PAGE_SIZE}⌉ = {math.ceil(n / PAGE_SIZE)}), {client.api_calls} API calls in all"
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
        reads_before = fake.calls["queryAll"] + fake.calls["queryMore"]
        start = time.perf_counter()
        with SalesforceClient() as client:
            pushed = push(client)
        push_seconds = time.perf_counter() - start
        writes = fake.calls["composite"] + fake.calls["sobject"] - composite_before
        reads = fake.calls["queryAll"] + fake.calls["queryMore"] - reads_before
        floor = math.ceil(edits / COLLECTION_SIZE)
        left = PendingPush.objects.count()
        print(
            f"salesforce push, {pushed.pushed} of {edits} EM edits: {push_seconds:.2f} s, {writes} writes "
            f"(floor ⌈{edits}/{COLLECTION_SIZE}⌉ = {floor}) + {reads} pre-push reads (floor {floor}) = "
            f"{client.api_calls} API calls (floor {2 * floor}); {pushed.conflicts} conflicts, "
            f"{left} left in the outbox"
        )
    finally:
        fake.stop()
