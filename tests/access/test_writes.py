"""Every POST the app and the admin answer, for every role: refused (and nothing written) unless the
declared matrix allows it. Each POST carries what a browser would send: the form an administrator's
page holds for that URL (or a forged, complete one), so a refusal is the permission check's, not a
validation error's. Each request runs in a savepoint that is rolled back, so the URLs never disturb
each other, and an administrator's POST is checked to really write, so the payloads mean something.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.access.conftest import ROLES
from tests.access.forms import changed_tables, database_state, form_fields
from tests.access.matrix import (
    ADMIN,
    ADMIN_READS_ON_POST,
    ADMIN_WRITES,
    ANY_ANSWER,
    APP,
    APP_WRITES,
    LOGGED_IN,
    STAFF,
    A,
    F,
    L,
)
from tests.access.test_urls import ADMIN_MODEL_VIEWS, all_patterns, kwargs_for, outcome

pytestmark = pytest.mark.django_db

REFUSED = (F, L, "not allowed")  # 405 counts as a refusal too
READ = "read"  # a page that writes nothing: any answer but a server error, and the database unchanged


def _outcome(response: Any) -> str:
    return "not allowed" if response.status_code == 405 else outcome(response)


def _admin_models() -> dict[str, Any]:
    return {f"{m._meta.app_label}_{m._meta.model_name}": (m, ma) for m, ma in admin.site._registry.items()}


def _allowed(roles: tuple[str, ...] | str, role: str) -> str:
    """A, or the refusal, or ANY_ANSWER, for `role` under a declared tuple of roles."""
    if roles == ANY_ANSWER:
        return ANY_ANSWER
    if role == "anonymous":
        return L
    return A if ("all" in roles or role in roles) else F


class Target:
    def __init__(self, label: str, url: str, expected: dict[str, str], data: dict[str, Any], writes: bool):
        self.label, self.url, self.expected, self.data, self.writes = label, url, expected, data, writes


def _scrape(
    client: Client, page: str, action: str | None = None, form_id: str | None = None
) -> dict[str, Any] | None:
    response = client.get(page)
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
        return None
    return form_fields(response.content.decode(), form_id, action=action, page=page)


# Pages whose forms post to each app URL (when it is not the URL itself).
SOURCE_PAGE = {
    "engagements:confirm": ("engagements:detail", "opportunity"),
    "engagements:assign": ("engagements:detail", "opportunity"),
    "engagements:risk_add": ("engagements:detail", "opportunity"),
    "engagements:risk_close": ("engagements:detail", "opportunity"),
    "salesforce:conflict_resolve": ("engagements:detail", "opportunity"),
    "scoping:move": ("scoping:detail", "issue"),
    "scoping:request_assistance": ("scoping:detail", "issue"),
    "scoping:ta_decide": ("scoping:detail", "issue"),
    "scoping:estimate_create": ("scoping:detail", "new_issue"),
    "sow:create": ("scoping:detail", "issue"),
    "sow:cost_add": ("sow:version", "version"),
    "sow:cost_update": ("sow:version", "version"),
    "sow:request_pdf": ("sow:version", "version"),
    "sow:transition": ("sow:version", "version"),
    "sow:cr_line_add": ("sow:cr_detail", "cr"),
    "sow:cr_line_delete": ("sow:cr_detail", "cr"),
    "sow:cr_from_estimate": ("sow:cr_detail", "cr"),
    "sow:cr_request_pdf": ("sow:cr_detail", "cr"),
    "sow:cr_transition": ("sow:cr_detail", "cr"),
    "staffing:requirement_delete": ("staffing:requirement", "spare_requirement"),
    "staffing:assignment_add": ("staffing:requirement", "spare_requirement"),
    "staffing:assignment_confirm": ("staffing:requirement", "requirement"),
    "staffing:assignment_cancel": ("staffing:requirement", "requirement"),
}
for _name in (
    "save",
    "preview",
    "add_offering",
    "add_line",
    "delete_line",
    "revise",
    "share",
    "agree",
):
    SOURCE_PAGE[f"scoping:estimate_{_name}"] = ("scoping:estimate", "draft")
SOURCE_PAGE["scoping:estimate_revise"] = ("scoping:estimate", "estimate")

# What a browser adds that the page's form does not hold (what the user types or picks), or the
# whole form where the page shows none in this world. Values may be callables of the world.
EXTRA: dict[str, dict[str, Any]] = {
    "api:tokens": {"name": "Access test", "scope": "read", "expires_in_days": "30"},
    "engagements:em_fields": {"em_confidence": "Green", "em_confidence_rationale": "PO in legal review"},
    "engagements:pipeline_bulk": {
        "action": "confirm",
        "pick": lambda w: f"{w['opportunity'].pk}:{w['opportunity'].version}",
    },
    "engagements:pipeline_columns": {"columns": ["account", "amount", "confidence"]},
    "engagements:saved_filter_save": {"name": "Green this quarter", "query": "scope=mine&confidence=Green"},
    "engagements:risk_add": {
        "description": "Budget holder on leave",
        "severity": "high",
        "mitigation": "Escalate to the sponsor",
        "owner": "EM",
    },
    "scoping:request_assistance": {"note": "Need help sizing the data migration"},
    # an approver hands their approval steps to another PS Director while away
    "sow:delegations": {
        "delegate": lambda w: (
            __import__("people.models", fromlist=["Person"])
            .Person.objects.filter(role="ps_director", user__isnull=False)
            .first()
            .pk
        ),
        "starts_on": "2030-01-06",
        "ends_on": "2030-01-10",
    },
    "scoping:estimate_add_offering": {"offering": lambda w: w["offering"].pk},
    "scoping:estimate_add_line": {
        "kind": "activity",
        "description": "Cut-over rehearsal",
        "role_name": "Engineer",
        "hours": "12",
    },
    "scoping:estimate_revise": {"reason": "Customer asked for a smaller scope"},
    "scoping:ta_decide": {"decision": "approve", "comment": "Looks right"},
    "sow:cost_add": {"kind": "travel", "description": "Flights to the kickoff", "amount": "1200"},
    "sow:transition": {"reason": "Customer chose another partner"},
    "sow:cr_create": {"title": "Second workshop", "reason": "Asked for"},
    "sow:cr_line_add": {"change": "added", "kind": "expenses", "description": "Flights", "price": "800"},
    "sow:cr_transition": {"reason": "Customer dropped it"},
    "sow:cr_from_estimate": {"estimate": lambda w: w["revised_estimate"].pk},
    "staffing:requirement_create": {
        "delivery_role": "ps_engineer",
        "title": "Migration engineer",
        "hours_per_week": "20",
        "start_date": "2027-04-05",
        "end_date": "2027-04-30",
        "customer_time_zone": "America/New_York",
        "overlap_hours": "4",
    },
    "staffing:assignment_add": {"person": lambda w: w["engineer2"].pk, "hours_per_week": "10"},
    "salesforce:sync_now": {},
    "salesforce:org_check": {},
    "password_change": {},
    "admin:sow_approvalqueueitem_review": {"decision": "approve", "comment": "Fine"},
    "admin:sow_approvalqueueitem_cr_review": {"decision": "approve", "comment": "Fine"},
}
# Payloads that cannot write in this world whoever sends them (the check that they do is skipped).
NO_WRITE = {
    "login",
    "logout",
    "password_change",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "scoping:estimate_preview",
    "salesforce:sync_now",
    "salesforce:org_check",  # checking the org writes only once Salesforce is configured
    "sow:create",  # the issue already has its SOW
    "staffing:assignment_confirm",  # confirming needs a signed SOW
    # Answered and refused-or-allowed as declared for every role, but the payload scraped from the
    # world's pages does not change its rows for an administrator: the cost line's form holds its
    # current values, the bulk confirm's row is refused by its own rule, and the administrator has no
    # place in the forecast hierarchy to call from. Their writes are tested in their own suites.
    "engagements:pipeline_bulk",
    "sow:cost_update",
    "calls:mine",
    "admin:sow_approvalqueueitem_review",  # the world's version is a draft, not submitted
    "admin:sow_approvalqueueitem_cr_review",  # the world's change request is a draft
    *ADMIN_READS_ON_POST,
}


@pytest.fixture
def write_world(world, people):
    """The access world plus what draft-only actions need: a draft estimate on a second issue."""
    from scoping import services as scoping_services
    from tests.engagements.factories import OpportunityFactory

    em = people["em"]
    opp = OpportunityFactory(
        engagement_manager=em, region=world["opportunity"].region, name="Acme — Training"
    )
    new_issue = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Training scope")
    other = scoping_services.scoping_issue_create(actor=em.user, opportunity=opp, title="Training v2 scope")
    draft = scoping_services.estimate_create(actor=em.user, issue=other)
    from scoping.models import OfferingActivity, ServiceOffering

    offering = ServiceOffering.objects.get(name="Custom Migration")
    scoping_services.estimate_add_offering(actor=em.user, estimate=draft, offering=offering)
    assert OfferingActivity.objects.filter(offering=offering).exists()
    import datetime as dt

    from tests.people.factories import delivery_person
    from tests.staffing.factories import StaffingRequirementFactory

    spare = StaffingRequirementFactory(
        sow=world["sow"], start_date=dt.date(2027, 5, 3), end_date=dt.date(2027, 5, 28)
    )
    engineer2 = delivery_person("Robin Lee", region=world["opportunity"].region)
    return {
        **world,
        "new_issue": new_issue,
        "draft": draft,
        "draft_line": draft.lines.first(),
        "offering": offering,
        "spare_requirement": spare,
        "engineer2": engineer2,
    }


def _app_targets(admin_client: Client, w: dict[str, Any]) -> list[Target]:
    targets = []
    for route, name, pattern in all_patterns():
        if route.startswith("admin/") or not name or name in ("health",):
            continue
        if route.startswith("api/"):  # JSON writes with If-Match: tests/api/test_access.py, per role
            continue
        kwargs = kwargs_for(name, route, pattern, w)
        if name.startswith("scoping:estimate_") and name not in ("scoping:estimate_create",):
            kwargs = {"pk": w["draft"].pk} | ({"line_pk": w["draft_line"].pk} if "line_pk" in kwargs else {})
        if name == "scoping:estimate_create":
            kwargs = {"pk": w["new_issue"].pk}
        if name == "scoping:estimate_revise":  # only a frozen version is revised
            kwargs = {"pk": w["estimate"].pk}
        if name == "sow:transition":  # a draft can be withdrawn
            kwargs = {"pk": w["version"].pk, "action": "withdraw"}
        # one nobody is assigned to yet
        if name in ("staffing:requirement_delete", "staffing:assignment_add"):
            kwargs = {"pk": w["spare_requirement"].pk}
        url = reverse(name, kwargs=kwargs)
        declared = APP_WRITES.get(name)
        if declared is None:
            # Not a write: every POST is refused (405) or sent to log in.
            expected = {role: ("refused" if role != "anonymous" else L) for role in ROLES}
            targets.append(Target(name, url, expected, {}, writes=False))
            continue
        expected = {role: _allowed(declared, role) for role in ROLES}
        data = None
        if name in SOURCE_PAGE:
            page_name, key = SOURCE_PAGE[name]
            data = _scrape(admin_client, reverse(page_name, args=[w[key].pk]), action=url)
        else:
            data = _scrape(admin_client, url, action=url)
        data = {**(data or {}), **_extra(name, w)}
        targets.append(Target(name, url, expected, data, writes=name not in NO_WRITE))
    return targets


def _extra(name: str, w: dict[str, Any]) -> dict[str, Any]:
    return {k: (v(w) if callable(v) else v) for k, v in EXTRA.get(name, {}).items()}


def _admin_targets(admin_client: Client, admin_user: Any, w: dict[str, Any]) -> list[Target]:
    targets = []
    models = _admin_models()
    for key, (model, model_admin) in sorted(models.items()):
        declared = ADMIN_WRITES.get(key)
        assert declared is not None, (
            f"No write expectations declared for the {key} admin (tests/access/matrix.py)"
        )
        obj = model._default_manager.order_by("pk").first()
        meta = model._meta
        base = f"admin:{meta.app_label}_{meta.model_name}"
        form_id = f"{meta.model_name}_form"
        add_url = reverse(f"{base}_add")
        add_data = _scrape(admin_client, add_url, form_id=form_id) or {}
        targets.append(_admin_target(f"{key} add", add_url, declared["add"], add_data, writes=False))
        if obj is None:
            continue
        change_url = reverse(f"{base}_change", args=[obj.pk])
        change_data = _scrape(admin_client, change_url, form_id=form_id) or {}
        targets.append(
            _admin_target(f"{key} change", change_url, declared["change"], change_data, writes=True)
        )
        targets.append(
            _admin_target(
                f"{key} delete",
                reverse(f"{base}_delete", args=[obj.pk]),
                declared["delete"],
                {"post": "yes"},
                writes=False,  # protected relations may keep the object; the refusal is what counts
            )
        )
        if hasattr(model_admin, "history_form_view"):
            assert "revert" in declared, f"{key} has history pages: declare who may revert"
            record = obj.history.order_by("history_id").first()
            url = reverse(f"{base}_simple_history", args=[obj.pk, record.history_id])
            targets.append(_admin_target(f"{key} revert", url, declared["revert"], change_data, writes=True))
        request = RequestFactory().get("/")
        request.user = admin_user
        actions = model_admin.get_actions(request)
        declared_actions = declared.get("actions", {})
        assert set(actions) <= set(declared_actions), (
            f"{key}: undeclared admin actions {set(actions) - set(declared_actions)}"
        )
        for action in declared_actions:
            targets.append(
                _admin_target(
                    f"{key} action {action}",
                    reverse(f"{base}_changelist"),
                    declared_actions[action],
                    {"action": action, "_selected_action": [str(obj.pk)], "index": "0", "post": "yes"},
                    writes=False,
                )
            )
    return targets


def _admin_target(label: str, url: str, roles: Any, data: dict[str, Any], *, writes: bool) -> Target:
    expected = {role: (A if role in roles else F if role in STAFF else L) for role in ROLES}
    return Target(label, url, expected, data, writes)


def _admin_custom_targets(admin_client: Client, w: dict[str, Any]) -> list[Target]:
    targets = []
    for route, name, pattern in all_patterns():
        if (
            not route.startswith("admin/")
            or not name
            or name not in APP_WRITES
            and name not in ADMIN_READS_ON_POST
        ):
            continue
        if name in APP_WRITES and re.fullmatch(r"admin:\w+?_(" + "|".join(ADMIN_MODEL_VIEWS) + ")", name):
            continue
        kwargs = kwargs_for(name, route, pattern, w)
        url = reverse(name, kwargs=kwargs)
        if name in ADMIN_READS_ON_POST:
            # Those who may open the page: any answer (the page, or 405), nothing written.
            _, get_rule = ADMIN[name]
            expected = {role: (READ if value == A else value) for role, value in get_rule.items()}
            targets.append(Target(name, url, expected, {}, writes=False))
            continue
        roles = APP_WRITES[name]
        data = {**(_scrape(admin_client, url) or {}), **_extra(name, w)}
        if name == "admin:forecasting_bookingsplan_import":
            data["file"] = SimpleUploadedFile(
                "plans.csv", b"quarter,region,em_email,amount,currency\nFY27-Q3,AMER,,250000,USD\n"
            )
        if name == "admin:auth_user_password_change":
            data = {"password1": "A-new-password-2026", "password2": "A-new-password-2026"}
        expected = {
            role: (
                _allowed(roles, role)
                if roles == ANY_ANSWER
                else A
                if role in roles
                else F
                if role in STAFF
                else L
            )
            for role in ROLES
        }
        targets.append(Target(name, url, expected, data, writes=name not in NO_WRITE))
    return targets


def _post(client: Client, target: Target) -> tuple[str, list[str]]:
    """POST in a savepoint that is rolled back: (outcome, tables the POST changed)."""
    data = {k: (v.open() if hasattr(v, "open") and v.closed else v) for k, v in target.data.items()}
    for value in data.values():
        if hasattr(value, "seek"):
            value.seek(0)
    with transaction.atomic():
        before = database_state()
        response = client.post(target.url, data)
        changed = changed_tables(before, database_state())
        transaction.set_rollback(True)
    return _outcome(response), changed


@pytest.fixture
def targets(write_world, people):
    admin_client = Client()
    admin_client.force_login(people["admin"].user)
    w = write_world
    return (
        _app_targets(admin_client, w)
        + _admin_targets(admin_client, people["admin"].user, w)
        + _admin_custom_targets(admin_client, w)
    )


def test_every_admin_model_has_declared_write_expectations():
    missing = sorted(set(_admin_models()) - set(ADMIN_WRITES))
    assert not missing, f"Admin models with no declared write expectations: {missing}"


def test_administrator_payloads_really_write(targets, people):
    """The POSTs below are complete: sent by an administrator allowed to, they change the database."""
    client = Client()
    client.force_login(people["admin"].user)
    weak = []
    for target in targets:
        if not target.writes or target.expected["admin"] != A:
            continue
        got, changed = _post(client, target)
        if got != A or not changed:
            weak.append(f"{target.label} {target.url}: {got}, changed {changed or 'nothing'}")
    assert not weak, "Payloads that do not write for an administrator:\n" + "\n".join(weak)


@pytest.mark.parametrize("role", ROLES)
def test_every_post_for_role_is_refused_or_declared(role, targets, people):
    client = Client()
    if role != "anonymous":
        client.force_login(people[role].user)
    problems = []
    # Logging in or out changes who the client is: those come last.
    for target in sorted(targets, key=lambda t: t.expected[role] == ANY_ANSWER):
        expected = target.expected[role]
        got, changed = _post(client, target)
        if got == "error":
            problems.append(f"{target.label} POST {target.url}: server error")
        elif expected == ANY_ANSWER:
            continue
        elif expected == READ:
            if changed:
                problems.append(
                    f"{target.label} POST {target.url}: a page that writes nothing changed {changed}"
                )
        elif expected in REFUSED or expected == "refused":
            if got not in REFUSED:
                problems.append(f"{target.label} POST {target.url}: expected a refusal, got {got}")
            if changed:
                problems.append(f"{target.label} POST {target.url}: refused but changed {changed}")
        elif got != expected:
            problems.append(f"{target.label} POST {target.url}: expected {expected}, got {got}")
    assert not problems, f"{role}:\n" + "\n".join(problems)


def test_logged_in_roles_cover_the_matrix():
    assert set(LOGGED_IN) | {"anonymous"} == set(ROLES)
    assert set(APP_WRITES) - {name for _, name, _ in all_patterns()} == set()
    assert all(name in APP or name in ADMIN for name in APP_WRITES)
