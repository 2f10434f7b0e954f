"""Fixtures for the staffing tests: the SOW fixtures they build on."""

from tests.sow.conftest import catalog, director, draft, ready_issue  # noqa: F401
