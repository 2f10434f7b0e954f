"""The forecast call pages for every role, as tests/access declares them, on the access tests' world
(the whole URL × role enumeration there covers them too; this runs just these)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.access.conftest import ROLES, people, world  # noqa: F401 (fixtures)
from tests.access.matrix import APP
from tests.access.test_urls import outcome

pytestmark = pytest.mark.django_db
NAMES = [name for name in APP if name.startswith("calls:")]


def test_every_call_page_is_declared():
    assert {"calls:export", "calls:mine", "calls:org", "calls:team"} <= set(NAMES)


@pytest.mark.parametrize("role", ROLES)
def test_call_pages_for_role(role: str, people: dict[str, Any], world: dict[str, Any]) -> None:  # noqa: F811
    client = Client()
    if role != "anonymous":
        client.force_login(people[role].user)
    got = {}
    for name in NAMES:
        method, expected = APP[name]
        response = client.post(reverse(name)) if method == "POST" else client.get(reverse(name))
        got[name] = (outcome(response), expected[role])
    assert {name: g for name, (g, e) in got.items() if g != e} == {}, got
