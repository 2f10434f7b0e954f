"""Every URL pattern the resolver knows, checked for every role against its declared expectation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access.conftest import ROLES
from tests.access.matrix import ADMIN, ADMIN_MODELS, APP, STAFF, A, F, L  # noqa: F401

pytestmark = pytest.mark.django_db
QUERY = {"admin:autocomplete": "?app_label=people&model_name=person&field_name=manager&term=a"}
ADMIN_MODEL_VIEWS = ("changelist", "add", "change", "delete", "history", "simple_history")


def all_patterns(patterns: Any = None, prefix: str = "", namespace: str = "") -> list[tuple[str, str, Any]]:
    """(full route, name with namespace or "", pattern) for every URL pattern."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            found += all_patterns(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or "")
            found.append((prefix + str(pattern.pattern), name, pattern))
    return found


def _admin_models() -> dict[str, Any]:
    return {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}


def expectation(name: str, route: str) -> tuple[str, dict[str, str]] | None:
    """The declared (method, role -> expectation) for a URL, or None when nobody decided."""
    if name in APP:
        return APP[name]
    if name in ADMIN:
        return ADMIN[name]
    if not route.startswith("admin/"):
        return None
    if not name:
        if route.endswith("(?P<url>.*)$"):  # the admin's catch-all: login first, then 404
            return "GET", {role: (F if role in STAFF else L) for role in ROLES}
        if route.endswith("<path:object_id>/"):  # redirects staff to the change page
            return "GET", {role: (A if role in STAFF else L) for role in ROLES}
        return None
    match = re.fullmatch(r"admin:(\w+?)_(" + "|".join(ADMIN_MODEL_VIEWS) + ")", name)
    if not match or match.group(1) not in _admin_models():
        return None
    model_key, view = match.groups()
    declared = ADMIN_MODELS.get(model_key)
    if declared is None:
        return None
    allowed = declared.get("history" if view == "simple_history" else view, ())
    return "GET", {role: A if role in allowed else (F if role in STAFF else L) for role in ROLES}


