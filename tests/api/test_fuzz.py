"""The API fuzzed against its own OpenAPI schema (Schemathesis) on the live server: every operation
and method, with a read-write token of every role. No server error, no response that the schema does
not describe (status, content type, headers, body)."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.access.conftest import ROLES

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Cases per operation and role; API_FUZZ_EXAMPLES raises it for a longer run.
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))


def _fuzz(operation, base_url, headers, role, requests, statuses, failures):
    """A Hypothesis test of one operation for one role's token, recording what it sends and gets."""

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(base_url=base_url, headers=headers)
        requests[f"{operation.method.upper()} {operation.path}"] += 1
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as exc:  # a failed check: collected, reported together
            failures.append(f"{role} {operation.method.upper()} {operation.path}: {exc}"[:2000])

    return run


def test_fuzz_every_operation_for_every_role(live_server, people, world, token_for, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 0  # the fuzzer's own volume is not what is tested here
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 15
    requests: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for role in [role for role in ROLES if role != "anonymous"]:
        headers = {"Authorization": f"Bearer {token_for(people[role])}"}
        for operation in operations:
            _fuzz(operation, live_server.url, headers, role, requests, statuses, failures)()
    total = sum(requests.values())
    print(f"\nAPI fuzzing: {total} requests over {len(requests)} operations for {len(ROLES) - 1} roles")
    for name, count in sorted(requests.items()):
        print(f"  {count:5d}  {name}")
    print("  statuses: " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    print(f"  server errors: {sum(n for status, n in statuses.items() if status >= 500)}")
    print(f"  responses that violate the schema: {len(failures)}")
    assert not failures, "\n\n".join(failures[:20])
