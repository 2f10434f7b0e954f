"""Single sign-on with the company's OpenID Connect provider (mozilla-django-oidc).

The provider proves who someone is; the directory decides who may come in. A sign-in is matched to
the Person with the (verified) email of the ID token's claims, case-insensitive. Their role comes
from the claim mapping (OIDC_ROLES_CLAIM, OIDC_ROLE_MAP) or stays what an administrator set, never
from anything the person chooses. Someone the directory does not know, or who has no login, is
refused with a page that says to ask an administrator, unless OIDC_CREATE_USERS (new people then
also need a mapped role).
"""

from __future__ import annotations

import functools
import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import path
from django.utils.decorators import method_decorator
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # type: ignore[import-untyped]
from mozilla_django_oidc.utils import import_from_settings  # type: ignore[import-untyped]
from mozilla_django_oidc.views import (  # type: ignore[import-untyped]
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    OIDCLogoutView,
)

from core import actions
from core.roles import Role
from people.models import Person
from people.services import person_sync_login_groups

logger = logging.getLogger(__name__)

# Settings the provider's discovery document supplies when they are not set one by one.
_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}

# Why a sign-in was refused, in words for the page (the key travels in the session).
REFUSALS = {
    "unknown": "PS Pipeline has no one with the email address {email}.",
    "no_login": "{email} is in the directory but has no PS Pipeline login yet.",
    "no_role": "Your account ({email}) carries no group that gives a PS Pipeline role.",
    "unverified": "Your identity provider has not verified the email address {email}.",
    "inactive": "The PS Pipeline login of {email} is switched off.",
    "failed": "The sign-in could not be completed (it may have expired or been tampered with).",
}


@functools.cache
def _discovery(issuer: str) -> dict[str, Any]:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    response = requests.get(url, timeout=10, verify=import_from_settings("OIDC_VERIFY_SSL", True))
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ImproperlyConfigured(f"The discovery document at {url} names another issuer.")
    return document


def sso_setting(attr: str, *default: Any) -> Any:
    """A setting, with the provider's endpoints read from its discovery document when not set."""
    value = import_from_settings(attr, *default)
    if attr in _DISCOVERED and not value and settings.OIDC_ISSUER:
        return _discovery(settings.OIDC_ISSUER).get(_DISCOVERED[attr]) or (default[0] if default else None)
    return value


def mapped_role(claims: dict[str, Any]) -> str | None:
    """The role the claims give, by the first entry of OIDC_ROLE_MAP found in the roles claim."""
    if not settings.OIDC_ROLES_CLAIM or not settings.OIDC_ROLE_MAP:
        return None
    values = claims.get(settings.OIDC_ROLES_CLAIM) or []
    if isinstance(values, str):
        values = [values]
    present = {str(v) for v in values}
    for group, role in settings.OIDC_ROLE_MAP.items():
        if group in present:
            if role not in Role.values:
                logger.warning("OIDC_ROLE_MAP maps %s to %s, which is not a role", group, role)
                continue
            return role
    return None


class SignInRefused(Exception):
    def __init__(self, reason: str, email: str) -> None:
        super().__init__(reason)
        self.reason, self.email = reason, email


@transaction.atomic
def person_sign_in_by_sso(*, email: str, name: str, role: str | None) -> User:
    """The login for a person the provider vouched for: matched by email, name and role brought up to
    date; created only with OIDC_CREATE_USERS. SignInRefused when the app does not let them in."""
    person = (
        Person.objects.select_for_update(of=("self",))
        .filter(email__iexact=email)
        .select_related("user")
        .first()
    )
    user = person.user if person else User.objects.filter(email__iexact=email).first()
    if user is None:
        if not settings.OIDC_CREATE_USERS:
            raise SignInRefused("no_login" if person else "unknown", email)
        if person is None and role is None:
            raise SignInRefused("no_role", email)
        user = User.objects.create_user(username=email.lower()[:150], email=email)
        logger.info("sso created login %s", user.pk)
    if not user.is_active:
        raise SignInRefused("inactive", email)
    if person is None:
        person = Person.objects.filter(user=user).first()
    if person is None:
        if role is None and not user.is_superuser:
            raise SignInRefused("no_role" if settings.OIDC_CREATE_USERS else "unknown", email)
        if role is not None:
            person = Person(user=user, email=email, name=name or email, role=role)
            actions.create(person, actor=user, action="signed in for the first time")
    elif person.user_id is None:
        person.user = user
        person.save(update_fields=["user"])
    if person is not None:
        before = actions.snapshot(person)
        changed: list[str] = []
        if name and person.name != name:
            person.name, changed = name, [*changed, "name"]
        if role and person.role != role:
            person.role, changed = role, [*changed, "role"]
        if changed:
            actions.save(person, actor=None, action="updated from single sign-on", before=before)
        person_sync_login_groups(person=person)
    return user


