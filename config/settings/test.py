"""Test settings: SQLite unless DATABASE_URL is set (CI points it at PostgreSQL)."""

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
WHITENOISE_AUTOREFRESH = True
# Readable lines when a failing test shows its captured log; request start/finish lines kept out.
LOGGING = logging_config(fmt="console", level="INFO")
LOGGING["loggers"]["django_structlog"] = {"level": "WARNING"}
