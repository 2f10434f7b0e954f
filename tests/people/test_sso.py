"""Single sign-on against a real OpenID Connect provider on 127.0.0.1 (tests/fakes/fake_oidc.py):
the whole code flow through the app's views, the library unpatched."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client
from django.urls import clear_url_caches

import config.urls
from core.roles import ROLE_GROUP, Role
from people.models import Person
from tests.conftest import PASSWORD
from tests.fakes.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeOidcProvider

pytestmark = pytest.mark.django_db


def _reload_urls() -> None:
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def provider(settings) -> Iterator[FakeOidcProvider]:
    with FakeOidcProvider() as fake:
        settings.OIDC_ENABLED = True
        settings.OIDC_PROVIDER_NAME = "Acme ID"
        settings.OIDC_ISSUER = fake.issuer
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "people.sso.SsoBackend"]
        _reload_urls()
        yield fake
    settings.OIDC_ENABLED = False
    _reload_urls()


def sign_in(client: Client, provider: FakeOidcProvider, **claims: object):
    """Click "Sign in", let the provider sign `claims` in, follow its redirect back to the callback."""
    provider.sign_in_as(**claims)
    start = client.get("/oidc/authenticate/?next=/pipeline/")
    assert start.status_code == 302
    authorize = urlparse(start["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == provider.issuer
    asked = parse_qs(authorize.query)
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]
    back = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlparse(back.headers["Location"])
    assert callback.path == "/oidc/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def test_login_page_offers_the_provider_and_the_password_form(provider, client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Acme ID" in page
    assert 'name="password"' in page


def test_an_existing_person_signs_in_by_email(provider, client, em):
    response = sign_in(client, provider, email=em.email.upper(), email_verified=True, name="Erin Manager")
    assert response.status_code == 302 and response["Location"] == "/pipeline/"
    assert client.get("/pipeline/").status_code == 200
    assert int(client.session["_auth_user_id"]) == em.user_id
    em.refresh_from_db()
    assert em.name == "Erin Manager"
    assert em.role == Role.ENGAGEMENT_MANAGER
    assert User.objects.count() == len(set(Person.objects.exclude(user=None).values_list("user", flat=True)))


def test_someone_unknown_is_told_to_ask_an_administrator(provider, client, em):
    users_before = User.objects.count()
    response = sign_in(client, provider, email="stranger@example.com", email_verified=True)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Ask your administrator" in page and "stranger@example.com" in page
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == users_before


def test_an_unverified_email_is_refused(provider, client, em):
    response = sign_in(client, provider, email=em.email, email_verified=False)
    assert response.status_code == 403
    assert "has not verified" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_role_comes_from_the_mapped_group(provider, client, settings, em):
    settings.OIDC_ROLES_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {"ps-directors": "ps_director", "ems": "engagement_manager"}
    response = sign_in(
        client, provider, email=em.email, email_verified=True, groups=["staff", "ps-directors"]
    )
    assert response.status_code == 302
    em.refresh_from_db()
    assert em.role == Role.PS_DIRECTOR
    assert list(em.user.groups.values_list("name", flat=True)) == [ROLE_GROUP[Role.PS_DIRECTOR]]
    assert client.get("/forecast/").status_code == 200


def test_new_people_are_created_only_when_allowed_and_with_a_mapped_role(provider, client, settings):
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_ROLES_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {"ems": "engagement_manager"}
    refused = sign_in(client, provider, email="nogroup@example.com", email_verified=True, groups=["other"])
    assert refused.status_code == 403 and "no group" in refused.content.decode()
    assert not User.objects.filter(email="nogroup@example.com").exists()

    response = sign_in(
        client, provider, email="new.em@example.com", email_verified=True, name="New Em", groups=["ems"]
    )
    assert response.status_code == 302
    person = Person.objects.get(email="new.em@example.com")
    assert person.user is not None
    assert (person.name, person.role, person.user.username) == (
        "New Em",
        Role.ENGAGEMENT_MANAGER,
        "new.em@example.com",
    )
    assert list(person.user.groups.values_list("name", flat=True)) == [ROLE_GROUP[Role.ENGAGEMENT_MANAGER]]


def test_a_bad_state_is_refused(provider, client, em):
    provider.sign_in_as(email=em.email, email_verified=True)
    start = client.get("/oidc/authenticate/")
    back = requests.get(start["Location"], allow_redirects=False, timeout=10)
    code = parse_qs(urlparse(back.headers["Location"]).query)["code"][0]
    response = client.get(f"/oidc/callback/?code={code}&state=forged")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("fault", ["wrong_nonce", "tamper"])
def test_a_token_with_another_nonce_or_signature_is_refused(provider, client, em, fault):
    setattr(provider, fault, True)
    response = sign_in(client, provider, email=em.email, email_verified=True)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_with_local_login_off_only_superusers_use_a_password(provider, client, settings, em, admin_person):
    settings.OIDC_LOCAL_LOGIN = False
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Acme ID" in page and 'name="password"' not in page
    assert 'name="password"' in client.get("/accounts/login/?local=1").content.decode()
    refused = client.post("/accounts/login/", {"username": em.user.username, "password": PASSWORD})
    assert refused.status_code == 200 and "passwords are for administrators only" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    admin_login = client.post(
        "/accounts/login/", {"username": admin_person.user.username, "password": PASSWORD}
    )
    assert admin_login.status_code == 302
    assert int(client.session["_auth_user_id"]) == admin_person.user_id


def test_without_sso_there_is_no_button_and_no_oidc_urls(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page and 'name="password"' in page
    for url in ("/oidc/authenticate/", "/oidc/callback/?code=x&state=y", "/oidc/refused/"):
        assert client.get(url).status_code == 404
    assert client.post("/oidc/logout/").status_code == 404


def test_logging_out_after_a_single_sign_on_also_ends_the_session_at_the_provider(provider, client, em):
    signed_in = sign_in(client, provider, email=em.email, email_verified=True)
    assert signed_in.status_code == 302 and int(client.session["_auth_user_id"]) == em.user_id

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    end_session = urlparse(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{provider.issuer}/logout"
    asked = parse_qs(end_session.query)
    assert asked["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert asked["client_id"] == [CLIENT_ID]
    hint = jwt.decode(
        asked["id_token_hint"][0],
        provider.key.public_key(),
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=provider.issuer,
    )
    assert hint["sub"] == em.email

    back = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"] == "http://testserver/accounts/login/"
    assert [entry["claims"]["sub"] for entry in provider.logouts] == [em.email]
    login_page = client.get(urlparse(back.headers["Location"]).path)
    assert login_page.status_code == 200 and "Sign in with Acme ID" in login_page.content.decode()
    assert client.get("/pipeline/").status_code == 302


def test_a_forged_id_token_hint_is_refused_by_the_provider(provider):
    forged = jwt.encode({"sub": "x", "iss": provider.issuer, "aud": CLIENT_ID}, provider.other_key, "RS256")
    response = requests.get(
        f"{provider.issuer}/logout?id_token_hint={forged}", allow_redirects=False, timeout=10
    )
    assert response.status_code == 400 and provider.logouts == []


def _password_logout(client: Client, person: Person) -> None:
    assert person.user is not None
    login = client.post("/accounts/login/", {"username": person.user.username, "password": PASSWORD})
    assert login.status_code == 302 and int(client.session["_auth_user_id"]) == person.user_id
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/pipeline/").status_code == 302


def test_a_password_sign_in_logs_out_in_the_app_only(provider, client, em):
    _password_logout(client, em)
    assert "/logout" not in provider.calls and provider.logouts == []


def test_without_sso_logging_out_is_unchanged(client, em):
    _password_logout(client, em)
