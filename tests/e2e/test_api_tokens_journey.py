"""An EM creates a personal API token in Chromium, sees it once, calls the API with it, revokes it
and is refused; the API's interactive docs render from the app's own files."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.roles import Role
from tests.engagements.factories import OpportunityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_em_creates_uses_and_revokes_a_token(page, live_server, log_in, make_person):
    em = make_person(Role.ENGAGEMENT_MANAGER, username="em.api", name="Ana Api")
    OpportunityFactory(name="Globex rollout", engagement_manager=em, region=em.region)

    log_in(page, "em.api")
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="API tokens").click()
    expect(page.locator("h1")).to_have_text("API tokens")
    page.get_by_label("Name").fill("Finance BI export")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert secret.startswith("psp_")
    expect(page.get_by_test_id("token-row").filter(has_text="Finance BI export")).to_have_count(1)

    api = page.context.request
    answer = api.get(
        f"{live_server.url}/api/v1/opportunities?scope=mine", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200
    assert [row["name"] for row in answer.json()["results"]] == ["Globex rollout"]

    page.goto(f"{live_server.url}/account/api-tokens/")  # opened again: the secret is gone
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    expect(page.get_by_test_id("token-row").filter(has_text="never")).to_have_count(0)  # last used is shown
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    refused = api.get(
        f"{live_server.url}/api/v1/opportunities", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_api_docs_render_without_outside_assets(page, live_server):
    outside = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None,
    )
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("PS Pipeline API")
    expect(page.get_by_text("/api/v1/opportunities").first).to_be_visible()
    assert outside == []
    assert not [e for e in errors if "Content Security Policy" in e]
