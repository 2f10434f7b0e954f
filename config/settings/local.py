"""Local development: DEBUG on, everything else from base (SQLite, eager tasks, console email)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
WHITENOISE_AUTOREFRESH = True
