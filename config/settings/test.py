"""Test settings: SQLite unless DATABASE_URL is set (CI points it at PostgreSQL)."""

import os
from urllib.parse import urlsplit, urlunsplit

from config.logging import logging_config

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnop"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
MEDIA_ROOT = BASE_DIR / ".test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests queue tasks eagerly unless a test starts a real worker (it switches this off itself).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")


def _broker_for_worker(url: str, worker: str) -> str:
    """A Redis broker URL with its own database for this pytest-xdist worker (gw0 → base + 1, …), so
    one worker process's Celery never takes another's tasks."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = int(worker.removeprefix("gw") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 1 + index) % 16}"))


_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER and CELERY_BROKER_URL.startswith("redis://"):
    CELERY_BROKER_URL = _broker_for_worker(CELERY_BROKER_URL, _XDIST_WORKER)
    # Tests read the broker from the environment too (and hand it to the workers they start).
    os.environ["CELERY_BROKER_URL"] = CELERY_BROKER_URL
WHITENOISE_AUTOREFRESH = True
# Readable lines when a failing test shows its captured log; request start/finish lines kept out.
LOGGING = logging_config(fmt="console", level="INFO")
LOGGING["loggers"]["django_structlog"] = {"level": "WARNING"}
