"""Local development: DEBUG on, everything else from base (SQLite, eager tasks, console email)."""

from config.logging import logging_config

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# Logs for a person at a terminal (LOG_FORMAT=json shows what production writes).
LOGGING = logging_config(fmt=env("LOG_FORMAT", default="console"), level=env("LOG_LEVEL", default="INFO"))
WHITENOISE_AUTOREFRESH = True
