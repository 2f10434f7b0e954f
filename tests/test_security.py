"""Login lockout, security headers, error pages and the production deploy check."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def login(client: Client, username: str, password: str, ip: str = "10.1.1.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_lockout_after_repeated_failures_then_cool_off(em, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        assert login(client, "em.amer", "wrong-password").status_code == 200
    assert login(client, "em.amer", "wrong-password").status_code == 429  # the third failure locks
    locked = login(client, "em.amer", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked out for this user.
    assert login(Client(), "em.amer", PASSWORD, ip="10.9.9.9").status_code == 302
    # The cool-off is not permanent: once it has passed, the right password works again.
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(hours=2))
    assert login(client, "em.amer", PASSWORD).status_code == 302


def test_administrator_unlocks_in_the_admin(em, admin_person, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(2):
        login(client, "em.amer", "wrong-password")
    assert login(client, "em.amer", PASSWORD).status_code == 429
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username="em.amer")
    admin = Client()
    admin.force_login(admin_person.user)
    assert "em.amer" in admin.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    response = admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert login(client, "em.amer", PASSWORD).status_code == 302


def test_security_headers(em):
    client = Client()
    client.force_login(em.user)
    response = client.get(reverse("engagements:pipeline"))
    csp = response["Content-Security-Policy"]
    # Scripts only from the app (a nonce is added only to pages that carry an inline script).
    script_src = next(part.strip() for part in csp.split(";") if part.strip().startswith("script-src"))
    assert script_src.split()[1] == "'self'"
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert (
        "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    )
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_inline_scripts_in_the_pages(em):
    """Every <script> the app writes is a file from the app, or JSON data (never executed)."""
    import re

    client = Client()
    client.force_login(em.user)
    for url in (reverse("engagements:pipeline"), reverse("scoping:board"), reverse("sow:list")):
        body = client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", body):
            assert "src=" in tag or 'type="application/json"' in tag, tag


def test_friendly_error_pages_leak_nothing(em, settings):
    client = Client()
    client.force_login(em.user)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode() and "Traceback" not in missing.content.decode()
    forbidden = client.get(reverse("forecasting:dashboard"))
    assert forbidden.status_code == 403 and "You are not allowed to do that" in forbidden.content.decode()
    from django.views.defaults import server_error

    request = RequestFactory().get("/")
    error = server_error(request)
    body = error.content.decode()
    assert error.status_code == 500 and "Something went wrong" in body
    assert "SECRET" not in body and "Traceback" not in body and "settings" not in body


def test_password_validators_are_on(em):
    client = Client()
    client.force_login(em.user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "12345",
            "new_password2": "12345",
        },
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()


def test_check_deploy_is_clean_with_production_settings():
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "deploy-check-" + "k" * 60,
        "ALLOWED_HOSTS": "pipeline.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "sqlite:////tmp/deploy-check.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
