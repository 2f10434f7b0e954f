"""Browser tests: Playwright driving the machine's Chromium against Django's live_server.

Skipped with a visible reason when no Chromium is installed; with REQUIRE_E2E=1 (CI) a missing
browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

# live_server runs the app in a thread while sync Playwright holds an event loop in this one.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("REQUIRE_E2E") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    e2e_items = [item for item in items if "tests/e2e/" in str(item.fspath).replace(os.sep, "/")]
    for item in e2e_items:
        item.add_marker(pytest.mark.e2e)
    if CHROMIUM or not e2e_items:
        return
    if REQUIRED:
        raise pytest.UsageError(
            "REQUIRE_E2E=1 but no Chromium was found (install Debian's chromium package)."
        )
    skip = pytest.mark.skip(reason="Chromium not installed: browser tests skipped (apt-get install chromium)")
    for item in e2e_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def demo_password() -> str:
    from tests.conftest import PASSWORD

    return PASSWORD


@pytest.fixture
def log_in(live_server, demo_password):
    """Log in through the login form, as a person would."""

    def do(page, username: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(demo_password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return do


# Fixtures shared with the SOW tests (an issue with an agreed estimate, its catalog).
from tests.forecasting.conftest import book, quarter  # noqa: E402, F401
from tests.sow.conftest import catalog, ready_issue  # noqa: E402, F401
