"""A fake Salesforce org over HTTPS, owned by the project, for tests, the benchmark and local demos.

It implements exactly what the sync uses, the way Salesforce answers it:

- ``POST /services/oauth2/token`` for the JWT bearer (RS256, checked against the registered
  certificate's public key), client credentials and username-password flows;
- ``GET /services/data/vXX.X/query`` and ``/queryAll`` with a SOQL subset (tests/fakes/soql.py),
  2,000 records a page and ``nextRecordsUrl`` paging (``query/<locator>-<offset>``);
- ``PATCH /services/data/vXX.X/composite/sobjects`` (sObject Collections, at most 200 records,
  allOrNone) and ``PATCH /services/data/vXX.X/sobjects/Opportunity/<id>``;
- the ``Sforce-Limit-Info: api-usage=N/LIMIT`` header on every data API answer (set
  ``api_used`` to start a test near the org's daily limit);
- ``GET /services/data/vXX.X/sobjects/Opportunity/describe`` with each field's ``name``, ``label``,
  ``type``, ``length``, ``updateable``, ``nillable``, ``referenceTo``, ``relationshipName`` and
  ``picklistValues`` (``value``/``label``/``active``/``defaultValue``); ``set_field`` changes a
  field's metadata (a shorter length, not updateable by the integration user) and ``hide_field``
  removes it (field-level security: gone from describe, queries and updates);
- record types with ``Name`` (the label) and ``DeveloperName``: ``rename_record_type`` changes the
  label only, ``change_record_type`` moves an opportunity to another type;
- soft delete (``delete_opportunity``: ``IsDeleted = true``, returned by queryAll only) and purge
  (``purge_opportunity``: gone from queryAll too, as after emptying the recycle bin);
- 15-character ids wherever an id is accepted (record ids in updates, ``Id`` and lookup values in
  SOQL comparisons, the Engagement Manager lookup in an update); answers always carry 18.

Faults beyond status codes: ``fail_next(..., html=True)`` answers with an HTML maintenance page
(``text/html``), ``fail_next(status=200, body=...)`` with a 200 whose body is not JSON.

Not modelled: sharing rules and per-user record visibility, validation rules and triggers (other
than injected record faults), field history, currency conversion, the 24-hour window in which
queryAll still returns purged records, API limits beyond the usage counter, SOQL beyond the subset
in soql.py (no aggregates, sub-queries, semi-joins or date literals), the Bulk and Streaming APIs,
and the XML formats.

While a run is going, tests act as Salesforce and its users do:

- ``before_request(hook)`` / ``after_request(hook)``: ``hook(kind, detail)`` runs as each data API
  call arrives, or once it has been carried out (before its answer is sent) — e.g. a user edits the
  record (``update_opportunity(..., as_user=...)``) between the pull and the push, or right after an
  update was refused with ``UNABLE_TO_LOCK_ROW`` (``fail_records``);
- ``hold_writes``: a write is received but neither applied nor answered (the client times out),
  then applied late — on ``release_held()``, right after the next write, or after ``hold_seconds``;
- ``forbid_writes(field)``: a collection call naming that field anywhere is refused as a whole (400
  ``INVALID_FIELD_FOR_INSERT_UPDATE``), a single-record PATCH likewise; an unknown or hidden field
  answers a collection call 400 ``INVALID_FIELD``, a malformed id 400 ``MALFORMED_ID`` — Salesforce
  refuses a body it cannot read before saving any of its records;
- every write keeps ``SystemModstamp``, ``LastModifiedDate`` and ``LastModifiedById`` (the
  integration user for API writes, ``as_user`` — Sam Salesforce by default — for edits made in
  Salesforce); ``LastModifiedBy.Name`` can be queried.

Shapes follow Salesforce's REST API documentation: sObject Collections answer 200 with one SaveResult
per record, in order (``{"id", "success": true, "errors": []}``, or ``{"success": false, "errors":
[{"statusCode", "message", "fields"}]}`` without an id); a request that is not well formed, and
every other error, answers with ``[{"message", "errorCode", "fields"?}]``. Not modelled either:
which body errors an org reports per record rather than per call (the fake refuses the call, the
harder case for a client); conditional updates (``If-Unmodified-Since``); row locks between
concurrent writes (only injected ``UNABLE_TO_LOCK_ROW``).

Records live in memory. Faults are injected on demand: a status code (and error code) for the
next K calls, an error code for given records, latency, and session expiry. Every call is counted.
The certificate is made at start by trustme; clients trust ``ca_path``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import random
import re
import secrets
import ssl
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlparse

import jwt
import trustme

from tests.fakes.soql import SalesforceId, SoqlError, parse

logger = logging.getLogger("fake_salesforce")

API_VERSION = "62.0"
PAGE_SIZE = 2000
COLLECTION_LIMIT = 200
CONFIDENCE_VALUES = ("Grey", "Red", "Amber", "Green")
ORG_ID = "00DFK0000000001AAA"
# The user every API write is made as (the token's identity URL names it too).
INTEGRATION_USER_ID = "005FK0000000000001"
INTEGRATION_USER_NAME = "PS Pipeline Integration"
# Someone editing in Salesforce's own UI when a test does not say who.
SALESFORCE_USER_ID = "005FK0000000000002"
SALESFORCE_USER_NAME = "Sam Salesforce"

# Opportunity fields the fake org has, and which an integration user may update.
OPPORTUNITY_FIELDS = {
    "Id",
    "Name",
    "AccountId",
    "OwnerId",
    "StageName",
    "Type",
    "RecordTypeId",
    "CloseDate",
    "Amount",
    "CurrencyIsoCode",
    "Probability",
    "ForecastCategoryName",
    "IsClosed",
    "IsWon",
    "SystemModstamp",
    "LastModifiedDate",
    "LastModifiedById",
    "IsDeleted",
    "Engagement_Manager__c",
    "EM_Confidence__c",
    "EM_Confidence_Rationale__c",
    "Scoping_Issue_Link__c",
}
UPDATABLE_FIELDS = {
    "Name",
    "StageName",
    "Type",
    "CloseDate",
    "Amount",
    "Probability",
    "Engagement_Manager__c",
    "EM_Confidence__c",
    "EM_Confidence_Rationale__c",
    "Scoping_Issue_Link__c",
}
# relationship name -> (lookup field, related object)
RELATIONSHIPS = {
    "Account": ("AccountId", "Account"),
    "Owner": ("OwnerId", "User"),
    "RecordType": ("RecordTypeId", "RecordType"),
    "Engagement_Manager__r": ("Engagement_Manager__c", "User"),
    "LastModifiedBy": ("LastModifiedById", "User"),
}
RELATED_FIELDS = {
    "Account": {"Id", "Name"},
    "User": {"Id", "Name", "Email"},
    "RecordType": {"Id", "Name", "DeveloperName"},
}
TEXT_LIMITS = {"Scoping_Issue_Link__c": 255, "EM_Confidence_Rationale__c": 32768, "Name": 120}
# Describe metadata: field -> (type, length, label); lookups also name what they point to.
FIELD_TYPES: dict[str, tuple[str, int, str]] = {
    "Id": ("id", 18, "Opportunity ID"),
    "Name": ("string", 120, "Name"),
    "AccountId": ("reference", 18, "Account ID"),
    "OwnerId": ("reference", 18, "Owner ID"),
    "StageName": ("picklist", 255, "Stage"),
    "Type": ("picklist", 255, "Opportunity Type"),
    "RecordTypeId": ("reference", 18, "Record Type ID"),
    "CloseDate": ("date", 0, "Close Date"),
    "Amount": ("currency", 0, "Amount"),
    "CurrencyIsoCode": ("picklist", 3, "Opportunity Currency"),
    "Probability": ("percent", 0, "Probability (%)"),
    "ForecastCategoryName": ("picklist", 40, "Forecast Category"),
    "IsClosed": ("boolean", 0, "Closed"),
    "IsWon": ("boolean", 0, "Won"),
    "SystemModstamp": ("datetime", 0, "System Modstamp"),
    "LastModifiedDate": ("datetime", 0, "Last Modified Date"),
    "IsDeleted": ("boolean", 0, "Deleted"),
    "Engagement_Manager__c": ("reference", 18, "Engagement Manager"),
    "EM_Confidence__c": ("picklist", 255, "EM Confidence"),
    "EM_Confidence_Rationale__c": ("textarea", 32768, "EM Confidence Rationale"),
    "Scoping_Issue_Link__c": ("url", 255, "Scoping Issue Link"),
}
REFERENCE_TO = {
    "AccountId": ("Account", "Account"),
    "OwnerId": ("User", "Owner"),
    "RecordTypeId": ("RecordType", "RecordType"),
    "Engagement_Manager__c": ("User", "Engagement_Manager__r"),
}
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html><head><title>Down for maintenance</title></head><body>"
    "<h1>Salesforce is down for maintenance</h1><p>We will be back shortly.</p></body></html>"
)
_ID_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(value: str) -> str:
    """The 18-character form of a 15-character Salesforce id (case-safe checksum appended)."""
    if len(value) != 15:
        return value
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(value[start : start + 5]) if "A" <= char <= "Z")
        suffix += _ID_CHECKSUM[bits]
    return value + suffix


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sf_datetime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return sf_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


@dataclass
class ConnectedApp:
    consumer_key: str
    consumer_secret: str
    certificate_pem: bytes | None = None  # public key / certificate for JWT bearer
    run_as: str | None = None  # username for client credentials


@dataclass
class StatusFault:
    status: int
    error_code: str
    message: str
    remaining: int
    kinds: frozenset[str] | None  # None = every data API call
    body: str | None = None  # a raw (non-JSON) body instead of Salesforce's error list
    content_type: str = "text/html;charset=UTF-8"


@dataclass
class RecordFault:
    error_code: str
    message: str
    remaining: int


@dataclass
class _QueryCursor:
    records: list[dict[str, Any]]
    endpoint: str


@dataclass
class FakeState:
    opportunities: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    record_types: dict[str, dict[str, Any]] = field(default_factory=dict)


def _seeded_state() -> FakeState:
    """An org always has its integration user and someone working in Salesforce's own UI."""
    state = FakeState()
    for user_id, name, email in (
        (INTEGRATION_USER_ID, INTEGRATION_USER_NAME, "integration@example.com"),
        (SALESFORCE_USER_ID, SALESFORCE_USER_NAME, "sam.salesforce@example.com"),
    ):
        state.users[user_id] = {"Id": user_id, "Name": name, "Email": email}
    return state


