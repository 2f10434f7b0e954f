"""Fixtures for the staffing tests: PS Operations and a signed SOW, on the SOW fixtures."""

import pytest

from core.roles import Role
from tests.sow.conftest import catalog, director, draft, ready_issue  # noqa: F401
from tests.sow.factories import take_to


@pytest.fixture
def psops(make_person, region_emea):
    return make_person(Role.PS_OPERATIONS, username="psops", region=region_emea, name="Elena Ops")


@pytest.fixture
def signed(em, director, draft):  # noqa: F811
    """The Harbor Bank SOW (AMER, led by em.amer), signed."""
    return take_to(draft, "signed", em=em, director=director)
