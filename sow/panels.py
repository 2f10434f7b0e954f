"""SOW sections on the opportunity, scoping issue and estimate pages, and the lineage and contract value
on the SOW page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse

from core.panels import Panel
from core.types import AnyUser
from engagements.models import Opportunity
from scoping import services as scoping_services
from scoping.models import Estimate, ScopingIssue
from sow import access, selectors
from sow.models import ChangeRequest, SowStatus, SowVersion


def opportunity_panel(user: AnyUser, opportunity: Opportunity) -> Panel | None:
    if not access.can_use_sows(user):
        return None
    rows = selectors.margins_for(
        list(selectors.latest_versions(selectors.sows_for_user(user).filter(opportunity=opportunity)))
    )
    return Panel("sow/_panel.html", {"rows": rows, "issue": None}, order=20)


def scoping_issue_panel(user: AnyUser, issue: ScopingIssue) -> Panel | None:
    if not access.can_use_sows(user):
        return None
    rows = selectors.margins_for(
        list(selectors.latest_versions(selectors.sows_for_user(user).filter(scoping_issue=issue)))
    )
    can_create = access.can_create(user, issue) and not rows
    return Panel(
        "sow/_panel.html",
        {
            "rows": rows,
            "issue": issue,
            "can_create": can_create,
            "blocked": _create_blocked(issue) if can_create else "",
        },
        order=5,
    )


def _create_blocked(issue: ScopingIssue) -> str:
    """Why a SOW cannot be created from the issue yet, in the words of the rule that would refuse
    it (the same check the SOW service makes), or "" when it can."""
    try:
        scoping_services.scoping_issue_ready_for_sow(issue)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def sow_version_panel(user: AnyUser, version: SowVersion) -> Panel | None:
    """On the SOW page: the estimate it was drafted from and, once signed, the original value, each
    change request and the current contract value, with the way to draft a change request."""
    from sow.services.change_requests import SIGNED_STATES, contract_value

    signed = version.status in SIGNED_STATES
    contract = contract_value(version) if signed else None
    new_cr_url = (
        reverse("sow:cr_create", args=[version.pk]) if signed and access.can_edit(user, version.sow) else ""
    )
    return Panel(
        "sow/_version_lineage_panel.html",
        {"version": version, "contract": contract, "new_cr_url": new_cr_url},
        order=1,
    )


def estimate_panel(user: AnyUser, estimate: Estimate) -> Panel | None:
    """On the estimate page: the SOW versions drafted from it and the change requests taken from it."""
    if not access.can_use_sows(user):
        return None
    sows = selectors.sows_for_user(user)
    versions = list(
        SowVersion.objects.filter(estimate=estimate, sow__in=sows)
        .select_related("sow")
        .order_by("sow_id", "number")
    )
    change_requests = list(
        ChangeRequest.objects.filter(estimate=estimate, sow__in=sows)
        .select_related("sow")
        .order_by("sow_id", "number")
    )
    if not versions and not change_requests:
        return None
    return Panel(
        "sow/_estimate_panel.html", {"versions": versions, "change_requests": change_requests}, order=10
    )


def approval_ladder_panel(user: AnyUser, version: SowVersion) -> Panel | None:
    """On the SOW page: the approvers this version needs, in order, where each step stands, its
    waiting and due time (a preview from the rules until it is submitted), and its non-standard terms."""
    if version.status in (SowStatus.WITHDRAWN,) and not version.approval_steps.exists():
        return None
    return Panel(
        "sow/_approval_ladder_panel.html",
        {"rows": selectors.ladder_rows(version), "version": version},
        order=2,
    )
