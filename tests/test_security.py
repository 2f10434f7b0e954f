"""Login lockout, security headers, error pages and the production deploy check."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def login(client: Client, username: str, password: str, ip: str = "10.1.1.1", **headers: Any):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def page_text(response) -> str:
    return " ".join(response.content.decode().split())


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


@pytest.mark.parametrize(
    ("hours", "says"),
    [(0.25, "15 minutes"), (1.0, "1 hour"), (1.5, "90 minutes"), (2.0, "2 hours"), (24.0, "1 day")],
)
def test_lockout_page_says_how_long_in_words(em, settings, hours, says):
    settings.AXES_FAILURE_LIMIT = 1
    settings.AXES_COOLOFF_TIME = hours
    client = Client()
    assert login(client, "em.amer", "wrong-password").status_code == 429
    locked = login(client, "em.amer", PASSWORD)
    assert locked.status_code == 429
    assert f"Too many failed attempts. Try again in {says}." in page_text(locked)
    assert "PT" not in page_text(locked).split("Too many failed attempts")[1]  # no ISO 8601 duration


# --------------------------------------------------------------------------- the client's address

PROXY = "172.18.0.5"  # the reverse proxy, as gunicorn sees it
CLIENT = "81.2.69.142"  # the real client, written by the proxy as the right-most X-Forwarded-For entry


@pytest.fixture
def behind_proxy(settings):
    """The settings BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1 give (config/client_address.py)."""
    from config.client_address import client_address_rule

    order, count = client_address_rule(behind_proxy=True, proxy_count=1)
    settings.IPWARE_META_PRECEDENCE_ORDER = settings.AXES_IPWARE_META_PRECEDENCE_ORDER = order
    settings.IPWARE_META_PROXY_COUNT = settings.AXES_IPWARE_PROXY_COUNT = count
    return settings


def test_rotating_x_forwarded_for_behind_a_proxy_does_not_escape_the_lockout(em, behind_proxy):
    from axes.models import AccessAttempt

    behind_proxy.AXES_FAILURE_LIMIT = 3
    client = Client()
    for n in range(3):  # a different made-up left-most address each time, the same real client
        forwarded = f"45.33.{n}.1, 23.45.67.{n}, {CLIENT}"
        login(client, "em.amer", "wrong-password", ip=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}
    locked = login(client, "em.amer", PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=f"77.88.99.1, {CLIENT}")
    assert locked.status_code == 429
    # Another client behind the same proxy is not locked out: the address does come from the header.
    other = login(Client(), "em.amer", PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=f"{CLIENT}, 81.2.69.160")
    assert other.status_code == 302


def test_without_behind_proxy_x_forwarded_for_is_ignored(em, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 2
    for n in range(2):
        login(Client(), "em.amer", "wrong-password", ip=CLIENT, HTTP_X_FORWARDED_FOR=f"45.33.{n}.1")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}
    assert (
        login(Client(), "em.amer", PASSWORD, ip=CLIENT, HTTP_X_FORWARDED_FOR="81.2.69.160").status_code == 429
    )
    # Claiming the locked-out address in the header does not lock another connection out either.
    assert (
        login(Client(), "em.amer", PASSWORD, ip="81.2.69.160", HTTP_X_FORWARDED_FOR=CLIENT).status_code == 302
    )


class _EventDicts(logging.Handler):
    """Keeps the event dicts structlog hands to the standard library (with the bound context)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict):
            self.events.append(record.msg)


@pytest.fixture
def request_events():
    handler, quiet = _EventDicts(), logging.getLogger("django_structlog")
    previous = quiet.level
    quiet.setLevel(logging.INFO)  # test settings keep request lines out of failure reports
    logging.getLogger().addHandler(handler)
    try:
        yield handler.events
    finally:
        logging.getLogger().removeHandler(handler)
        quiet.setLevel(previous)


def test_request_logs_name_the_same_client_address_as_the_lockout(em, behind_proxy, request_events):
    from axes.models import AccessAttempt

    login(Client(), "em.amer", "wrong-password", ip=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CLIENT}")
    started = [event for event in request_events if event.get("event") == "request_started"]
    assert [event["ip"] for event in started] == [CLIENT]
    assert AccessAttempt.objects.get().ip_address == CLIENT


def _client_addresses_in_a_process(**env: str) -> list[str]:
    """What the lockout and the request logs take as the client address, in a process started with
    these environment variables, for a request from 10.0.0.2 with a three-entry X-Forwarded-For."""
    code = (
        "import django; django.setup();"
        "from django.test import RequestFactory;"
        "from axes.helpers import get_client_ip_address;"
        "from ipware import get_client_ip;"
        "r = RequestFactory().get('/', REMOTE_ADDR='10.0.0.2',"
        " HTTP_X_FORWARDED_FOR='6.6.6.6, 81.2.69.142, 10.0.0.3');"
        "print('ADDRESSES', get_client_ip_address(r), get_client_ip(r)[0])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("BEHIND_PROXY", "TRUSTED_PROXY_COUNT")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("ADDRESSES "))
    return line.split()[1:]


def test_trusted_proxy_count_picks_the_address_our_proxies_wrote():
    # Two proxies (a load balancer, then Caddy): the load balancer wrote the client, Caddy the
    # balancer's address; 6.6.6.6 is what the client claimed.
    assert _client_addresses_in_a_process(BEHIND_PROXY="True", TRUSTED_PROXY_COUNT="2") == [CLIENT] * 2
    assert _client_addresses_in_a_process(BEHIND_PROXY="True") == ["10.0.0.3"] * 2
    assert _client_addresses_in_a_process() == ["10.0.0.2"] * 2


def _production_setting(name: str, **env: str) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print(repr(settings.{name}))",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "BEHIND_PROXY"},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "deploy-check-" + "k" * 60,
            "ALLOWED_HOSTS": "pipeline.example.com",
            "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def test_x_forwarded_proto_is_trusted_only_behind_a_proxy():
    assert _production_setting("SECURE_PROXY_SSL_HEADER") == "None"
    assert _production_setting("SECURE_PROXY_SSL_HEADER", BEHIND_PROXY="True") == str(
        ("HTTP_X_FORWARDED_PROTO", "https")
    )


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


@pytest.mark.parametrize("behind_proxy", ["False", "True"])
def test_check_deploy_is_clean_with_production_settings(behind_proxy):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "BEHIND_PROXY": behind_proxy,
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