class SsoBackend(OIDCAuthenticationBackend):  # type: ignore[misc]  # the library has no types
    get_settings = staticmethod(sso_setting)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get(settings.OIDC_EMAIL_CLAIM))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User | None:
        claims = {**self.get_userinfo(access_token, id_token, payload), **payload}
        email = str(claims.get(settings.OIDC_EMAIL_CLAIM) or "").strip()
        try:
            if not email or "@" not in email:
                raise SignInRefused("unknown", email or "(none)")
            if settings.OIDC_REQUIRE_VERIFIED_EMAIL and claims.get("email_verified") not in (True, "true"):
                raise SignInRefused("unverified", email)
            name = str(claims.get("name") or "").strip()[:200]
            return person_sign_in_by_sso(email=email, name=name, role=mapped_role(claims))
        except SignInRefused as refused:
            logger.info("sso sign-in refused: %s", refused.reason)
            self.request.session["sso_refused"] = [refused.reason, refused.email]
            return None


def _enabled(view: Any) -> Any:
    def check(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        response: HttpResponse = view(request, *args, **kwargs)
        return response

    return login_not_required(check)


@method_decorator(_enabled, name="dispatch")
class SsoAuthenticateView(OIDCAuthenticationRequestView):  # type: ignore[misc]  # the library has no types
    get_settings = staticmethod(sso_setting)


@method_decorator(_enabled, name="dispatch")
class SsoCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]  # the library has no types
    get_settings = staticmethod(sso_setting)

    def login_failure(self) -> HttpResponse:
        reason, email = self.request.session.pop("sso_refused", None) or ["failed", ""]
        return refused_page(self.request, reason, email)


def refused_page(request: HttpRequest, reason: str, email: str) -> HttpResponse:
    message = REFUSALS.get(reason, REFUSALS["failed"]).format(email=email)
    context = {"message": message, "provider": settings.OIDC_PROVIDER_NAME}
    return render(request, "registration/sso_refused.html", context, status=403)


@_enabled
def refused(request: HttpRequest) -> HttpResponse:
    return refused_page(request, "failed", "")


@method_decorator(_enabled, name="dispatch")
class SsoLogoutView(OIDCLogoutView):  # type: ignore[misc]  # the library has no types
    get_settings = staticmethod(sso_setting)


def provider_logout_url(request: HttpRequest) -> str:
    """Where logging out sends someone (OIDC_OP_LOGOUT_URL_METHOD): after a single sign-on, to the
    provider's end_session_endpoint with the ID token of that sign-in, to come back to the login page;
    after a password sign-in (or without a logout endpoint), straight to the login page."""
    id_token = request.session.get("oidc_id_token")
    endpoint = sso_setting("OIDC_OP_LOGOUT_ENDPOINT", "") if id_token else ""
    if not endpoint:
        return resolve_url(settings.LOGOUT_REDIRECT_URL)
    query = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": request.build_absolute_uri(resolve_url("login")),
        "client_id": settings.OIDC_RP_CLIENT_ID,
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def logout(request: HttpRequest) -> HttpResponse:
    """The app's log out (POST): with single sign-on on, the library's view, which also ends the
    session at the provider (provider_logout_url); otherwise Django's."""
    view = SsoLogoutView if settings.OIDC_ENABLED else auth_views.LogoutView
    response: HttpResponse = view.as_view()(request)
    return response


# Included under /oidc/ by config/urls.py when OIDC_ENABLED; the names are the library's.
urlpatterns = [
    path("authenticate/", SsoAuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", SsoCallbackView.as_view(), name="oidc_authentication_callback"),
    path("logout/", SsoLogoutView.as_view(), name="oidc_logout"),
    path("refused/", refused, name="sso_refused"),
]


class LocalLoginForm(auth_forms.AuthenticationForm):
    """The password form; with OIDC_LOCAL_LOGIN off only superusers may use it."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if settings.OIDC_ENABLED and not settings.OIDC_LOCAL_LOGIN and not user.is_superuser:
            raise forms.ValidationError(
                f"Sign in with {settings.OIDC_PROVIDER_NAME}: passwords are for administrators only.",
                code="sso_only",
            )
