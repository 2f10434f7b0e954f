"""Change requests in the PS Director's approval queue (sow.admin): their rows in the queue and their
review page, deciding through the change request services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from core.exceptions import Conflict
from sow import access, selectors
from sow.forms import DecisionForm
from sow.models import ChangeRequestStatus
from sow.services import change_requests as services
from sow.services import ladder


def queue_rows(request: HttpRequest, now: dt.datetime, approver: ladder.Approver) -> list[dict[str, Any]]:
    from sow.admin import step_columns

    rows = []
    change_requests = selectors.change_request_queue()
    steps = selectors.waiting_steps(change_requests=change_requests)
    siblings = selectors.round_steps(steps)
    for change_request in change_requests:
        totals = services.change_request_totals(change_request)
        rows.append(
            {
                "cr": change_request,
                "totals": totals,
                **step_columns(
                    steps.get(("cr", change_request.pk)),
                    now,
                    approver,
                    own=not access.can_decide_change_request(request.user, change_request),
                    subject=change_request,
                    siblings=siblings.get(("cr", change_request.pk), []),
                ),
                "days_waiting": (now - change_request.submitted_at).days
                if change_request.submitted_at
                else 0,
                "review_url": reverse("admin:sow_approvalqueueitem_cr_review", args=[change_request.pk]),
                "own": not access.can_decide_change_request(request.user, change_request),
            }
        )
    return rows


def review(model_admin: admin.ModelAdmin[Any], request: HttpRequest, pk: int) -> HttpResponse:
    from sow.admin import step_refusal

    access.can_decide_sows.require(request.user)
    change_request = get_object_or_404(services.change_request_rows(), pk=pk)
    form = DecisionForm(request.POST or None, initial={"version": change_request.version})
    if request.method == "POST" and "version" in form.errors:
        model_admin.message_user(
            request,
            "This page was out of date, so nothing was decided. Reload it and try again.",
            messages.ERROR,
        )
    elif request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision")
        comment = form.cleaned_data["comment"]
        expected = form.cleaned_data["version"]
        actor: Any = request.user  # admin pages let in only staff logins
        try:
            if decision == "approve":
                decided = services.change_request_approve(
                    actor=actor, change_request=change_request, expected_version=expected, comment=comment
                )
                waiting = (
                    ladder.current_step(decided) if decided.status == ChangeRequestStatus.SUBMITTED else None
                )
                model_admin.message_user(
                    request,
                    f"Your step of {change_request} is approved; it now waits for step {waiting.title}."
                    if waiting
                    else f"{change_request} approved.",
                    messages.SUCCESS,
                )
            elif decision == "request_changes":
                services.change_request_request_changes(
                    actor=actor, change_request=change_request, expected_version=expected, comment=comment
                )
                model_admin.message_user(request, f"Changes requested on {change_request}.", messages.SUCCESS)
            else:
                raise ValidationError("Choose approve or request changes.")
        except PermissionDenied as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
        except Conflict as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
            change_request.refresh_from_db()
            form = DecisionForm(initial={"version": change_request.version, "comment": comment})
        except ValidationError as exc:
            for message in exc.messages:
                model_admin.message_user(request, message, messages.ERROR)
        else:
            return HttpResponseRedirect(reverse("admin:sow_approvalqueueitem_changelist"))
    lines = list(change_request.lines.all())
    version = change_request.sow_version
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Review {change_request}",
        "cr": change_request,
        "version": version,
        "sow": change_request.sow,
        "opp": change_request.sow.opportunity,
        "lines": lines,
        "totals": services.change_request_totals(change_request, lines),
        "contract": services.contract_value(version),
        "approvals": list(change_request.approvals.select_related("actor")),
        "documents": {d.kind: d for d in change_request.documents.all()},
        "form": form,
        "refusal": step_refusal(request.user, change_request),
        "decidable": change_request.status == ChangeRequestStatus.SUBMITTED,
        "ladder": selectors.ladder_rows(change_request),
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/sow/change_request_review.html", context)
