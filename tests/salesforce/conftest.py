"""Fixtures for the Salesforce sync: one fake org over HTTPS for the session, reset per test, and
settings that point the real client at it with back-off delays short enough not to slow tests."""

from __future__ import annotations

import pytest

from tests.fakes.setup import FakeOrg, start_fake_org


@pytest.fixture(scope="session")
def fake_org():
    org = start_fake_org()
    yield org
    org.fake.stop()


@pytest.fixture
def sf_settings(settings, fake_org: FakeOrg):
    """Point the app at the fake org (password flow) with millisecond back-offs."""
    for name, value in fake_org.settings("password").items():
        setattr(settings, name, value)
    settings.SALESFORCE_RETRY_BASE_SECONDS = 0.005
    settings.SALESFORCE_RETRY_MAX_SECONDS = 0.05
    settings.SALESFORCE_RATE_LIMIT_BACKOFF_SECONDS = 0.05
    settings.SALESFORCE_PUSH_RETRY_WAIT_SECONDS = 1.0
    settings.SALESFORCE_TIMEOUT_SECONDS = 5.0
    settings.SALESFORCE_HTTP_RETRIES = 3
    return settings


@pytest.fixture
def fake_sf(fake_org: FakeOrg, sf_settings):
    """The fake org, emptied, with the app configured to use it."""
    fake_org.fake.reset()
    fake_org.configure()
    return fake_org.fake
