"""Single sign-on in Chromium: a person clicks "Sign in with Acme ID" on the login page, logs in
at the local OpenID Connect provider and lands in the app with the role their group maps to; someone
whose groups map to no role sees the "ask your administrator" page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.roles import Role
from people.models import Person
from tests.people.test_sso import provider  # noqa: F401  # the provider fixture, SSO switched on

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_sign_in_at_the_provider_with_a_mapped_role(page, live_server, settings, provider, make_person):  # noqa: F811
    settings.OIDC_ROLES_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {"ps-directors": "ps_director"}
    person = make_person(Role.ENGAGEMENT_MANAGER, username="dana", name="Dana Director")
    provider.interactive = True
    provider.accounts = {
        person.email: {"email": person.email, "email_verified": True, "groups": ["ps-directors"]},
        "guest@example.com": {"email": "guest@example.com", "email_verified": True, "groups": ["guests"]},
    }

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Acme ID").click()
    expect(page.locator("h1")).to_have_text("Acme ID sign-in")
    page.get_by_label("Email").fill(person.email)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/accounts/login/" not in url)
    expect(page.get_by_text("Welcome,")).to_be_visible()  # signed in: a director lands in the admin
    dashboard = page.goto(f"{live_server.url}/forecast/")  # a PS Director's page
    assert dashboard is not None and dashboard.status == 200
    assert page.url == f"{live_server.url}/forecast/"
    person.refresh_from_db()
    assert person.role == Role.PS_DIRECTOR

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Sign in with Acme ID").click()
    page.get_by_label("Email").fill("guest@example.com")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Ask your administrator")
    expect(page.get_by_text("guest@example.com")).to_be_visible()
    assert not Person.objects.filter(email="guest@example.com").exists()