Hook = Callable[[str, str], None]


@dataclass
class _HeldWrite:
    """A write the org received but has not applied yet (its client timed out waiting)."""

    kind: str
    target: str  # the record id of a single-record PATCH
    body: Any
    after_next_write: bool
    answered: threading.Event = field(default_factory=threading.Event)


class FakeSalesforce:
    """The fake org. Use as a context manager, or start()/stop(); reset() between tests."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = PAGE_SIZE,
        api_limit: int = 15000,
        multi_currency: bool = True,
        verbose: bool = False,
        ca_path: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.page_size = page_size
        self.api_limit = api_limit
        self.multi_currency = multi_currency
        self.verbose = verbose
        self.lock = threading.RLock()
        self.state = _seeded_state()
        self.apps: dict[str, ConnectedApp] = {}
        self.passwords: dict[str, str] = {}
        self.tokens: set[str] = set()
        self.generation = 0  # bumped by reset(): requests begun before it are stale
        self.calls: Counter[str] = Counter()
        self.queries: list[str] = []
        self.composite_sizes: list[int] = []
        self.api_used = 0
        self.picklists: dict[str, set[str]] = {"EM_Confidence__c": set(CONFIDENCE_VALUES)}
        self.field_overrides: dict[str, dict[str, Any]] = {}
        self.hidden_fields: set[str] = set()
        self._status_faults: list[StatusFault] = []
        self._record_faults: dict[str, RecordFault] = {}
        self.latency = 0.0
        self._latency_calls: int | None = None
        self._latency_kinds: frozenset[str] | None = None
        self._cursors: dict[str, _QueryCursor] = {}
        self._init_run_faults()
        self._ids = itertools.count(1)
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = ca_path or Path(tempfile.mkdtemp(prefix="fake-salesforce-")) / "ca.pem"
        self.ca_path.parent.mkdir(parents=True, exist_ok=True)
        self._ca.cert_pem.write_to_path(str(self.ca_path))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> FakeSalesforce:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._cert.configure_cert(context)
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer((self.host, self.port), handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="fake-salesforce", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSalesforce:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def reset(self) -> None:
        """Forget records, sessions, counters and faults (connected apps stay registered)."""
        with self.lock:
            self.generation += 1
            self.state = _seeded_state()
            self.tokens.clear()
            self.calls.clear()
            self.queries.clear()
            self.composite_sizes.clear()
            self.api_used = 0
            self.picklists = {"EM_Confidence__c": set(CONFIDENCE_VALUES)}
            self.field_overrides = {}
            self.hidden_fields = set()
            self._status_faults.clear()
            self._record_faults.clear()
            self.latency = 0.0
            self._latency_calls = None
            self._latency_kinds = None
            self._cursors.clear()
            self._release_all_held()
            self._init_run_faults()

    # -- configuration -----------------------------------------------------------------------------
    def register_app(
        self,
        consumer_key: str,
        consumer_secret: str,
        *,
        certificate_pem: bytes | None = None,
        run_as: str | None = None,
    ) -> ConnectedApp:
        app = ConnectedApp(consumer_key, consumer_secret, certificate_pem, run_as)
        self.apps[consumer_key] = app
        return app

    def add_login(self, username: str, password: str) -> None:
        self.passwords[username] = password

    def new_id(self, prefix: str) -> str:
        return f"{prefix}FK{next(self._ids):013d}"[:18]

    def add_user(self, user_id: str | None = None, *, name: str, email: str) -> str:
        user_id = user_id or self.new_id("005")
        with self.lock:
            self.state.users[user_id] = {"Id": user_id, "Name": name, "Email": email}
        return user_id

    def add_account(self, account_id: str | None = None, *, name: str) -> str:
        account_id = account_id or self.new_id("001")
        with self.lock:
            self.state.accounts[account_id] = {"Id": account_id, "Name": name}
        return account_id

    def add_record_type(
        self, record_type_id: str | None = None, *, name: str, developer_name: str | None = None
    ) -> str:
        """A record type: `name` is its label, `developer_name` its API name (from the label by
        default, as Salesforce suggests it: spaces become underscores)."""
        record_type_id = record_type_id or self.new_id("012")
        developer_name = developer_name or re.sub(r"\W+", "_", name).strip("_")
        with self.lock:
            self.state.record_types[record_type_id] = {
                "Id": record_type_id,
                "Name": name,
                "DeveloperName": developer_name,
            }
        return record_type_id

    def record_type_id(self, name: str) -> str:
        """The id of the record type with this label or developer name (made if there is none)."""
        for record_type in self.state.record_types.values():
            if name in (record_type["Name"], record_type["DeveloperName"]):
                return str(record_type["Id"])
        return self.add_record_type(name=name)

    def rename_record_type(self, name: str, new_label: str) -> None:
        """An administrator changes a record type's label; its DeveloperName stays."""
        with self.lock:
            self.state.record_types[self.record_type_id(name)]["Name"] = new_label

    def change_record_type(self, opportunity_id: str, record_type: str) -> None:
        """Someone moves the opportunity to another record type (by label or developer name)."""
        self.update_opportunity(opportunity_id, RecordTypeId=self.record_type_id(record_type))

    def set_field(self, name: str, **metadata: Any) -> None:
        """Change a field's describe metadata (e.g. length=255, updateable=False); updates obey it."""
        with self.lock:
            self.field_overrides.setdefault(name, {}).update(metadata)

    def hide_field(self, name: str) -> None:
        """Field-level security hides the field from the integration user."""
        with self.lock:
            self.hidden_fields.add(name)

    def resolve_id(self, value: Any, table: dict[str, dict[str, Any]]) -> Any:
        """A 15-character id names the same record as its 18-character form."""
        if isinstance(value, str) and len(value) == 15:
            for known in table:
                if known[:15] == value:
                    return known
        return value

    def add_opportunity(self, opportunity_id: str | None = None, **fields: Any) -> str:
        """Create an opportunity as Salesforce would hold it (defaults fill the rest)."""
        opportunity_id = opportunity_id or self.new_id("006")
        stamp = fields.pop("SystemModstamp", None) or now()
        record: dict[str, Any] = {
            "Id": opportunity_id,
            "Name": f"Opportunity {opportunity_id}",
            "AccountId": None,
            "OwnerId": None,
            "StageName": "Discovery",
            "Type": "New Business",
            "RecordTypeId": self.record_type_id("Professional Services"),
            "CloseDate": (now() + dt.timedelta(days=30)).date(),
            "Amount": Decimal("100000"),
            "CurrencyIsoCode": "USD",
            "Probability": Decimal("20"),
            "ForecastCategoryName": "Pipeline",
            "IsClosed": False,
            "IsWon": False,
            "IsDeleted": False,
            "Engagement_Manager__c": None,
            "EM_Confidence__c": "Grey",
            "EM_Confidence_Rationale__c": None,
            "Scoping_Issue_Link__c": None,
            "SystemModstamp": stamp,
            "LastModifiedDate": stamp,
            "LastModifiedById": SALESFORCE_USER_ID,
        }
        unknown = set(fields) - OPPORTUNITY_FIELDS
        if unknown:
            raise ValueError(f"unknown Opportunity fields {sorted(unknown)}")
        record.update(fields)
        with self.lock:
            self.state.opportunities[opportunity_id] = record
        return opportunity_id

    def update_opportunity(
        self,
        opportunity_id: str,
        *,
        stamp: dt.datetime | None = None,
        as_user: str = SALESFORCE_USER_ID,
        **fields: Any,
    ) -> None:
        """Someone (`as_user`, a Salesforce user id) edits the record in Salesforce: the values
        change, SystemModstamp and LastModifiedDate move and LastModifiedById names them."""
        with self.lock:
            record = self.state.opportunities[opportunity_id]
            record.update(fields)
            record["SystemModstamp"] = record["LastModifiedDate"] = stamp or now()
            record["LastModifiedById"] = as_user

    def delete_opportunity(self, opportunity_id: str) -> None:
        """Move it to the recycle bin: queryAll still returns it, with IsDeleted = true."""
        self.update_opportunity(opportunity_id, IsDeleted=True)

    def purge_opportunity(self, opportunity_id: str) -> None:
        """Empty it from the recycle bin: no query returns it any more."""
        with self.lock:
            self.state.opportunities.pop(opportunity_id)

    def opportunity(self, opportunity_id: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.state.opportunities[opportunity_id])

    def load_generated(
        self,
        n: int,
        *,
        start: int = 0,
        prefix: str = "006GN",
        em_user_ids: list[str] | None = None,
        accounts: int = 50,
        stamp: dt.datetime | None = None,
        seed: int = 7,
    ) -> list[str]:
        """Add n generated PS opportunities (ids prefix + 13 digits); returns their ids."""
        rng = random.Random(seed + start)
        account_ids = [
            self.add_account(f"001GN{i:013d}", name=f"Generated account {i}") for i in range(accounts)
        ]
        owner = self.add_user("005GN0000000000001", name="Alex Owner", email="alex.owner@example.com")
        record_type = self.record_type_id("Professional Services")
        base = stamp or now() - dt.timedelta(days=1)
        today = now().date()
        ids = []
        stages = ["Qualification", "Discovery", "Solution Proposal", "Negotiation"]
        records = {}
        for i in range(start, start + n):
            opportunity_id = f"{prefix}{i:013d}"[:18]
            modstamp = base + dt.timedelta(milliseconds=i)
            em = em_user_ids[i % len(em_user_ids)] if em_user_ids else None
            records[opportunity_id] = {
                "Id": opportunity_id,
                "Name": f"Generated opportunity {i}",
                "AccountId": account_ids[i % len(account_ids)],
                "OwnerId": owner,
                "StageName": rng.choice(stages),
                "Type": "New Business",
                "RecordTypeId": record_type,
                "CloseDate": today + dt.timedelta(days=rng.randrange(1, 200)),
                "Amount": Decimal(rng.randrange(10, 900) * 1000),
                "CurrencyIsoCode": "USD",
                "Probability": Decimal(rng.choice([10, 20, 40, 70])),
                "ForecastCategoryName": "Pipeline",
                "IsClosed": False,
                "IsWon": False,
                "IsDeleted": False,
                "Engagement_Manager__c": em,
                "EM_Confidence__c": "Grey",
                "EM_Confidence_Rationale__c": None,
                "Scoping_Issue_Link__c": None,
                "SystemModstamp": modstamp,
                "LastModifiedDate": modstamp,
                "LastModifiedById": SALESFORCE_USER_ID,
            }
            ids.append(opportunity_id)
        with self.lock:
            self.state.opportunities.update(records)
        return ids

    # -- faults ------------------------------------------------------------------------------------
    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 503,
        error_code: str = "SERVER_UNAVAILABLE",
        message: str = "The server is temporarily unavailable.",
        kinds: set[str] | None = None,
        html: bool = False,
        body: str | None = None,
        content_type: str = "text/html;charset=UTF-8",
    ) -> None:
        """Answer the next `count` data API calls (of `kinds`: query, queryMore, composite,
        sobject, describe, token) with this status and error code — or, with `html`, with the HTML
        maintenance page Salesforce shows, or with any raw `body` (e.g. a 200 that is not JSON)."""
        raw = MAINTENANCE_PAGE if html else body
        with self.lock:
            self._status_faults.append(
                StatusFault(
                    status,
                    error_code,
                    message,
                    count,
                    frozenset(kinds) if kinds else None,
                    body=raw,
                    content_type=content_type,
                )
            )

    def fail_records(
        self,
        ids: list[str],
        *,
        error_code: str = "UNABLE_TO_LOCK_ROW",
        message: str = "unable to obtain exclusive access to this record",
        times: int = 1,
    ) -> None:
        """The next `times` updates of each of these records fail with this error code."""
        with self.lock:
            for record_id in ids:
                self._record_faults[record_id] = RecordFault(error_code, message, times)

    def slow_down(self, seconds: float, *, calls: int | None = None, kinds: set[str] | None = None) -> None:
        """Delay data API answers (of `kinds`, default all) by `seconds`, for the next `calls`
        calls or until reset. The call is still carried out after the delay, as Salesforce would."""
        with self.lock:
            self.latency = seconds
            self._latency_calls = calls
            self._latency_kinds = frozenset(kinds) if kinds else None

    # -- what people and the network do while a run is going ----------------------------------------
    def _init_run_faults(self) -> None:
        self.before_hooks: list[Hook] = []
        self.after_hooks: list[Hook] = []
        self._holds: list[tuple[frozenset[str], bool]] = []
        self._held: list[_HeldWrite] = []
        self.hold_seconds = 30.0
        # Fields the integration user may read but not write (e.g. read-only field-level security).
        self.write_forbidden_fields: set[str] = set()

    def forbid_writes(self, name: str) -> None:
        """Updates naming this field are refused: a collection call carrying it anywhere is
        answered 400 as a whole, a single-record PATCH with INVALID_FIELD_FOR_INSERT_UPDATE."""
        with self.lock:
            self.write_forbidden_fields.add(name)

    def before_request(self, hook: Hook) -> None:
        """Call `hook(kind, detail)` as each data API call arrives, before it is served (kind:
        query, queryMore, composite, sobject; detail: the SOQL, or the record ids written)."""
        self.before_hooks.append(hook)

    def after_request(self, hook: Hook) -> None:
        """Call `hook(kind, detail)` once a data API call has been carried out, before its answer
        is sent: an edit made here lands after the app's read or write and before it hears back."""
        self.after_hooks.append(hook)

    def _run_hooks(self, hooks: list[Hook], kind: str, detail: str) -> None:
        for hook in list(hooks):
            hook(kind, detail)

    def hold_writes(
        self, count: int = 1, *, after_next_write: bool = False, kinds: set[str] | None = None
    ) -> None:
        """The next `count` writes (composite, sobject) are received but neither applied nor
        answered, so the client times out. Each is applied late: by `release_held()`, right after
        the next write that is answered (`after_next_write`), or after `hold_seconds`."""
        with self.lock:
            for _ in range(count):
                self._holds.append((frozenset(kinds or {"composite", "sobject"}), after_next_write))

    @property
    def held_writes(self) -> int:
        with self.lock:
            return sum(1 for held in self._held if not held.answered.is_set())

    def _take_hold(self, kind: str, target: str, body: Any) -> _HeldWrite | None:
        with self.lock:
            for index, (kinds, after_next_write) in enumerate(self._holds):
                if kind in kinds:
                    del self._holds[index]
                    self.calls[kind] += 1  # received (and counted) now; applied later
                    held = _HeldWrite(kind, target, body, after_next_write)
                    self._held.append(held)
                    return held
        return None

    def _apply_held(self, held: _HeldWrite) -> None:
        with self.lock:
            if held.answered.is_set():
                return
            if held.kind == "composite":
                self.composite_update(held.body, count=False)
            else:
                self.sobject_update("Opportunity", held.target, held.body, count=False)
            self.count(f"late:{held.kind}")
            held.answered.set()

    def release_held(self) -> int:
        """Apply every held write now, in the order they arrived; how many were applied."""
        with self.lock:
            pending = [held for held in self._held if not held.answered.is_set()]
            for held in pending:
                self._apply_held(held)
            return len(pending)

    def _release_after_write(self) -> None:
        with self.lock:
            for held in [h for h in self._held if h.after_next_write and not h.answered.is_set()]:
                self._apply_held(held)

    def _release_all_held(self) -> None:
        """On reset: let waiting handler threads go without applying anything."""
        with self.lock:
            for held in self._held:
                held.answered.set()

    def expire_sessions(self) -> None:
        """Every issued access token stops working (401 INVALID_SESSION_ID)."""
        with self.lock:
            self.tokens.clear()

    def count(self, kind: str) -> None:
        with self.lock:
            self.calls[kind] += 1

    @property
    def api_calls(self) -> int:
        return sum(n for kind, n in self.calls.items() if not kind.startswith("token"))

    # -- request handling (called by the handler, under no lock) -------------------------------------
    def _take_status_fault(self, kind: str) -> StatusFault | None:
        with self.lock:
            for fault in self._status_faults:
                applies = (fault.kinds is None and kind != "token") or (
                    fault.kinds is not None and kind in fault.kinds
                )
                if applies and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        return None

    def _take_latency(self, kind: str) -> float:
        with self.lock:
            if not self.latency or (self._latency_kinds is not None and kind not in self._latency_kinds):
                return 0.0
            if self._latency_calls is not None:
                if self._latency_calls <= 0:
                    return 0.0
                self._latency_calls -= 1
            return self.latency

    def _take_record_fault(self, record_id: str) -> RecordFault | None:
        with self.lock:
            fault = self._record_faults.get(record_id)
            if fault is None or fault.remaining <= 0:
                return None
            fault.remaining -= 1
            return fault

    # OAuth
    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type", "")
        self.count("token")
        if grant == "password":
            self.count("token:password")
            app = self.apps.get(form.get("client_id", ""))
            if app is None:
                return 400, {"error": "invalid_client_id", "error_description": "client identifier invalid"}
            if app.consumer_secret != form.get("client_secret"):
                return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            username = form.get("username", "")
            if self.passwords.get(username) is None or self.passwords[username] != form.get("password"):
                return 400, {"error": "invalid_grant", "error_description": "authentication failure"}
        elif grant == "client_credentials":
            self.count("token:client_credentials")
            app = self.apps.get(form.get("client_id", ""))
            if app is None or app.consumer_secret != form.get("client_secret"):
                return 400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            if not app.run_as:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "no client credentials user enabled",
                }
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            self.count("token:jwt")
            problem = self._check_assertion(form.get("assertion", ""))
            if problem:
                return 400, {"error": "invalid_grant", "error_description": problem}
        else:
            return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
        access_token = f"{ORG_ID}!{secrets.token_urlsafe(24)}"
        with self.lock:
            self.tokens.add(access_token)
        return 200, {
            "access_token": access_token,
            "instance_url": self.url,
            "id": f"{self.url}/id/{ORG_ID}/{INTEGRATION_USER_ID}",
            "token_type": "Bearer",
            "issued_at": str(int(now().timestamp() * 1000)),
            "signature": secrets.token_urlsafe(16),
        }

    def _check_assertion(self, assertion: str) -> str:
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return "invalid assertion"
        app = self.apps.get(str(claims.get("iss", "")))
        if app is None or not app.certificate_pem:
            return "invalid assertion: unknown issuer"
        try:
            jwt.decode(
                assertion,
                _public_key(app.certificate_pem),
                algorithms=["RS256"],
                audience=[self.url, "https://login.salesforce.com", "https://test.salesforce.com"],
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            return "expired assertion"
        except jwt.InvalidAudienceError:
            return "audience is invalid"
        except jwt.PyJWTError:
            return "invalid assertion: signature"
        if str(claims.get("sub", "")) not in self.passwords:
            return "user hasn't approved this consumer"
        return ""

    # query / queryAll
    def _get(self, record: dict[str, Any], path: str) -> Any:
        if "." not in path:
            value = record.get(path)
            if isinstance(value, str) and FIELD_TYPES.get(path, ("",))[0] in ("id", "reference"):
                return SalesforceId(value)  # compared with a 15- or 18-character literal
            return value
        relationship, _, rest = path.partition(".")
        lookup = RELATIONSHIPS.get(relationship)
        if lookup is None:
            return None
        related_id = record.get(lookup[0])
        related = self._related(lookup[1]).get(related_id) if related_id else None
        value = related.get(rest) if related else None
        return SalesforceId(value) if rest == "Id" and isinstance(value, str) else value

    def _related(self, sobject: str) -> dict[str, dict[str, Any]]:
        return {
            "Account": self.state.accounts,
            "User": self.state.users,
            "RecordType": self.state.record_types,
        }[sobject]

    def _known_field(self, path: str) -> bool:
        if "." not in path:
            return (
                path in OPPORTUNITY_FIELDS
                and path not in self.hidden_fields
                and (self.multi_currency or path != "CurrencyIsoCode")
            )
        relationship, _, rest = path.partition(".")
        lookup = RELATIONSHIPS.get(relationship)
        return lookup is not None and rest in RELATED_FIELDS[lookup[1]]

    def _shape(self, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        prefix = f"/services/data/v{API_VERSION}/sobjects"
        out: dict[str, Any] = {
            "attributes": {"type": "Opportunity", "url": f"{prefix}/Opportunity/{record['Id']}"}
        }
        for path in fields:
            if "." not in path:
                out[path] = _json_value(record.get(path))
                continue
            relationship, _, rest = path.partition(".")
            lookup_field, sobject = RELATIONSHIPS[relationship]
            related_id = record.get(lookup_field)
            related = self._related(sobject).get(related_id) if related_id else None
            if related is None:
                out[relationship] = None
                continue
            nested = out.get(relationship) or {
                "attributes": {"type": sobject, "url": f"{prefix}/{sobject}/{related_id}"}
            }
            nested[rest] = _json_value(related.get(rest))
            out[relationship] = nested
        return out

    def query(self, soql: str, *, include_deleted: bool) -> tuple[int, Any]:
        self.count("queryAll" if include_deleted else "query")
        with self.lock:
            self.queries.append(soql)
            try:
                query = parse(soql, self._get)
            except SoqlError as exc:
                return 400, [{"message": str(exc), "errorCode": "MALFORMED_QUERY"}]
            if query.sobject != "Opportunity":
                return 400, [
                    {
                        "message": f"sObject type '{query.sobject}' is not supported.",
                        "errorCode": "INVALID_TYPE",
                    }
                ]
            unknown = [f for f in [*query.fields, *query.where_fields] if not self._known_field(f)]
            if unknown:
                return 400, [
                    {
                        "message": f"No such column '{unknown[0]}' on entity 'Opportunity'.",
                        "errorCode": "INVALID_FIELD",
                    }
                ]
            try:
                rows = [
                    r
                    for r in self.state.opportunities.values()
                    if (include_deleted or not r["IsDeleted"]) and (query.where is None or query.where(r))
                ]
            except SoqlError as exc:
                return 400, [{"message": str(exc), "errorCode": "MALFORMED_QUERY"}]
            for name, descending, nulls_last in reversed(query.order_by):
                present = [r for r in rows if self._get(r, name) is not None]
                missing = [r for r in rows if self._get(r, name) is None]
                present.sort(key=lambda r: _sort_key(self._get(r, name)), reverse=descending)
                rows = present + missing if nulls_last else missing + present
            if query.limit is not None:
                rows = rows[: query.limit]
            shaped = [self._shape(r, query.fields) for r in rows]
        return 200, self._page(shaped, 0, "queryAll" if include_deleted else "query", None)

    def _page(
        self, shaped: list[dict[str, Any]], offset: int, endpoint: str, locator: str | None
    ) -> dict[str, Any]:
        chunk = shaped[offset : offset + self.page_size]
        done = offset + self.page_size >= len(shaped)
        body: dict[str, Any] = {"totalSize": len(shaped), "done": done, "records": chunk}
        if not done:
            if locator is None:
                locator = f"01gFK{secrets.token_hex(6).upper()}"
                with self.lock:
                    self._cursors[locator] = _QueryCursor(shaped, endpoint)
            body["nextRecordsUrl"] = (
                f"/services/data/v{API_VERSION}/{endpoint}/{locator}-{offset + self.page_size}"
            )
        elif locator is not None:
            with self.lock:
                self._cursors.pop(locator, None)
        return body

    def query_more(self, locator_offset: str) -> tuple[int, Any]:
        self.count("queryMore")
        locator, _, offset = locator_offset.rpartition("-")
        with self.lock:
            cursor = self._cursors.get(locator)
        if cursor is None or not offset.isdigit():
            return 400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]
        return 200, self._page(cursor.records, int(offset), cursor.endpoint, locator)

    # describe
    def field_metadata(self, name: str) -> dict[str, Any]:
        """One field's describe entry, as Salesforce's DescribeFieldResult has it (the subset the
        app reads), with any override from set_field."""
        kind, length, label = FIELD_TYPES[name]
        reference, relationship = REFERENCE_TO.get(name, (None, None))
        allowed = self.picklists.get(name)
        values = sorted(allowed, key=lambda v: ((CONFIDENCE_VALUES + (v,)).index(v), v)) if allowed else []
        meta: dict[str, Any] = {
            "name": name,
            "label": label,
            "type": kind,
            "length": length,
            "custom": name.endswith("__c"),
            "updateable": name in UPDATABLE_FIELDS,
            "createable": name in UPDATABLE_FIELDS,
            "nillable": name not in ("Id", "Name", "StageName", "CloseDate", "IsDeleted"),
            "referenceTo": [reference] if reference else [],
            "relationshipName": relationship,
            "restrictedPicklist": allowed is not None,
            "picklistValues": [
                {"active": True, "defaultValue": v == "Grey", "label": v, "validFor": None, "value": v}
                for v in values
            ],
        }
        meta.update(self.field_overrides.get(name, {}))
        return meta

    def describe(self, sobject: str) -> tuple[int, Any]:
        self.count("describe")
        if sobject != "Opportunity":
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        with self.lock:
            fields = [
                self.field_metadata(name)
                for name in FIELD_TYPES
                if name not in self.hidden_fields and (self.multi_currency or name != "CurrencyIsoCode")
            ]
        return 200, {
            "name": "Opportunity",
            "label": "Opportunity",
            "keyPrefix": "006",
            "custom": False,
            "queryable": True,
            "updateable": True,
            "fields": fields,
            "urls": {"describe": f"/services/data/v{API_VERSION}/sobjects/Opportunity/describe"},
        }

    # updates
    def _update_one(self, record_id: str, fields: dict[str, Any]) -> list[dict[str, Any]]:
        """Apply one record update; the errors (empty on success)."""
        record_id = self.resolve_id(record_id, self.state.opportunities)
        record = self.state.opportunities.get(record_id)
        if record is None:
            return [
                {
                    "statusCode": "INVALID_ID_FIELD",
                    "message": f"invalid record id {record_id}",
                    "fields": ["Id"],
                }
            ]
        if record["IsDeleted"]:
            return [{"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]
        fault = self._take_record_fault(record_id)
        if fault is not None:
            return [{"statusCode": fault.error_code, "message": fault.message, "fields": []}]
        fields = dict(fields)
        for name, value in fields.items():
            if name not in OPPORTUNITY_FIELDS or name in self.hidden_fields:
                return [
                    {
                        "statusCode": "INVALID_FIELD",
                        "message": f"No such column '{name}' on sobject of type Opportunity",
                        "fields": [name],
                    }
                ]
            overrides = self.field_overrides.get(name, {})
            if name in self.write_forbidden_fields:
                return [
                    {
                        "statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                        "message": _forbidden_message(name),
                        "fields": [name],
                    }
                ]
            if not overrides.get("updateable", name in UPDATABLE_FIELDS):
                return [
                    {
                        "statusCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                        "message": f"Unable to create/update fields: {name}.",
                        "fields": [name],
                    }
                ]
            allowed = self.picklists.get(name)
            if allowed is not None and value is not None and value not in allowed:
                return [
                    {
                        "statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        "message": f"bad value for restricted picklist field: {value}",
                        "fields": [name],
                    }
                ]
            limit = overrides.get("length", TEXT_LIMITS.get(name))
            if limit is not None and value is not None and len(str(value)) > limit:
                return [
                    {
                        "statusCode": "STRING_TOO_LONG",
                        "message": f"{name}: data value too large (max length={limit})",
                        "fields": [name],
                    }
                ]
            if name == "Engagement_Manager__c":
                value = fields[name] = self.resolve_id(value, self.state.users)
            if name == "Engagement_Manager__c" and value is not None and value not in self.state.users:
                return [
                    {
                        "statusCode": "INVALID_CROSS_REFERENCE_KEY",
                        "message": f"invalid cross reference id: {value}",
                        "fields": [name],
                    }
                ]
        record.update(fields)
        record["SystemModstamp"] = record["LastModifiedDate"] = now()
        record["LastModifiedById"] = INTEGRATION_USER_ID
        return []

    def composite_update(self, body: Any, *, count: bool = True) -> tuple[int, Any]:
        if count:
            self.count("composite")
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            return 400, [{"message": "records is required", "errorCode": "JSON_PARSER_ERROR"}]
        if len(records) > COLLECTION_LIMIT:
            return 400, [
                {
                    "message": "record limit reached. cannot submit more than 200 records into this call",
                    "errorCode": "EXCEEDED_ID_LIMIT",
                }
            ]
        refused = self._refuse_whole_call(records)
        if refused is not None:
            return 400, [refused]
        all_or_none = bool(body.get("allOrNone"))
        with self.lock:
            if count:
                self.composite_sizes.append(len(records))
            saved = {r.get("id"): dict(self.state.opportunities.get(r.get("id"), {})) for r in records}
            results = []
            for record in records:
                attributes = record.get("attributes") or {}
                record_id = str(record.get("id") or "")
                if attributes.get("type") != "Opportunity":
                    errors = [
                        {"statusCode": "INVALID_TYPE", "message": "sObject type required", "fields": []}
                    ]
                else:
                    fields = {k: v for k, v in record.items() if k not in ("attributes", "id")}
                    errors = self._update_one(record_id, fields)
                results.append(
                    {"id": record_id, "success": True, "errors": []}
                    if not errors
                    else {"success": False, "errors": errors}
                )
            if all_or_none and any(not r["success"] for r in results):
                for record_id, before in saved.items():
                    if before:
                        self.state.opportunities[record_id] = before
                results = [
                    r
                    if not r["success"]
                    else {
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                "message": "Record rolled back because not all records were valid.",
                                "fields": [],
                            }
                        ],
                    }
                    for r in results
                ]
        return 200, results

    def _refuse_whole_call(self, records: list[Any]) -> dict[str, Any] | None:
        """Salesforce reads the whole body before saving anything: a field it does not know (or
        the integration user cannot see) or a malformed id refuses the call, not one record."""
        for record in records:
            if not isinstance(record, dict):
                return {"message": "records must be objects", "errorCode": "JSON_PARSER_ERROR"}
            for name in record:
                if name in ("attributes", "id"):
                    continue
                if name not in OPPORTUNITY_FIELDS or name in self.hidden_fields:
                    return {
                        "message": f"No such column '{name}' on sobject of type Opportunity",
                        "errorCode": "INVALID_FIELD",
                    }
                if name in self.write_forbidden_fields:
                    return {
                        "message": _forbidden_message(name),
                        "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                        "fields": [name],
                    }
            record_id = str(record.get("id") or "")
            if not _WELL_FORMED_ID.fullmatch(record_id):
                return {
                    "message": f"Opportunity ID: id value of incorrect type: {record_id}",
                    "errorCode": "MALFORMED_ID",
                    "fields": ["Id"],
                }
        return None

    def sobject_update(
        self, sobject: str, record_id: str, body: Any, *, count: bool = True
    ) -> tuple[int, Any]:
        if count:
            self.count("sobject")
        if sobject != "Opportunity":
            return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
        if not isinstance(body, dict):
            return 400, [{"message": "a JSON object is required", "errorCode": "JSON_PARSER_ERROR"}]
        with self.lock:
            record_id = self.resolve_id(record_id, self.state.opportunities)
            if record_id not in self.state.opportunities:
                return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
            errors = self._update_one(record_id, body)
        if errors:
            return 400, [
                {"message": e["message"], "errorCode": e["statusCode"], "fields": e.get("fields", [])}
                for e in errors
            ]
        return 204, None


def _forbidden_message(name: str) -> str:
    return (
        f"Unable to create/update fields: {name}. Please check the security settings of this field "
        "and verify that it is read/write for your profile or permission set."
    )


_WELL_FORMED_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")


def _sort_key(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _public_key(pem: bytes) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if b"BEGIN CERTIFICATE" in pem:
        return x509.load_pem_x509_certificate(pem).public_key()
    return load_pem_public_key(pem)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSalesforce
    protocol_version = "HTTP/1.1"
    server_version = "FakeSalesforce/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — the base class's name
        if self.fake.verbose:  # unquoted, so a person can read the SOQL
            logger.info("%s", unquote_plus(format % args))

    # plumbing
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, payload: Any, *, data_api: bool = True) -> None:
        body = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if body:
                self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            if data_api:
                self.send_header("Sforce-Limit-Info", f"api-usage={self.fake.api_used}/{self.fake.api_limit}")
            self.end_headers()
            if body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True  # the client gave up (a timeout): nothing to answer

    def _data_call(self, kind: str, detail: str = "") -> bool:
        """Count, delay, authenticate, inject faults and run the before-request hooks; False when
        the call was answered here."""
        fake = self.fake
        with fake.lock:
            fake.api_used += 1
            generation = fake.generation
        delay = fake._take_latency(kind)
        if delay:
            threading.Event().wait(delay)
        if fake.generation != generation:
            # a request an earlier test left waiting (its client timed out): the org was reset
            # since, so it must not count towards, or answer, the current test
            self.close_connection = True
            return False
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        if token not in fake.tokens:
            fake.count("unauthorized")
            self._reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
            return False
        fault = fake._take_status_fault(kind)
        if fault is not None:
            fake.count(f"fault:{kind}")
            if fault.body is not None:
                self._reply_raw(fault.status, fault.body, fault.content_type)
                return False
            self._reply(fault.status, [{"message": fault.message, "errorCode": fault.error_code}])
            return False
        fake._run_hooks(fake.before_hooks, kind, detail)
        return True

    def _wait_held(self, held: _HeldWrite) -> None:
        """Keep a held write's connection open without answering (the client times out); apply
        it here if nobody released it within hold_seconds."""
        if not held.answered.wait(self.fake.hold_seconds):
            self.fake._apply_held(held)
        self.close_connection = True

    def _reply_raw(self, status: int, text: str, content_type: str) -> None:
        body = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Sforce-Limit-Info", f"api-usage={self.fake.api_used}/{self.fake.api_limit}")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _route(self) -> tuple[str, list[str], dict[str, list[str]]]:
        parsed = urlparse(self.path)
        parts = [p for p in parsed.path.split("/") if p]
        return parsed.path, parts, parse_qs(parsed.query)

    # verbs
    def do_POST(self) -> None:
        path, _, _ = self._route()
        body = self._body()
        if path != "/services/oauth2/token":
            self._reply(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
            return
        fault = self.fake._take_status_fault("token")
        if fault is not None:
            self._reply(
                fault.status, {"error": fault.error_code, "error_description": fault.message}, data_api=False
            )
            return
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        status, payload = self.fake.token(form)
        self._reply(status, payload, data_api=False)

    def do_GET(self) -> None:
        path, parts, params = self._route()
        if parts[:1] == ["_fake"]:
            self._inspect(parts[1:])
            return
        if parts[:2] != ["services", "data"] or len(parts) < 4:
            self._reply(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
            return
        endpoint = parts[3]
        if endpoint in ("query", "queryAll") and len(parts) == 4:
            soql = (params.get("q") or [""])[0]
            if not self._data_call("query", soql):
                return
            status, payload = self.fake.query(soql, include_deleted=endpoint == "queryAll")
            self.fake._run_hooks(self.fake.after_hooks, "query", soql)
        elif endpoint in ("query", "queryAll") and len(parts) == 5:
            if not self._data_call("queryMore", parts[4]):
                return
            status, payload = self.fake.query_more(parts[4])
            self.fake._run_hooks(self.fake.after_hooks, "queryMore", parts[4])
        elif endpoint == "sobjects" and len(parts) == 6 and parts[5] == "describe":
            if not self._data_call("describe"):
                return
            status, payload = self.fake.describe(parts[4])
        else:
            status, payload = (
                404,
                [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
            )
        self._reply(status, payload)

    def do_PATCH(self) -> None:
        path, parts, _ = self._route()
        raw = self._body()
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._reply(400, [{"message": "invalid JSON", "errorCode": "JSON_PARSER_ERROR"}])
            return
        fake = self.fake
        if parts[:2] == ["services", "data"] and parts[3:] == ["composite", "sobjects"]:
            records = body.get("records") if isinstance(body, dict) else None
            ids = ",".join(str(r.get("id")) for r in records or [] if isinstance(r, dict))
            if not self._data_call("composite", ids):
                return
            held = fake._take_hold("composite", "", body)
            if held is not None:
                self._wait_held(held)
                return
            status, payload = fake.composite_update(body)
            fake._release_after_write()
            fake._run_hooks(fake.after_hooks, "composite", ids)
        elif parts[:2] == ["services", "data"] and len(parts) == 6 and parts[3] == "sobjects":
            if not self._data_call("sobject", parts[5]):
                return
            held = fake._take_hold("sobject", parts[5], body)
            if held is not None:
                self._wait_held(held)
                return
            status, payload = fake.sobject_update(parts[4], parts[5], body)
            fake._release_after_write()
            fake._run_hooks(fake.after_hooks, "sobject", parts[5])
        else:
            status, payload = (
                404,
                [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
            )
        self._reply(status, payload)

    def _inspect(self, parts: list[str]) -> None:
        """Plain JSON views for a person watching the demo: /_fake/state, /_fake/opportunities/<id>."""
        fake = self.fake
        with fake.lock:
            if parts == ["state"]:
                payload: Any = {
                    "opportunities": len(fake.state.opportunities),
                    "calls": dict(fake.calls),
                    "api_usage": f"{fake.api_used}/{fake.api_limit}",
                }
            elif len(parts) == 2 and parts[0] == "opportunities" and parts[1] in fake.state.opportunities:
                payload = {k: _json_value(v) for k, v in fake.state.opportunities[parts[1]].items()}
            else:
                self._reply(404, {"error": "not found"}, data_api=False)
                return
        self._reply(200, payload, data_api=False)
