"""Tokens and a client that sends them, for the API tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from api import services
from people.models import Person


class TokenClient(Client):
    """A test client that sends `Authorization: Bearer <secret>` on every request."""

    def __init__(self, secret: str, **kwargs):
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {secret}", **kwargs)


@pytest.fixture
def token_for() -> Callable[..., str]:
    """The secret of a new token of `person` (read-write unless scope="read")."""

    def make(person: Person, *, scope: str = "write", days: int = 30) -> str:
        assert person.user is not None
        return services.token_create(
            actor=person.user, name="tests", scope=scope, expires_in_days=days
        ).secret

    return make


@pytest.fixture
def api_client(token_for) -> Callable[..., TokenClient]:
    def make(person: Person, *, scope: str = "write") -> TokenClient:
        return TokenClient(token_for(person, scope=scope))

    return make


# The access tests' world (one of every object, owned by the AMER EM) and people in every role.
from tests.access.conftest import people, world  # noqa: E402, F401
