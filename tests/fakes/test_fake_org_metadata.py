"""The fake org's describe, record types, purge, 15-character ids and raw fault answers, in the
shapes Salesforce's REST API documents (checked over HTTPS with requests)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.fakes.fake_salesforce import FakeSalesforce
from tests.fakes.test_fake_salesforce import data_url, fake, org, session  # noqa: F401

pytestmark = pytest.mark.usefixtures("fake")


def query_all(session: requests.Session, fake: FakeSalesforce, soql: str) -> list[dict[str, Any]]:  # noqa: F811
    response = session.get(data_url(fake, "queryAll"), params={"q": soql})
    assert response.status_code == 200, response.text
    return list(response.json()["records"])


def test_describe_lists_field_metadata(session, fake):  # noqa: F811
    fake.set_field("EM_Confidence_Rationale__c", length=1000)
    fake.hide_field("Scoping_Issue_Link__c")

    response = session.get(data_url(fake, "sobjects/Opportunity/describe"))

    assert response.status_code == 200
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
    body = response.json()
    assert body["name"] == "Opportunity"
    fields = {f["name"]: f for f in body["fields"]}
    assert "Scoping_Issue_Link__c" not in fields
    confidence = fields["EM_Confidence__c"]
    assert confidence["type"] == "picklist" and confidence["updateable"] is True
    assert [v["value"] for v in confidence["picklistValues"]] == ["Grey", "Red", "Amber", "Green"]
    assert set(confidence["picklistValues"][0]) == {"active", "defaultValue", "label", "validFor", "value"}
    assert fields["EM_Confidence_Rationale__c"]["length"] == 1000
    assert fields["Engagement_Manager__c"]["referenceTo"] == ["User"]
    assert fields["Id"]["updateable"] is False


def test_a_renamed_record_type_keeps_its_developer_name(session, fake):  # noqa: F811
    opp = fake.add_opportunity()
    fake.rename_record_type("Professional Services", "PS Engagements")

    by_developer = query_all(
        session,
        fake,
        "SELECT Id, RecordType.Name FROM Opportunity WHERE RecordType.DeveloperName = 'Professional_Services'",
    )
    by_label = query_all(
        session, fake, "SELECT Id FROM Opportunity WHERE RecordType.Name = 'Professional Services'"
    )

    assert [r["Id"] for r in by_developer] == [opp]
    assert by_developer[0]["RecordType"]["Name"] == "PS Engagements"
    assert by_label == []


def test_deleted_records_stay_in_query_all_until_purged(session, fake):  # noqa: F811
    kept, deleted, purged = fake.add_opportunity(), fake.add_opportunity(), fake.add_opportunity()
    fake.delete_opportunity(deleted)
    fake.delete_opportunity(purged)
    fake.purge_opportunity(purged)

    records = query_all(
        session,
        fake,
        f"SELECT Id, IsDeleted FROM Opportunity WHERE Id IN ('{kept}', '{deleted}', '{purged}')",
    )

    assert {r["Id"]: r["IsDeleted"] for r in records} == {kept: False, deleted: True}


def test_15_character_ids_name_the_same_record(session, fake):  # noqa: F811
    user = fake.add_user("005Dn000001AbCdIAK", name="Em", email="em@example.com")
    opp = fake.add_opportunity("006Dn000002XyZaAAB")

    found = query_all(session, fake, "SELECT Id FROM Opportunity WHERE Id = '006Dn000002XyZa'")
    response = session.patch(
        data_url(fake, "sobjects/Opportunity/006Dn000002XyZa"), json={"Engagement_Manager__c": user[:15]}
    )

    assert [r["Id"] for r in found] == [opp]
    assert response.status_code == 204
    assert fake.opportunity(opp)["Engagement_Manager__c"] == user


def test_id_in_matches_15_and_18_character_forms_and_not_in_the_rest(session, fake):  # noqa: F811
    first = fake.add_opportunity("006Dn000002XyZaAAB")
    second = fake.add_opportunity("006Dn000002XyZbAAB")
    third = fake.add_opportunity("006Dn000002XyZcAAB")

    found = query_all(session, fake, f"SELECT Id FROM Opportunity WHERE Id IN ('{first[:15]}', '{second}')")
    rest = query_all(
        session, fake, f"SELECT Id FROM Opportunity WHERE Id NOT IN ('{first}', '{second[:15]}')"
    )
    # 18 characters are compared whole (the last three carry the case of the first 15).
    other_case = query_all(session, fake, "SELECT Id FROM Opportunity WHERE Id IN ('006Dn000002XyZaXXX')")

    assert sorted(r["Id"] for r in found) == [first, second]
    assert [r["Id"] for r in rest] == [third]
    assert other_case == []


def test_html_and_non_json_faults(session, fake):  # noqa: F811
    fake.fail_next(1, status=503, html=True, kinds={"query"})
    fake.fail_next(1, status=200, body="not json", content_type="text/plain", kinds={"query"})

    maintenance = session.get(data_url(fake, "queryAll"), params={"q": "SELECT Id FROM Opportunity"})
    proxy = session.get(data_url(fake, "queryAll"), params={"q": "SELECT Id FROM Opportunity"})

    assert maintenance.status_code == 503 and maintenance.headers["Content-Type"].startswith("text/html")
    assert maintenance.text.startswith("<!DOCTYPE html>")
    assert proxy.status_code == 200 and proxy.text == "not json"
