"""Settings for Celery worker processes that tests start themselves (tests/sow/test_worker_crash.py):
the test settings, with the media directory the test chose, so the test sees every file they write."""

import os
from pathlib import Path

from config.settings.test import *  # noqa: F403

MEDIA_ROOT = Path(os.environ["TEST_WORKER_MEDIA_ROOT"])
