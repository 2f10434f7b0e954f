"""The project's shape: settings per environment, the compose file, demo data, the two commands."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parent.parent


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_settings_refuse_to_start_without(missing, tmp_path):
    values = {
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "pipeline.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    values.pop(missing)
    result = _run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.production';django.setup()",
        **values,
    )
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_defaults_with_nothing_set_are_sqlite_eager_console(tmp_path):
    result = _run_python(
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.local';"
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.DEBUG)",
        CELERY_BROKER_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
        "True",
    ]


def test_celery_uses_django_settings_and_database_scheduler():
    from config.celery import app

    assert app.main == "ps_pipeline"
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_compose_file_defines_the_full_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert "beat" in services["beat"]["command"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "http://localhost:8000/health/" in services["web"]["healthcheck"]["test"][1]
    assert services["worker"]["stop_signal"] == "SIGQUIT"  # soft shutdown hands unfinished tasks back
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis")
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert {"SECRET_KEY", "ALLOWED_HOSTS"} <= set(env)
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert any(v.startswith("media:") for v in services[name]["volumes"])
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    assert {"pgdata", "media"} <= set(compose["volumes"])


def _published_ports(service: dict[str, Any]) -> list[str]:
    return [
        str(port.get("published") if isinstance(port, dict) else port) for port in service.get("ports", [])
    ]


def test_compose_reaches_gunicorn_only_through_the_proxy():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    # No service but the proxy publishes a port: a client never talks to gunicorn itself, so
    # X-Forwarded-For and X-Forwarded-Proto always come from the proxy.
    assert {name for name, service in services.items() if service.get("ports")} == {"proxy"}
    assert [str(port) for port in services["web"]["expose"]] == ["8000"]
    published = _published_ports(services["proxy"])
    assert any(port.startswith("80:") for port in published)
    assert any(port.startswith("443:") for port in published)
    assert services["proxy"]["image"].startswith("caddy:2")
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    # The web app trusts exactly the one proxy in front of it; the workers serve no requests.
    web_env = services["web"]["environment"]
    assert str(web_env["BEHIND_PROXY"]).lower() in ("true", "1", "yes")
    assert str(web_env["TRUSTED_PROXY_COUNT"]) == "1"
    assert web_env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"  # the shared part is kept
    assert "BEHIND_PROXY" not in services["worker"]["environment"]


def test_the_proxy_config_exists_and_sends_everything_to_web():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    mounts = [volume.split(":") for volume in services["proxy"]["volumes"]]
    (source,) = [source for source, target, *_ in mounts if target == "/etc/caddy/Caddyfile"]
    caddyfile = (ROOT / source).resolve()
    assert caddyfile.is_file() and caddyfile.is_relative_to(ROOT / "deploy")
    lines = [line.split("#", 1)[0].strip() for line in caddyfile.read_text().splitlines()]
    directives = [line for line in lines if line]
    assert any(re.fullmatch(r"reverse_proxy\s+web:8000\s*\{?", line) for line in directives)
    # The client's own X-Forwarded-* values are replaced with what Caddy saw, and bodies are capped.
    assert "header_up X-Forwarded-For {remote_host}" in directives
    assert "header_up X-Forwarded-Proto {scheme}" in directives
    assert any(line.startswith("max_size ") for line in directives)
    assert not any("trusted_proxies" in line for line in directives)  # would pass client values on


def test_dockerfile_builds_the_app_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen" in dockerfile
    assert "collectstatic" in dockerfile
    assert "gunicorn" in dockerfile


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_commands = [line.strip() for line in readme.splitlines() if line.strip().startswith("make ")][:2]
    assert first_commands == ["make run", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_assets_come_from_packages_not_cdns():
    base = (ROOT / "templates" / "base.html").read_text()
    assert "https://" not in base and "//cdn" not in base
    from django.contrib.staticfiles import finders

    assert finders.find("js-lib-bootstrap5/css/bootstrap.min.css")
    assert finders.find("htmx/htmx.min.js")


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    from django.contrib.auth import get_user_model

    from engagements.models import Opportunity, Risk
    from people.models import Person

    call_command("seed_demo", stdout=io.StringIO())
    counts = (
        Opportunity.objects.count(),
        Person.objects.count(),
        Risk.objects.count(),
        get_user_model().objects.count(),
    )
    assert counts[0] == 150
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (
        Opportunity.objects.count(),
        Person.objects.count(),
        Risk.objects.count(),
        get_user_model().objects.count(),
    )
    colours = set(Opportunity.objects.values_list("em_confidence", flat=True))
    assert colours == {"Grey", "Red", "Amber", "Green"}
    assert Opportunity.objects.filter(is_won=True).exists()
    assert Opportunity.objects.filter(is_closed=True, is_won=False).exists()
    assert Opportunity.objects.filter(engagement_manager=None).exists()


@pytest.mark.django_db
def test_seed_demo_refused_with_production_settings(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="refused with production settings"):
        call_command("seed_demo")


@pytest.mark.django_db
def test_role_groups_exist_with_permissions():
    from django.contrib.auth.models import Group

    from core.roles import ROLE_PERMISSIONS

    for name, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        have = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert have == set(perms), name
