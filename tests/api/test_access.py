"""Every API route for every role, with a personal token and with the session: the same answers as
the pages give (tests/access/matrix.py), and writes through the same access rules."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client

from tests.access.conftest import ROLES
from tests.access.matrix import DASHBOARD, EM_SIDE
from tests.api.conftest import TokenClient

pytestmark = pytest.mark.django_db

ALL = ("em", "em_manager", "ps_director", "leadership", "practice_manager", "ta", "ps_operations", "admin")
DIRECTORY = ("em_manager", "ps_director", "leadership", "ps_operations", "admin")
VIEW_ALL = ("ps_director", "leadership", "practice_manager", "ta", "ps_operations", "admin")

# path template -> roles that get 200 (others: 403 or 404; anonymous: 401)
READS: dict[str, tuple[str, ...]] = {
    "/api/v1/opportunities": ALL,
    "/api/v1/opportunities/{opportunity}": ALL,
    "/api/v1/opportunities/{foreign}": VIEW_ALL,  # EMEA, led by another EM: not the AMER EM's
    "/api/v1/opportunities/{opportunity}/risks": ALL,
    "/api/v1/sows": ALL,
    "/api/v1/sow-versions/{version}": ALL,
    "/api/v1/forecast": DASHBOARD,
    "/api/v1/snapshots": DASHBOARD,
    "/api/v1/scoping-issues": ALL,
    "/api/v1/scoping-issues/{issue}": ALL,
    "/api/v1/estimates/{estimate}": ALL,
    "/api/v1/people": DIRECTORY,
    "/api/v1/people/{person}": DIRECTORY,
    "/api/v1/capacity": DIRECTORY,
}


def _clients(role, people, token_for):
    if role == "anonymous":
        return {"token": Client(), "session": Client()}
    session = Client()
    session.force_login(people[role].user)
    return {"token": TokenClient(token_for(people[role])), "session": session}


def _url(template, world):
    return template.format(
        opportunity=world["opportunity"].pk,
        foreign=world["foreign"].pk,
        version=world["version"].pk,
        issue=world["issue"].pk,
        estimate=world["estimate"].pk,
        person=world["person"].pk,
    )


def _rolled_back(call):
    """Make the request inside a savepoint that is rolled back, so each write starts from the world."""
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("role", ROLES)
def test_every_read_route_for_role_with_token_and_session(role, people, world, token_for):
    mismatches = []
    for mode, client in _clients(role, people, token_for).items():
        for template, allowed in READS.items():
            response = client.get(_url(template, world))
            if role == "anonymous":
                expected = {401}
            elif role in allowed:
                expected = {200}
            else:
                expected = {403, 404}
            if response.status_code not in expected:
                mismatches.append(f"{mode} GET {template}: {response.status_code}, expected {expected}")
            elif response.status_code != 200:
                assert response["Content-Type"] == "application/problem+json"
    assert not mismatches, f"{role}:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("role", ROLES)
def test_every_write_route_for_role_with_token_and_session(role, people, world, token_for):
    opp, version = world["opportunity"], world["version"]
    opp.refresh_from_db()
    version.refresh_from_db()
    mismatches = []
    for mode, client in _clients(role, people, token_for).items():
        writes = {
            "PATCH opportunity": (
                EM_SIDE,
                lambda c=client: c.patch(
                    f"/api/v1/opportunities/{opp.pk}",
                    json.dumps({"em_confidence": "Green", "em_confidence_rationale": "PO in legal"}),
                    content_type="application/json",
                    HTTP_IF_MATCH=f'"{opp.version}"',
                ),
            ),
            "withdraw SOW": (
                EM_SIDE,
                lambda c=client: c.post(
                    f"/api/v1/sow-versions/{version.pk}/transitions/withdraw",
                    json.dumps({"reason": "Customer chose another partner"}),
                    content_type="application/json",
                    HTTP_IF_MATCH=f'"{version.version}"',
                ),
            ),
            "approve a draft SOW": (
                (),  # approvers are refused on a draft (422); everyone else is not an approver (403)
                lambda c=client: c.post(
                    f"/api/v1/sow-versions/{version.pk}/transitions/approve",
                    "{}",
                    content_type="application/json",
                    HTTP_IF_MATCH=f'"{version.version}"',
                ),
            ),
        }
        for label, (allowed, call) in writes.items():
            response = _rolled_back(call)
            if role == "anonymous":
                expected = {401}
            elif role in allowed:
                expected = {200}
            elif label == "approve a draft SOW" and role in ("ps_director", "admin"):
                expected = {422}
            else:
                expected = {403, 404}
            if response.status_code not in expected:
                mismatches.append(f"{mode} {label}: {response.status_code}, expected {expected}")
    assert not mismatches, f"{role}:\n" + "\n".join(mismatches)
