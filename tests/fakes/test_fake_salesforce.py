"""The fake org answers like Salesforce for what the sync uses (checked over HTTPS with requests)."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.fakes.fake_salesforce import API_VERSION
from tests.fakes.setup import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    PASSWORD,
    SECURITY_TOKEN,
    USERNAME,
    start_fake_org,
)
from tests.fakes.soql import SoqlError, parse, tokenize


@pytest.fixture(scope="module")
def org():
    org = start_fake_org(page_size=3)
    yield org
    org.fake.stop()


@pytest.fixture
def fake(org):
    org.fake.reset()
    org.configure()
    return org.fake


@pytest.fixture
def session(fake):
    s = requests.Session()
    s.verify = str(fake.ca_path)
    s.trust_env = False
    token = s.post(
        f"{fake.url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": CONSUMER_KEY,
            "client_secret": CONSUMER_SECRET,
            "username": USERNAME,
            "password": PASSWORD + SECURITY_TOKEN,
        },
    ).json()["access_token"]
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def data_url(fake, path):
    return f"{fake.url}/services/data/v{API_VERSION}/{path}"


def test_soql_tokens_cover_literals():
    kinds = [
        t.kind
        for t in tokenize(
            "SystemModstamp >= 2026-01-02T03:04:05Z AND CloseDate < 2026-03-01 AND Amount > 5.5 AND Name = 'O\\'Brien'"
        )
    ]
    assert kinds == [
        "ident",
        "op",
        "datetime",
        "kw",
        "ident",
        "op",
        "date",
        "kw",
        "ident",
        "op",
        "number",
        "kw",
        "ident",
        "op",
        "string",
    ]


def test_soql_where_order_and_limit():
    rows: list[dict[str, Any]] = [
        {"Name": "b", "Amount": Decimal(5), "Stage": "Won"},
        {"Name": "A", "Amount": Decimal(7), "Stage": "Open"},
        {"Name": "c", "Amount": None, "Stage": "Open"},
    ]
    query = parse(
        "SELECT Name FROM Opportunity WHERE (Stage IN ('open', 'won') AND NOT Name LIKE 'c%') OR Amount = null "
        "ORDER BY Name DESC LIMIT 2",
        lambda record, name: record.get(name),
    )
    assert query.where is not None
    matching = [r["Name"] for r in rows if query.where(r)]
    assert matching == ["b", "A", "c"]
    assert query.order_by == [("Name", True, True)] and query.limit == 2


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT FROM Opportunity",
        "SELECT Id FROM Opportunity WHERE",
        "SELECT Id FROM Opportunity WHERE Name ~ 'x'",
    ],
)
def test_malformed_soql_is_an_error(soql):
    with pytest.raises(SoqlError):
        parse(soql, lambda record, name: None)


def test_query_pages_through_next_records_url(fake, session):
    for i in range(7):
        fake.add_opportunity(f"006FK{i:013d}", Name=f"Opp {i}")
    page = session.get(data_url(fake, "query"), params={"q": "SELECT Id FROM Opportunity ORDER BY Id"}).json()
    ids = [r["Id"] for r in page["records"]]
    while not page["done"]:
        page = session.get(fake.url + page["nextRecordsUrl"]).json()
        ids += [r["Id"] for r in page["records"]]
    assert ids == sorted(f"006FK{i:013d}" for i in range(7))
    assert page["totalSize"] == 7
    assert fake.calls["queryMore"] == 2


def test_query_all_includes_deleted_records_and_query_does_not(fake, session):
    fake.add_opportunity("006FK0000000000001", Name="Gone")
    fake.delete_opportunity("006FK0000000000001")
    soql = {"q": "SELECT Id, IsDeleted FROM Opportunity"}
    assert session.get(data_url(fake, "query"), params=soql).json()["records"] == []
    records = session.get(data_url(fake, "queryAll"), params=soql).json()["records"]
    assert records[0]["IsDeleted"] is True


def test_relationship_fields_and_the_limit_header(fake, session):
    account = fake.add_account(name="Acme")
    fake.add_opportunity(
        "006FK0000000000001",
        AccountId=account,
        SystemModstamp=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
    )
    response = session.get(
        data_url(fake, "query"),
        params={
            "q": "SELECT Id, Account.Name, Owner.Name, SystemModstamp FROM Opportunity WHERE SystemModstamp >= 2026-01-01T00:00:00Z"
        },
    )
    record = response.json()["records"][0]
    assert record["Account"]["Name"] == "Acme"
    assert record["Owner"] is None
    assert record["SystemModstamp"] == "2026-01-02T03:04:05.000+0000"
    assert response.headers["Sforce-Limit-Info"] == "api-usage=1/15000"


def test_unknown_field_is_invalid_field(fake, session):
    response = session.get(data_url(fake, "query"), params={"q": "SELECT Id, Nope__c FROM Opportunity"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"


def test_collections_update_reports_per_record_results(fake, session):
    fake.add_opportunity("006FK0000000000001")
    fake.add_opportunity("006FK0000000000002")
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Opportunity"}, "id": "006FK0000000000001", "EM_Confidence__c": "Green"},
            {"attributes": {"type": "Opportunity"}, "id": "006FK0000000000002", "EM_Confidence__c": "Purple"},
        ],
    }
    results = session.patch(data_url(fake, "composite/sobjects"), json=body).json()
    assert results[0] == {"id": "006FK0000000000001", "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert fake.opportunity("006FK0000000000001")["EM_Confidence__c"] == "Green"


def test_collections_refuse_more_than_200_records(fake, session):
    body = {"allOrNone": False, "records": [{"attributes": {"type": "Opportunity"}, "id": "x"}] * 201}
    response = session.patch(data_url(fake, "composite/sobjects"), json=body)
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_single_record_patch(fake, session):
    fake.add_opportunity("006FK0000000000001")
    ok = session.patch(
        data_url(fake, "sobjects/Opportunity/006FK0000000000001"), json={"EM_Confidence__c": "Red"}
    )
    assert ok.status_code == 204
    bad = session.patch(
        data_url(fake, "sobjects/Opportunity/006FK0000000000001"), json={"Scoping_Issue_Link__c": "x" * 300}
    )
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "STRING_TOO_LONG"


def test_injected_faults(fake, session):
    fake.add_opportunity("006FK0000000000001")
    fake.fail_next(1, status=503)
    assert session.get(data_url(fake, "query"), params={"q": "SELECT Id FROM Opportunity"}).status_code == 503
    fake.fail_records(["006FK0000000000001"], error_code="UNABLE_TO_LOCK_ROW", times=1)
    first = session.patch(
        data_url(fake, "sobjects/Opportunity/006FK0000000000001"), json={"EM_Confidence__c": "Red"}
    )
    assert first.json()[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert (
        session.patch(
            data_url(fake, "sobjects/Opportunity/006FK0000000000001"), json={"EM_Confidence__c": "Red"}
        ).status_code
        == 204
    )
    fake.expire_sessions()
    expired = session.get(data_url(fake, "query"), params={"q": "SELECT Id FROM Opportunity"})
    assert expired.status_code == 401 and expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "client_id": "nope"}, "invalid_client_id"),
        (
            {
                "grant_type": "password",
                "client_id": CONSUMER_KEY,
                "client_secret": CONSUMER_SECRET,
                "username": USERNAME,
                "password": "bad",
            },
            "invalid_grant",
        ),
        (
            {"grant_type": "client_credentials", "client_id": CONSUMER_KEY, "client_secret": "bad"},
            "invalid_client",
        ),
        (
            {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "not.a.jwt"},
            "invalid_grant",
        ),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
    ],
)
def test_token_endpoint_refusals(fake, form, error):
    response = requests.post(f"{fake.url}/services/oauth2/token", data=form, verify=str(fake.ca_path))
    assert response.status_code == 400
    assert response.json()["error"] == error