def kwargs_for(name: str, route: str, pattern: Any, world: dict[str, Any]) -> dict[str, Any]:
    """Arguments that point each URL at the world's objects (all owned by the AMER EM)."""
    keys = list(pattern.pattern.converters) or re.findall(r"\(\?P<(\w+)>", route)
    if name.endswith("_simple_history"):  # positional: object id, history id
        keys = ["object_id", "history_id"]
    if not keys:
        return {}
    w = world
    by_name = {
        "engagements:risk_edit": {"pk": w["risk"].pk},
        "engagements:risk_close": {"pk": w["risk"].pk},
        "engagements:saved_filter_delete": {"pk": w["saved_filter"].pk},
        "salesforce:conflict_resolve": {"pk": w["conflict"].pk},
        "job_status": {"pk": w["job"].pk},
        "people:detail": {"pk": w["person"].pk},
        "people:edit": {"pk": w["person"].pk},
        "scoping:create": {"opportunity_pk": w["opportunity"].pk},
        "scoping:estimate_create": {"pk": w["issue"].pk},
        "scoping:estimate_delete_line": {"pk": w["estimate"].pk, "line_pk": w["line"].pk},
        "sow:create": {"issue_pk": w["issue"].pk},
        "sow:detail": {"pk": w["sow"].pk},
        "sow:cost_update": {"pk": w["version"].pk, "line_pk": w["cost_line"].pk},
        "sow:download_pdf": {"pk": w["version"].pk, "kind": "draft"},
        "sow:transition": {"pk": w["version"].pk, "action": "submit"},
        "sow:cr_create": {"pk": w["signed_version"].pk},
        "sow:cr_line_delete": {"pk": w["cr"].pk, "line_pk": w["cr_line"].pk},
        "sow:cr_download_pdf": {"pk": w["cr"].pk, "kind": "draft"},
        "sow:cr_transition": {"pk": w["cr"].pk, "action": "withdraw"},
        "staffing:requirement_create": {"sow_pk": w["sow"].pk},
        "staffing:assignment_confirm": {"pk": w["assignment"].pk},
        "staffing:assignment_cancel": {"pk": w["assignment"].pk},
        "forecasting:export": {"table": "regions"},
        "api:opportunity_detail": {"opportunity_id": w["opportunity"].pk},
        "api:opportunity_update": {"opportunity_id": w["opportunity"].pk},
        "api:opportunity_risks": {"opportunity_id": w["opportunity"].pk},
        "api:sow_version_detail": {"version_id": w["version"].pk},
        "api:sow_transition": {"version_id": w["version"].pk, "action": "withdraw"},
        "api:not_found": {"rest": "no-such-endpoint"},
        "api:token_revoke": {"pk": w["token"].pk},
        "api:scoping_issue_detail": {"issue_id": w["issue"].pk},
        "api:estimate_detail": {"estimate_id": w["estimate"].pk},
        "api:person_detail": {"person_id": w["person"].pk},
        "admin:view_on_site": {
            "content_type_id": ContentType.objects.get_for_model(w["opportunity"]).pk,
            "object_id": w["opportunity"].pk,
        },
        "admin:app_list": {"app_label": "engagements"},
        "admin:sow_approvalqueueitem_review": {"pk": w["version"].pk},
        "admin:sow_approvalqueueitem_cr_review": {"pk": w["cr"].pk},
    }
    if name in by_name:
        return by_name[name]
    if name.startswith("engagements:"):
        return {"pk": w["opportunity"].pk}
    if name.startswith("scoping:"):
        return {"pk": (w["estimate"] if name.startswith("scoping:estimate") else w["issue"]).pk}
    if name.startswith("sow:cr_"):
        return {"pk": w["cr"].pk}
    if name.startswith("sow:"):
        return {"pk": w["version"].pk}
    if name.startswith("staffing:"):
        return {"pk": w["requirement"].pk}
    if name.startswith("notifications:"):
        return {"pk": w["notification"].pk}
    if "object_id" in keys:
        match = re.fullmatch(r"admin:(\w+?)_(?:" + "|".join(ADMIN_MODEL_VIEWS) + ")", name)
        model = _admin_models().get(match.group(1)) if match else None
        obj = model._default_manager.order_by("pk").first() if model else None
        kwargs = {"object_id": obj.pk if obj else 1}
        if "history_id" in keys:
            kwargs["history_id"] = obj.history.order_by("history_id").first().history_id if obj else 1
        return kwargs
    if name == "admin:auth_user_password_change":
        return {"id": w["person"].user_id}
    if "url" in keys:
        return {"url": "no-such-page/"}
    raise AssertionError(f"No arguments known for {name or route}")


def outcome(response: Any) -> str:
    if response.status_code == 500:
        return "error"
    if response.status_code == 401:  # the API asks for a login (or a token) instead of redirecting
        return L
    if response.status_code in (301, 302) and (
        response.url.startswith(reverse("login")) or response.url.startswith(reverse("admin:login"))
    ):
        return L
    if response.status_code in (403, 404):
        return F
    return A


def test_every_url_has_a_declared_expectation():
    missing = [name or route for route, name, _ in all_patterns() if expectation(name, route) is None]
    assert not missing, (
        f"URLs with no declared access expectation (add them to tests/access/matrix.py): {missing}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_url_for_role(role, people, world):
    mismatches = []
    # Pages first, then actions, so an action's effect never changes what a page check sees.
    ordered = sorted(all_patterns(), key=lambda p: (expectation(p[1], p[0]) or ("GET",))[0] == "POST")
    for route, name, pattern in ordered:
        declared = expectation(name, route)
        if declared is None:
            continue
        method, expected = declared
        kwargs = kwargs_for(name, route, pattern, world)
        if name.endswith("_simple_history"):
            url = reverse(name, args=[kwargs["object_id"], kwargs["history_id"]])
        elif name:
            url = reverse(name, kwargs=kwargs)
        else:
            url = "/" + re.sub(
                r"<path:object_id>|\(\?P<url>\.\*\)\$",
                str(kwargs.get("object_id", "no-such-page")),
                route,
            )
        url += QUERY.get(name, "")
        client = Client()
        if role != "anonymous":
            client.force_login(people[role].user)
        response = client.post(url) if method == "POST" else client.get(url)
        got = outcome(response)
        if got != expected[role] and not (expected[role] == "any" and got != "error"):
            mismatches.append(
                f"{method} {url} ({name or route}): expected {expected[role]}, got {got} "
                f"({response.status_code})"
            )
    assert not mismatches, f"{role}:\n" + "\n".join(mismatches)
