"""The connection: obtains an OAuth token from the configured login URL itself (JWT bearer,
client credentials or username-password), builds `simple_salesforce.Salesforce` on a
`requests.Session` that trusts the configured CA bundle, and wraps every call with
re-authentication on an expired session, retries with back-off on transient failures, a call
count and the org's API usage from the `Sforce-Limit-Info` header."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import jwt
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError as SimpleSalesforceError
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceRefusedRequest

from salesforce.config import AuthFlow, SalesforceConfig, load_config
from salesforce.errors import (
    SalesforceApiBudgetReached,
    SalesforceAuthError,
    SalesforceBadResponse,
    SalesforceNotConfigured,
    SalesforceRateLimited,
    SalesforceRequestError,
    SalesforceSessionRevoked,
    SalesforceUnavailable,
    SalesforceWriteUncertain,
    backoff_seconds,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
JWT_LIFETIME_SECONDS = 180


@dataclass(frozen=True)
class Token:
    access_token: str
    instance_url: str
    user_id: str = ""  # the integration user (the last part of the token's identity URL)


def _error_code(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode") or "")
    if isinstance(content, dict):
        return str(content.get("errorCode") or content.get("error") or "")
    return ""


_HTML = re.compile(r"^\s*(<!doctype|<html|<\?xml|<head|<body)", re.IGNORECASE)


def _is_html(content: Any) -> bool:
    return isinstance(content, bytes | str) and bool(
        _HTML.match(content.decode(errors="replace") if isinstance(content, bytes) else content)
    )


def _error_text(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return f"{first.get('errorCode', '')}: {first.get('message', '')}".strip(": ")
    if _is_html(content):
        # A maintenance or proxy page: the markup means nothing to the person reading the run.
        return "a web page instead of an API answer"
    return str(content)[:500]


def _unavailable_text(status: int, content: Any) -> str:
    if _is_html(content):
        return (
            f"Salesforce unavailable: it answered {status} with a web page instead of an API answer "
            "(usually planned maintenance); the sync tries again later."
        )
    return f"Salesforce answered {status} {_error_text(content)}"


def _tls_problem(config: SalesforceConfig, exc: Exception) -> str:
    trusted = config.ca_bundle or "the system's certificate authorities"
    return f"The Salesforce TLS certificate is not trusted by {trusted}: {exc}"


def build_token_request(config: SalesforceConfig) -> dict[str, str]:
    """The form body of the OAuth token request for the configured flow."""
    if config.flow == AuthFlow.JWT:
        try:
            key = Path(config.private_key_file).read_bytes()
        except OSError as exc:
            raise SalesforceNotConfigured(f"Cannot read SALESFORCE_PRIVATE_KEY_FILE: {exc}") from exc
        claims = {
            "iss": config.consumer_key,
            "sub": config.username,
            "aud": config.audience,
            "exp": int(time.time()) + JWT_LIFETIME_SECONDS,
        }
        try:
            assertion = jwt.encode(claims, key, algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise SalesforceNotConfigured(
                f"SALESFORCE_PRIVATE_KEY_FILE is not an RSA private key: {exc}"
            ) from exc
        return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    if config.flow == AuthFlow.CLIENT_CREDENTIALS:
        return {
            "grant_type": "client_credentials",
            "client_id": config.consumer_key,
            "client_secret": config.consumer_secret,
        }
    if config.flow == AuthFlow.PASSWORD:
        return {
            "grant_type": "password",
            "client_id": config.consumer_key,
            "client_secret": config.consumer_secret,
            "username": config.username,
            "password": config.password + config.security_token,
        }
    raise SalesforceNotConfigured("; ".join(config.problems) or "No Salesforce auth flow is configured.")


class _SalesforceAdapter(HTTPAdapter):
    """Every request to Salesforce trusts the configured CA bundle (even when REQUESTS_CA_BUNDLE
    is set in the environment, which requests would otherwise prefer) and has a timeout."""

    def __init__(self, *, ca_bundle: str, timeout: float) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]  # passes every keyword on
        if self.ca_bundle:
            kwargs["verify"] = self.ca_bundle
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def _query_more(sf: Salesforce, *, url: str, timeout: float) -> Any:
    return sf.query_more(url, identifier_is_url=True, timeout=timeout)


class SalesforceClient:
    """One authenticated connection for one sync run. Not shared between threads."""

    def __init__(
        self,
        config: SalesforceConfig | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or load_config()
        if not self.config.enabled:
            raise SalesforceNotConfigured("; ".join(self.config.problems))
        self.sleep = sleep
        self.session = requests.Session()
        adapter = _SalesforceAdapter(ca_bundle=self.config.ca_bundle, timeout=self.config.timeout)
        self.session.mount("https://", adapter)
        self.session.verify = self.config.ca_bundle or True
        self.session.hooks["response"].append(self._count_response)
        self.api_calls = 0
        self.token_requests = 0
        self.api_usage: tuple[int, int] | None = None
        # Set once the org's usage passed SALESFORCE_API_USAGE_SLOW_SHARE: the usage seen then.
        self.slowed_at: tuple[int, int] | None = None
        self._last_response: requests.Response | None = None
        self._sf: Salesforce | None = None
        # Who the app writes as: a record Salesforce says this user saved last was saved by the app.
        self.user_id = ""

    # -- bookkeeping -------------------------------------------------------------------------------
    def _count_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if "/services/data/" in urlparse(response.url).path:
            self.api_calls += 1
            self._last_response = response
            match = _API_USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
            if match:
                self.api_usage = (int(match.group(1)), int(match.group(2)))
                share = self.api_usage_share
                if self.slowed_at is None and share is not None and share >= self.config.api_usage_slow_share:
                    self.slowed_at = self.api_usage
                    logger.warning(
                        "Salesforce API usage at %.0f%% of the daily limit; slowing down", share * 100
                    )

    @property
    def api_usage_share(self) -> float | None:
        """The share of the org's daily API limit used, as the last answer reported it."""
        if self.api_usage is None or self.api_usage[1] <= 0:
            return None
        return self.api_usage[0] / self.api_usage[1]

    @property
    def slowed(self) -> bool:
        return self.slowed_at is not None

    def usage_note(self) -> str:
        """What the run says when the org's API usage made the sync slow down."""
        if self.slowed_at is None:
            return ""
        used, limit = self.slowed_at
        return (
            f"Salesforce API usage reached {used:,} of the org's daily {limit:,} "
            f"({used / limit:.0%}, above {self.config.api_usage_slow_share:.0%}): the sync slowed down "
            f"({self.config.api_usage_slow_pause:g} s between calls) and skipped optional work."
        )

    def _respect_api_budget(self) -> None:
        """Before a call: stop near the org's daily limit, pause between calls above the slow share."""
        share = self.api_usage_share
        if share is None or self.api_usage is None:
            return
        used, limit = self.api_usage
        if share >= self.config.api_usage_stop_share:
            raise SalesforceApiBudgetReached(
                f"Stopped before exhausting the org's daily API limit: {used:,} of {limit:,} calls "
                f"used ({share:.0%}, the sync stops at {self.config.api_usage_stop_share:.0%})."
            )
        if share >= self.config.api_usage_slow_share:
            self.sleep(self.config.api_usage_slow_pause)

    def _not_json(self, exc: ValueError) -> SalesforceBadResponse:
        response = self._last_response
        status = response.status_code if response is not None else "?"
        kind = (response.headers.get("Content-Type") if response is not None else None) or "no content type"
        return SalesforceBadResponse(
            f"Salesforce answered {status} with a body that is not JSON ({kind.split(';')[0]}); "
            "nothing was read from it. A proxy or a maintenance page may be in the way."
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SalesforceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- authentication ----------------------------------------------------------------------------
    def obtain_token(self) -> Token:
        """POST the configured flow's grant to the login URL's token endpoint (with retries)."""
        data = build_token_request(self.config)
        attempt = 0
        while True:
            try:
                self.token_requests += 1
                response = self.session.post(self.config.token_url, data=data, timeout=self.config.timeout)
            except requests.exceptions.SSLError as exc:
                raise SalesforceAuthError(_tls_problem(self.config, exc)) from exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem = f"Cannot reach {self.config.token_url}: {exc.__class__.__name__}"
            else:
                if response.status_code < 300:
                    body = response.json()
                    identity = str(body.get("id") or "").rstrip("/")
                    return Token(
                        access_token=body["access_token"],
                        instance_url=body["instance_url"],
                        user_id=identity.rsplit("/", 1)[-1] if "/id/" in identity else "",
                    )
                if response.status_code < 500:
                    try:
                        body = response.json()
                        detail = f"{body.get('error', '')}: {body.get('error_description', '')}"
                    except ValueError:
                        detail = response.text[:300]
                    flow = self.config.flow_label
                    raise SalesforceAuthError(
                        f"Salesforce refused the {flow} login ({response.status_code} {detail})."
                    )
                problem = f"Salesforce login answered {response.status_code}"
            if attempt >= self.config.http_retries:
                raise SalesforceUnavailable(problem)
            self.sleep(backoff_seconds(self.config, attempt))
            attempt += 1

    def connect(self) -> Salesforce:
        token = self.obtain_token()
        self.user_id = token.user_id
        self._sf = Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token,
            session=self.session,
            version=self.config.api_version,
            parse_float=Decimal,
            object_pairs_hook=dict,
        )
        return self._sf

    @property
    def sf(self) -> Salesforce:
        return self._sf or self.connect()

    # -- calls -------------------------------------------------------------------------------------
    def call(self, fn: Callable[[Salesforce], T], *, retry: bool = True) -> T:
        """Run one API call: re-authenticate once on INVALID_SESSION_ID, retry transient failures
        with back-off, and turn everything else into this package's errors. A write passes
        `retry=False`: a timeout or 5xx may have been applied, so it raises SalesforceWriteUncertain
        for the push to re-read instead of sending it again blind."""
        reauthenticated = False
        attempt = 0
        while True:
            self._respect_api_budget()
            try:
                return fn(self.sf)
            except SalesforceExpiredSession as exc:
                if reauthenticated:
                    raise SalesforceSessionRevoked(
                        "Salesforce revoked the session: it refused a new session right after a "
                        f"fresh login ({_error_text(exc.content)}). An administrator may have revoked "
                        "the connected app's access or the integration user's sessions; check both, "
                        "then sync again."
                    ) from exc
                logger.info("Salesforce session expired; authenticating again")
                reauthenticated = True
                self.connect()
                continue
            except SalesforceRefusedRequest as exc:
                if _error_code(exc.content) == "REQUEST_LIMIT_EXCEEDED":
                    raise SalesforceRateLimited(_error_text(exc.content)) from exc
                raise SalesforceRequestError(_error_text(exc.content), code=_error_code(exc.content)) from exc
            except SimpleSalesforceError as exc:
                if exc.status < 500:
                    raise SalesforceRequestError(
                        _error_text(exc.content), code=_error_code(exc.content)
                    ) from exc
                problem = _unavailable_text(exc.status, exc.content)
            except requests.exceptions.SSLError as exc:
                raise SalesforceAuthError(_tls_problem(self.config, exc)) from exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem = f"{exc.__class__.__name__} talking to Salesforce"
            except (requests.exceptions.JSONDecodeError, json.JSONDecodeError) as exc:  # a 2xx, not JSON
                raise self._not_json(exc) from exc
            if not retry:
                raise SalesforceWriteUncertain(problem)
            if attempt >= self.config.http_retries:
                raise SalesforceUnavailable(problem)
            delay = backoff_seconds(self.config, attempt)
            logger.warning("%s; retrying in %.2fs", problem, delay)
            self.sleep(delay)
            attempt += 1

    def query_pages(self, soql: str, *, include_deleted: bool = True) -> Iterator[list[dict[str, Any]]]:
        """Each page of a (queryAll) query's records, following nextRecordsUrl."""
        timeout = self.config.timeout
        page = self.call(lambda sf: sf.query(soql, include_deleted=include_deleted, timeout=timeout))
        while True:
            yield page.get("records", [])
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self.call(partial(_query_more, url=next_url, timeout=timeout))

    def update_records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """sObject Collections PATCH (at most 200 records, allOrNone=false): one result per record,
        in order."""
        if len(records) > 200:
            raise ValueError("sObject Collections take at most 200 records per call.")
        body = {"allOrNone": False, "records": records}
        result = self.call(
            lambda sf: sf.restful(
                "composite/sobjects", method="PATCH", json=body, timeout=self.config.timeout
            ),
            retry=False,
        )
        return list(result or [])

    def update_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """Single-record PATCH for a lone record, answered in the collection result shape."""
        sobject = record["attributes"]["type"]
        record_id = record["id"]
        fields = {k: v for k, v in record.items() if k not in ("attributes", "id")}
        try:
            self.call(
                lambda sf: sf.restful(
                    f"sobjects/{sobject}/{record_id}",
                    method="PATCH",
                    json=fields,
                    timeout=self.config.timeout,
                ),
                retry=False,
            )
        except SalesforceRequestError as exc:
            if not exc.code:
                raise
            message = str(exc).removeprefix(f"{exc.code}: ")
            return {
                "id": record_id,
                "success": False,
                "errors": [{"statusCode": exc.code, "message": message}],
            }
        return {"id": record_id, "success": True, "errors": []}
