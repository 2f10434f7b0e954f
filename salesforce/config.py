"""The Salesforce connection settings, read at call time, and whether the sync can run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings


class AuthFlow:
    JWT = "jwt"
    CLIENT_CREDENTIALS = "client_credentials"
    PASSWORD = "password"

    ALL = (JWT, CLIENT_CREDENTIALS, PASSWORD)
    LABELS = {
        JWT: "OAuth 2.0 JWT bearer",
        CLIENT_CREDENTIALS: "OAuth 2.0 client credentials",
        PASSWORD: "OAuth 2.0 username-password",
    }


EM_FIELD_KEYS = ("engagement_manager", "em_confidence", "em_confidence_rationale", "scoping_issue_link")


@dataclass(frozen=True)
class SalesforceConfig:
    login_url: str
    api_version: str
    flow: str  # "" when no credentials are set
    consumer_key: str
    consumer_secret: str
    username: str
    password: str
    security_token: str
    private_key_file: str
    jwt_audience: str
    ca_bundle: str
    timeout: float
    field_map: dict[str, str]
    amount_field: str
    currency_field: str
    condition: str
    overlap_seconds: int
    batch_size: int
    retry_base: float
    retry_max: float
    rate_limit_backoff: float
    http_retries: int
    push_retry_wait: float
    push_max_attempts: int
    lock_ttl_seconds: int
    problems: list[str] = field(default_factory=list)
    reconcile_chunk_size: int = 200
    reconcile_interval_hours: float = 24.0
    pull_shrink_warning_share: float = 0.5
    describe_max_age_hours: float = 24.0
    api_usage_slow_share: float = 0.8
    api_usage_stop_share: float = 0.95
    api_usage_slow_pause: float = 2.0

    @property
    def enabled(self) -> bool:
        return not self.problems

    @property
    def flow_label(self) -> str:
        return AuthFlow.LABELS.get(self.flow, "none")

    @property
    def token_url(self) -> str:
        return self.login_url.rstrip("/") + "/services/oauth2/token"

    @property
    def audience(self) -> str:
        """The JWT "aud": login or test.salesforce.com, even when logging in through My Domain."""
        if self.jwt_audience:
            return self.jwt_audience
        host = (urlparse(self.login_url).hostname or "").lower()
        if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
            return "https://test.salesforce.com"
        if host == "login.salesforce.com" or host.endswith(".my.salesforce.com"):
            return "https://login.salesforce.com"
        return self.login_url.rstrip("/")


def _infer_flow(*, key: str, secret: str, username: str, password: str, private_key: str) -> str:
    if key and username and private_key:
        return AuthFlow.JWT
    if key and secret and username and password:
        return AuthFlow.PASSWORD
    if key and secret and not username:
        return AuthFlow.CLIENT_CREDENTIALS
    return ""


def load_config() -> SalesforceConfig:
    """The settings as they are now, with the reasons (if any) the sync cannot run."""
    s = settings
    key = s.SALESFORCE_CONSUMER_KEY
    secret = s.SALESFORCE_CONSUMER_SECRET
    username = s.SALESFORCE_USERNAME
    password = s.SALESFORCE_PASSWORD
    private_key = s.SALESFORCE_PRIVATE_KEY_FILE
    flow = (s.SALESFORCE_AUTH_FLOW or "").strip().lower().replace("-", "_")
    problems: list[str] = []
    if not flow:
        flow = _infer_flow(
            key=key, secret=secret, username=username, password=password, private_key=private_key
        )
        if not flow:
            problems.append(
                "No Salesforce credentials are set: set SALESFORCE_CONSUMER_KEY with either "
                "SALESFORCE_PRIVATE_KEY_FILE and SALESFORCE_USERNAME (JWT bearer), "
                "SALESFORCE_CONSUMER_SECRET (client credentials), or SALESFORCE_CONSUMER_SECRET, "
                "SALESFORCE_USERNAME and SALESFORCE_PASSWORD (username-password)."
            )
    elif flow not in AuthFlow.ALL:
        problems.append(f"SALESFORCE_AUTH_FLOW must be one of {', '.join(AuthFlow.ALL)} (got {flow!r}).")
        flow = ""
    required = {
        AuthFlow.JWT: {
            "SALESFORCE_CONSUMER_KEY": key,
            "SALESFORCE_USERNAME": username,
            "SALESFORCE_PRIVATE_KEY_FILE": private_key,
        },
        AuthFlow.CLIENT_CREDENTIALS: {"SALESFORCE_CONSUMER_KEY": key, "SALESFORCE_CONSUMER_SECRET": secret},
        AuthFlow.PASSWORD: {
            "SALESFORCE_CONSUMER_KEY": key,
            "SALESFORCE_CONSUMER_SECRET": secret,
            "SALESFORCE_USERNAME": username,
            "SALESFORCE_PASSWORD": password,
        },
    }.get(flow, {})
    missing = [name for name, value in required.items() if not value]
    if missing:
        problems.append(f"{AuthFlow.LABELS[flow]} needs {', '.join(missing)}.")
    if flow == AuthFlow.JWT and private_key and not Path(private_key).is_file():
        problems.append(f"SALESFORCE_PRIVATE_KEY_FILE {private_key} does not exist.")
    ca_bundle = s.SALESFORCE_CA_BUNDLE
    if ca_bundle and not Path(ca_bundle).is_file():
        problems.append(f"SALESFORCE_CA_BUNDLE {ca_bundle} does not exist.")
    login_url = (s.SALESFORCE_LOGIN_URL or "").strip()
    if urlparse(login_url).scheme != "https" or not urlparse(login_url).hostname:
        problems.append(f"SALESFORCE_LOGIN_URL must be an https:// URL (got {login_url!r}).")
    field_map = {k: v for k, v in dict(s.SALESFORCE_FIELD_MAP).items() if k in EM_FIELD_KEYS}
    unmapped = [k for k in EM_FIELD_KEYS if not field_map.get(k)]
    if unmapped:
        problems.append(f"SALESFORCE_FIELD_MAP has no Salesforce field for {', '.join(unmapped)}.")
    return SalesforceConfig(
        login_url=login_url,
        api_version=str(s.SALESFORCE_API_VERSION).lstrip("v"),
        flow=flow,
        consumer_key=key,
        consumer_secret=secret,
        username=username,
        password=password,
        security_token=s.SALESFORCE_SECURITY_TOKEN,
        private_key_file=private_key,
        jwt_audience=s.SALESFORCE_JWT_AUDIENCE,
        ca_bundle=ca_bundle,
        timeout=float(s.SALESFORCE_TIMEOUT_SECONDS),
        field_map=field_map,
        amount_field=s.SALESFORCE_AMOUNT_FIELD or "Amount",
        currency_field=s.SALESFORCE_CURRENCY_FIELD,
        condition=(s.SALESFORCE_OPPORTUNITY_CONDITION or "").strip(),
        overlap_seconds=int(s.SALESFORCE_PULL_OVERLAP_SECONDS),
        batch_size=max(1, min(200, int(s.SALESFORCE_PUSH_BATCH_SIZE))),
        retry_base=float(s.SALESFORCE_RETRY_BASE_SECONDS),
        retry_max=float(s.SALESFORCE_RETRY_MAX_SECONDS),
        rate_limit_backoff=float(s.SALESFORCE_RATE_LIMIT_BACKOFF_SECONDS),
        http_retries=int(s.SALESFORCE_HTTP_RETRIES),
        push_retry_wait=float(s.SALESFORCE_PUSH_RETRY_WAIT_SECONDS),
        push_max_attempts=int(s.SALESFORCE_PUSH_MAX_ATTEMPTS),
        lock_ttl_seconds=int(s.SALESFORCE_LOCK_TTL_SECONDS),
        problems=problems,
        reconcile_chunk_size=max(1, min(500, int(s.SALESFORCE_RECONCILE_CHUNK_SIZE))),
        reconcile_interval_hours=float(s.SALESFORCE_RECONCILE_INTERVAL_HOURS),
        pull_shrink_warning_share=float(s.SALESFORCE_PULL_SHRINK_WARNING_SHARE),
        describe_max_age_hours=float(s.SALESFORCE_DESCRIBE_MAX_AGE_HOURS),
        api_usage_slow_share=float(s.SALESFORCE_API_USAGE_SLOW_SHARE),
        api_usage_stop_share=float(s.SALESFORCE_API_USAGE_STOP_SHARE),
        api_usage_slow_pause=float(s.SALESFORCE_API_USAGE_SLOW_PAUSE_SECONDS),
    )
