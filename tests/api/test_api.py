"""The JSON API: schema and docs, tokens, optimistic locking over HTTP, problem details, paging."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from api import services
from api.models import ApiToken
from core.roles import Role
from engagements.models import Opportunity
from tests.api.conftest import TokenClient
from tests.engagements.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()
    yield
    cache.clear()


def _patch(client, opp_id, body, if_match=None):
    headers = {"HTTP_IF_MATCH": if_match} if if_match is not None else {}
    return client.patch(f"/api/v1/opportunities/{opp_id}", json.dumps(body), content_type=JSON, **headers)


def test_openapi_schema_lists_every_endpoint_and_problem_responses():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/opportunities",
        "/api/v1/opportunities/{opportunity_id}",
        "/api/v1/sows",
        "/api/v1/sow-versions/{version_id}/transitions/{action}",
        "/api/v1/forecast",
    ):
        assert path in paths, path
    patch = paths["/api/v1/opportunities/{opportunity_id}"]["patch"]
    assert "application/problem+json" in patch["responses"]["412"]["content"]
    assert "428" in patch["responses"]
    assert "ProblemDetails" in schema["components"]["schemas"]


def test_docs_page_is_served_from_the_apps_own_static_files():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert finders.find("ninja/swagger-ui-bundle.js") is not None


def test_token_is_shown_once_and_stored_hashed(em):
    new = services.token_create(actor=em.user, name="BI export", scope="read", expires_in_days=30)
    row = ApiToken.objects.get(pk=new.token.pk)
    assert row.key_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    stored = [str(getattr(row, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert new.secret not in stored
    assert row.prefix == new.secret[: len(row.prefix)] and len(row.prefix) < 12


def test_token_use_is_recorded_and_read_scope_cannot_write(em, region_amer):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    new = services.token_create(actor=em.user, name="read", scope="read", expires_in_days=30)
    client = TokenClient(new.secret)
    assert client.get(f"/api/v1/opportunities/{opp.pk}").status_code == 200
    assert ApiToken.objects.get(pk=new.token.pk).last_used_at is not None
    refused = _patch(client, opp.pk, {"em_confidence": "Red", "em_confidence_rationale": "x"}, '"1"')
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert Opportunity.objects.get(pk=opp.pk).em_confidence == "Grey"


def test_expired_revoked_and_unknown_tokens_are_refused(em):
    new = services.token_create(actor=em.user, name="t", scope="write", expires_in_days=1)
    client = TokenClient(new.secret)
    assert client.get("/api/v1/opportunities").status_code == 200
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = client.get("/api/v1/opportunities")
    assert expired.status_code == 401 and expired.json()["status"] == 401
    ApiToken.objects.filter(pk=new.token.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    assert client.get("/api/v1/opportunities").status_code == 200
    services.token_revoke(actor=em.user, token=new.token)
    assert client.get("/api/v1/opportunities").status_code == 401
    assert TokenClient("psp_" + "x" * 43).get("/api/v1/opportunities").status_code == 401
    assert Client().get("/api/v1/opportunities").status_code == 401


def test_token_creation_refuses_bad_input(em):
    with pytest.raises(ValidationError) as caught:
        services.token_create(actor=em.user, name=" ", scope="admin", expires_in_days=0)
    assert set(caught.value.message_dict) == {"name", "scope", "expires_in_days"}


def test_only_owner_or_administrator_revokes(em, other_em, admin_person):
    new = services.token_create(actor=em.user, name="t", scope="read", expires_in_days=5)
    with pytest.raises(Exception, match="owner"):
        services.token_revoke(actor=other_em.user, token=new.token)
    services.token_revoke(actor=admin_person.user, token=new.token)
    assert ApiToken.objects.get(pk=new.token.pk).revoked_by == admin_person.user


def test_rate_limit_answers_429_with_retry_after(em, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    client = TokenClient(
        services.token_create(actor=em.user, name="t", scope="read", expires_in_days=5).secret
    )
    statuses = [client.get("/api/v1/opportunities").status_code for _ in range(4)]
    limited = client.get("/api/v1/opportunities")
    # Each request is counted in the minute it falls in: a minute boundary may reset the count once.
    assert statuses[:3] == [200, 200, 200]
    assert 429 in (statuses[3], limited.status_code)
    last = limited if limited.status_code == 429 else None
    if last is not None:
        assert 1 <= int(last["Retry-After"]) <= 60
        assert last.json()["title"] == "Too Many Requests"


def test_two_updates_from_the_same_version_second_gets_412_and_first_value_stays(em, region_amer, api_client):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    client = api_client(em)
    etag = client.get(f"/api/v1/opportunities/{opp.pk}")["ETag"]
    assert etag == f'"{opp.version}"'
    first = _patch(client, opp.pk, {"em_confidence": "Green", "em_confidence_rationale": "PO signed"}, etag)
    assert first.status_code == 200
    assert first["ETag"] == f'"{opp.version + 1}"'
    second = _patch(client, opp.pk, {"em_confidence": "Red", "em_confidence_rationale": "slipping"}, etag)
    assert second.status_code == 412
    body = second.json()
    assert body["current"]["em_confidence"] == "Green"
    assert second["ETag"] == f'"{opp.version + 1}"'
    fresh = Opportunity.objects.get(pk=opp.pk)
    assert (fresh.em_confidence, fresh.em_confidence_rationale) == ("Green", "PO signed")


def test_update_without_if_match_is_428(em, region_amer, api_client):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    response = _patch(api_client(em), opp.pk, {"em_confidence": "Grey"})
    assert response.status_code == 428
    assert response.json()["title"] == "Precondition Required"


def test_service_refusal_is_a_problem_with_field_errors(em, region_amer, api_client):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    client = api_client(em)
    response = _patch(
        client, opp.pk, {"em_confidence": "Amber", "scoping_issue_link": "javascript:alert(1)"}, '"1"'
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"em_confidence_rationale", "scoping_issue_link"} <= fields
    bad = _patch(client, opp.pk, {"em_confidence": "Purple", "extra": 1}, '"1"')
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert Opportunity.objects.get(pk=opp.pk).version == opp.version


def test_list_filters_pages_and_links(em, region_amer, api_client):
    for n in range(5):
        OpportunityFactory(
            engagement_manager=em, region=region_amer, name=f"Deal {n}", amount=Decimal(1000 + n)
        )
    OpportunityFactory(engagement_manager=em, region=region_amer, name="Closed", is_closed=True, is_won=True)
    client = api_client(em)
    first = client.get("/api/v1/opportunities?scope=mine&page_size=2&sort=-amount").json()
    assert first["count"] == 5
    assert [row["amount"] for row in first["results"]] == [
        {"amount": "1004.00", "currency": "USD"},
        {"amount": "1003.00", "currency": "USD"},
    ]
    assert first["previous"] is None and "page=2" in first["next"]
    last = client.get(first["next"].replace("page=2", "page=3")).json()
    assert [row["name"] for row in last["results"]] == ["Deal 0"] and last["next"] is None
    won = client.get("/api/v1/opportunities?scope=mine&status=won").json()
    assert [row["name"] for row in won["results"]] == ["Closed"]
    searched = client.get("/api/v1/opportunities?scope=mine&q=deal%203").json()
    assert [row["name"] for row in searched["results"]] == ["Deal 3"]
    assert client.get("/api/v1/opportunities?page=9").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/api/v1/opportunities?scope=all", "/api/v1/sows", "/api/v1/scoping-issues", "/api/v1/people"],
)
def test_list_query_count_does_not_grow_with_rows(
    path, em_manager, em, region_amer, api_client, django_assert_max_num_queries
):
    from scoping.models import ScopingIssue
    from tests.people.factories import PersonFactory

    client = api_client(em_manager)

    def more_rows():
        opp = OpportunityFactory(engagement_manager=em, region=region_amer)
        ScopingIssue.objects.create(opportunity=opp, title=f"Scoping {opp.pk}")
        PersonFactory(region=region_amer)

    more_rows()
    with django_assert_max_num_queries(15) as few:
        assert client.get(path).status_code == 200
    for _ in range(12):
        more_rows()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(path).status_code == 200


def test_forecast_figures_match_the_rows(make_person, region_amer, api_client):
    director = make_person(Role.PS_DIRECTOR, username="director")
    from core.fiscal import FiscalQuarter

    quarter = FiscalQuarter.current()
    inside = quarter.start + dt.timedelta(days=3)
    OpportunityFactory(
        region=region_amer, close_date=inside, amount=Decimal("1000.50"), is_closed=True, is_won=True
    )
    OpportunityFactory(region=region_amer, close_date=inside, amount=Decimal("250.25"), em_confidence="Green")
    OpportunityFactory(region=region_amer, close_date=inside, amount=Decimal("100.00"), em_confidence="Red")
    OpportunityFactory(region=region_amer, close_date=quarter.end + dt.timedelta(days=1), amount=Decimal("7"))
    response = api_client(director).get(f"/api/v1/forecast?quarter={quarter.label}&week=live")
    assert response.status_code == 200, response.content
    body = response.json()
    metrics = {m["key"]: m for m in body["overall"]["metrics"]}
    assert metrics["closed_won"]["amount"] == {"amount": "1000.50", "currency": "USD"}
    assert metrics["pipeline"]["amount"] == {"amount": "350.25", "currency": "USD"}
    assert metrics["pipeline"]["count"] == 2
    assert body["overall"]["calls"]["Green"] == 1 and body["overall"]["calls"]["Red"] == 1
    assert [region["name"] for region in body["by_region"]] == ["AMER"]
    bad = api_client(director).get("/api/v1/forecast?week=2001-01-01")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "week"


def test_session_writes_need_the_csrf_token(em, region_amer):
    opp = OpportunityFactory(engagement_manager=em, region=region_amer)
    client = Client(enforce_csrf_checks=True)
    client.force_login(em.user)
    assert client.get(f"/api/v1/opportunities/{opp.pk}").status_code == 200
    refused = _patch(client, opp.pk, {"em_confidence": "Grey"}, '"1"')
    assert refused.status_code == 403


def test_unknown_paths_and_methods_are_problems(em, api_client):
    client = api_client(em)
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    wrong = client.delete("/api/v1/opportunities")
    assert wrong.status_code == 405 and wrong.json()["status"] == 405


def test_scoping_issue_and_estimate_with_lines(world, people, api_client):
    client = api_client(people["em"])
    issue, estimate = world["issue"], world["estimate"]
    listed = client.get("/api/v1/scoping-issues").json()
    assert issue.pk in [row["id"] for row in listed["results"]]
    detail = client.get(f"/api/v1/scoping-issues/{issue.pk}").json()
    assert detail["estimates"] == [estimate.pk]
    body = client.get(f"/api/v1/estimates/{estimate.pk}").json()
    line = world["line"]
    line.refresh_from_db()
    assert [(row["id"], row["hours"]) for row in body["lines"]] == [(line.pk, f"{line.hours:.2f}")]
    estimate.refresh_from_db()
    assert body["total"] == {"amount": f"{estimate.total:.2f}", "currency": estimate.currency}
    assert client.get("/api/v1/scoping-issues?status=nonsense").status_code == 422


def test_people_directory_and_capacity(people, world, api_client):
    client = api_client(people["ps_operations"])
    listed = client.get("/api/v1/people?page_size=200").json()
    names = sorted(row["name"] for row in listed["results"])
    from people.models import Person

    assert names == sorted(Person.objects.values_list("name", flat=True))
    capacity = client.get("/api/v1/capacity?by=role")
    assert capacity.status_code == 200 and len(capacity.json()["weeks"]) == 12
    assert client.get("/api/v1/capacity?by=planet").status_code == 422
