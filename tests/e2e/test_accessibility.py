"""Every main page, for every role that may open it, checked with axe-core in Chromium at a desktop
(1440×900) and a phone (390×844) size: no serious or critical violation. The count of violations
per page is printed (and written beside the screenshots), and a full-page screenshot of each page at
each size is saved under artifacts/screenshots/<role>/ (or E2E_SCREENSHOT_DIR) for anyone to look at.

One browser, one login per role, one context per role reused for both sizes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from tests.access.conftest import people, world  # noqa: F401
from tests.access.matrix import ADMIN, ADMIN_MODELS, APP, A

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("E2E_SCREENSHOT_DIR") or ROOT / "artifacts" / "screenshots")
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
BLOCKING = {"serious", "critical"}
# Only the rules axe-core is sure about; "incomplete" results (for example contrast over an image)
# are not violations.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]},
}

World = dict[str, Any]
# (file name, url name, arguments from the world)
PAGES: list[tuple[str, str, Callable[[World], dict[str, Any]]]] = [
    ("landing", "home", lambda w: {}),
    ("pipeline", "engagements:pipeline", lambda w: {}),
    ("workload", "engagements:workload", lambda w: {}),
    ("opportunity", "engagements:detail", lambda w: {"pk": w["opportunity"].pk}),
    ("scoping-list", "scoping:list", lambda w: {}),
    ("scoping-issue", "scoping:detail", lambda w: {"pk": w["issue"].pk}),
    ("board", "scoping:board", lambda w: {}),
    ("ta-queue", "scoping:ta_queue", lambda w: {}),
    ("estimate-agreed", "scoping:estimate", lambda w: {"pk": w["estimate"].pk}),
    ("estimate-draft", "scoping:estimate", lambda w: {"pk": w["draft_estimate"].pk}),
    ("sow-list", "sow:list", lambda w: {}),
    ("sow", "sow:detail", lambda w: {"pk": w["sow"].pk}),
    ("sow-version", "sow:version", lambda w: {"pk": w["version"].pk}),
    ("sow-edit", "sow:edit", lambda w: {"pk": w["version"].pk}),
    ("change-request", "sow:cr_detail", lambda w: {"pk": w["cr"].pk}),
    ("approval-queue", "admin:sow_approvalqueueitem_changelist", lambda w: {}),
    ("approval-review", "admin:sow_approvalqueueitem_review", lambda w: {"pk": w["version"].pk}),
    ("catalog", "admin:scoping_serviceoffering_changelist", lambda w: {}),
    ("rate-card", "admin:scoping_deliveryrole_changelist", lambda w: {}),
    ("sow-templates", "admin:sow_sowtemplate_changelist", lambda w: {}),
    ("dashboard", "forecasting:dashboard", lambda w: {}),
    ("drill-down", "forecasting:drill", lambda w: {}),
    ("calibration", "forecasting:calibration", lambda w: {}),
    ("capacity", "forecasting:capacity", lambda w: {}),
    ("staffing", "staffing:list", lambda w: {}),
    ("staffing-requirement", "staffing:requirement", lambda w: {"pk": w["requirement"].pk}),
    ("people", "people:list", lambda w: {}),
    ("person", "people:detail", lambda w: {"pk": w["person"].pk}),
    ("audit", "audit", lambda w: {}),
]
QUERY = {"drill-down": "?metric=pipeline"}
ROLES = ["em", "em_manager", "ps_director", "leadership", "practice_manager", "ta", "ps_operations", "admin"]


def may_open(role: str, url_name: str) -> bool:
    """As declared in the access matrix (tests/access/matrix.py)."""
    if url_name in APP:
        return APP[url_name][1][role] == A
    if url_name in ADMIN:
        return ADMIN[url_name][1][role] == A
    model, _, view = url_name.removeprefix("admin:").rpartition("_")
    return role in ADMIN_MODELS[model][view]


def summary(results: Any) -> tuple[int, list[str], list[str]]:
    """The number of violations, their rule ids, and a line for each serious or critical one."""
    blocking = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            nodes = "; ".join(
                f"{' '.join(node['target'])} {node['html'][:160]!r} {node.get('failureSummary', '')[-160:]!r}"
                for node in violation["nodes"][:3]
            )
            blocking.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {nodes}")
    ids = [f"{v['id']} ({v['impact']})" for v in results.response["violations"]]
    return len(ids), ids, blocking


@pytest.fixture
def draft_world(world: World, people: dict[str, Any]) -> World:  # noqa: F811
    """The access world plus a draft estimate with a line (an estimate being edited)."""
    from scoping import services as scoping_services
    from tests.engagements.factories import OpportunityFactory

    em = people["em"]
    opp = OpportunityFactory(engagement_manager=em, region=em.region, name="Acme — Health check")
    issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Acme health check")
    draft = scoping_services.estimate_create(actor=em.user, issue=issue)
    scoping_services.estimate_add_line(
        actor=em.user, estimate=draft, kind="free", description="Workshop", quantity=2, unit_price="1250"
    )
    return {**world, "draft_estimate": draft}


@pytest.mark.parametrize("role", ROLES)
def test_main_pages_have_no_serious_axe_violations(
    role: str,
    browser: Any,
    live_server: Any,
    log_in: Any,
    draft_world: World,
    people: dict[str, Any],  # noqa: F811
) -> None:
    axe = Axe()
    username = people[role].user.username
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    log_in(page, username)
    folder = SHOTS / role
    folder.mkdir(parents=True, exist_ok=True)
    report: list[str] = []
    failures: list[str] = []
    pages = [(name, url_name, args) for name, url_name, args in PAGES if may_open(role, url_name)]
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, url_name, args in pages:
            url = reverse(url_name, kwargs=args(draft_world)) + QUERY.get(name, "")
            response = page.goto(f"{live_server.url}{url}", wait_until="load")
            if response is None or not response.ok:
                failures.append(f"{name} at {size} ({url}): answered {response and response.status}")
                continue
            count, ids, blocking = summary(axe.run(page, options=AXE_OPTIONS))
            report.append(
                f"{role:16} {size:7} {name:22} {count} violations, {len(blocking)} serious/critical"
                + (f": {', '.join(ids)}" if ids else "")
            )
            failures += [f"{name} at {size} ({url}): {line}" for line in blocking]
            page.screenshot(path=str(folder / f"{name}-{width}x{height}.png"), full_page=True)
    context.close()
    (folder / "axe.txt").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    assert not failures, f"{role}: serious or critical axe violations:\n" + "\n".join(failures)
