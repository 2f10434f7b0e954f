"""The connection: each OAuth flow against the fake org's token endpoint, re-authentication on an
expired session, retries, and the configuration that keeps the sync off until it is complete."""

from typing import Any

import pytest

from salesforce.client import SalesforceClient
from salesforce.config import load_config
from salesforce.errors import (
    SalesforceAuthError,
    SalesforceNotConfigured,
    SalesforceRateLimited,
    SalesforceUnavailable,
)

QUERY = "SELECT Id, Name FROM Opportunity ORDER BY Id"


def _query_all(client: SalesforceClient) -> list[dict[str, Any]]:
    return [record for page in client.query_pages(QUERY) for record in page]


@pytest.mark.parametrize("flow", ["password", "client_credentials", "jwt"])
def test_each_oauth_flow_obtains_a_token_and_queries(fake_sf, fake_org, settings, flow):
    for name, value in fake_org.settings(flow).items():
        setattr(settings, name, value)
    fake_sf.add_opportunity("006000000000001AAA", Name="Acme")
    with SalesforceClient() as client:
        assert client.config.flow == flow
        records = _query_all(client)
    assert [r["Name"] for r in records] == ["Acme"]
    token_kind = {"password": "token:password", "client_credentials": "token:client_credentials"}.get(
        flow, "token:jwt"
    )
    assert fake_sf.calls[token_kind] == 1


def test_flow_is_inferred_from_the_credentials_that_are_set(fake_sf, fake_org, settings):
    for name, value in fake_org.settings("jwt").items():
        setattr(settings, name, value)
    settings.SALESFORCE_AUTH_FLOW = ""
    assert load_config().flow == "jwt"


def test_jwt_with_a_key_the_org_does_not_know_is_refused(fake_sf, fake_org, settings, tmp_path):
    from tests.fakes.setup import make_jwt_key

    for name, value in fake_org.settings("jwt").items():
        setattr(settings, name, value)
    other_key, _ = make_jwt_key(tmp_path)
    settings.SALESFORCE_PRIVATE_KEY_FILE = str(other_key)
    with pytest.raises(SalesforceAuthError, match="invalid assertion"), SalesforceClient() as client:
        client.connect()


def test_wrong_password_is_an_auth_error_and_is_not_retried(fake_sf, settings):
    settings.SALESFORCE_PASSWORD = "wrong"
    with pytest.raises(SalesforceAuthError, match="authentication failure"), SalesforceClient() as client:
        client.connect()
    assert fake_sf.calls["token"] == 1


def test_expired_session_reauthenticates_once_and_retries(fake_sf):
    fake_sf.add_opportunity("006000000000001AAA", Name="Acme")
    with SalesforceClient() as client:
        client.connect()
        fake_sf.expire_sessions()
        records = _query_all(client)
    assert len(records) == 1
    assert fake_sf.calls["token"] == 2
    assert fake_sf.calls["unauthorized"] == 1


def test_a_session_refused_twice_is_an_auth_error(fake_sf):
    fake_sf.fail_next(5, status=401, error_code="INVALID_SESSION_ID", message="Session expired or invalid")
    with pytest.raises(SalesforceAuthError), SalesforceClient() as client:
        _query_all(client)
    assert fake_sf.calls["token"] == 2


def test_server_errors_are_retried_with_backoff(fake_sf):
    fake_sf.add_opportunity("006000000000001AAA", Name="Acme")
    delays: list[float] = []
    with SalesforceClient(sleep=delays.append) as client:
        fake_sf.fail_next(2, status=503)
        assert len(_query_all(client)) == 1
    assert len(delays) == 2
    assert delays[1] > 0


def test_server_errors_beyond_the_retries_raise_unavailable(fake_sf):
    fake_sf.fail_next(10, status=500, error_code="UNKNOWN_EXCEPTION", message="boom")
    with pytest.raises(SalesforceUnavailable, match="500"), SalesforceClient(sleep=lambda s: None) as client:
        _query_all(client)
    assert fake_sf.calls["fault:query"] == 4  # the first try and three retries


def test_a_timeout_is_retried(fake_sf, settings):
    settings.SALESFORCE_TIMEOUT_SECONDS = 0.3
    fake_sf.add_opportunity("006000000000001AAA", Name="Acme")
    with SalesforceClient() as client:
        client.connect()
        fake_sf.slow_down(1.0, calls=1)
        assert len(_query_all(client)) == 1


def test_request_limit_exceeded_is_not_retried_in_the_call(fake_sf):
    fake_sf.fail_next(
        1, status=403, error_code="REQUEST_LIMIT_EXCEEDED", message="TotalRequests Limit exceeded."
    )
    with pytest.raises(SalesforceRateLimited, match="REQUEST_LIMIT_EXCEEDED"), SalesforceClient() as client:
        _query_all(client)


def test_calls_and_org_api_usage_are_counted(fake_sf):
    fake_sf.add_opportunity("006000000000001AAA", Name="Acme")
    with SalesforceClient() as client:
        _query_all(client)
        _query_all(client)
    assert client.api_calls == 2
    assert client.api_usage == (2, 15000)


def test_untrusted_certificate_is_a_clear_error_not_a_retry(fake_sf, settings, tmp_path):
    import trustme

    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    settings.SALESFORCE_CA_BUNDLE = str(other_ca)
    with pytest.raises(SalesforceAuthError, match="not trusted"), SalesforceClient() as client:
        client.connect()


def test_sync_is_off_without_credentials(settings):
    for name in ("SALESFORCE_AUTH_FLOW", "SALESFORCE_CONSUMER_KEY", "SALESFORCE_CONSUMER_SECRET"):
        setattr(settings, name, "")
    config = load_config()
    assert not config.enabled
    assert "No Salesforce credentials are set" in config.problems[0]
    with pytest.raises(SalesforceNotConfigured):
        SalesforceClient(config)


def test_missing_settings_for_the_chosen_flow_are_named(settings):
    settings.SALESFORCE_AUTH_FLOW = "jwt"
    settings.SALESFORCE_CONSUMER_KEY = "key"
    settings.SALESFORCE_USERNAME = ""
    settings.SALESFORCE_PRIVATE_KEY_FILE = ""
    problems = " ".join(load_config().problems)
    assert "SALESFORCE_USERNAME" in problems
    assert "SALESFORCE_PRIVATE_KEY_FILE" in problems


@pytest.mark.parametrize(
    ("login_url", "audience"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com", "https://test.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://test.salesforce.com"),
    ],
)
def test_jwt_audience_follows_the_login_url(settings, login_url, audience):
    settings.SALESFORCE_LOGIN_URL = login_url
    settings.SALESFORCE_JWT_AUDIENCE = ""
    assert load_config().audience == audience
