"""SOW admin: templates, margin targets, and the PS Director's approval queue."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin_site import ReadOnlyAdmin
from core.exceptions import Conflict
from core.history import HistoryAdmin
from sow import access, change_request_admin, selectors, services
from sow.forms import DecisionForm
from sow.models import (
    ApprovalQueueItem,
    MarginTarget,
    SowStatus,
    SowTemplate,
    SowVersion,
    SupplierEntity,
)


@admin.register(SowTemplate)
class SowTemplateAdmin(HistoryAdmin):
    history_revert = True  # templates are edited here; existing SOWs keep their own text
    list_display = ["category", "pricing_type", "validity_days", "updated_at"]


@admin.register(MarginTarget)
class MarginTargetAdmin(admin.ModelAdmin[MarginTarget]):
    list_display = ["category", "target_percent"]


@admin.register(SupplierEntity)
class SupplierEntityAdmin(HistoryAdmin):
    """Who contracts SOWs: the default entity and any region's own, read by every PDF."""

    history_revert = True
    list_display = ["legal_name", "region", "agreement_title", "agreement_reference", "updated_at"]
    list_select_related = ["region"]
    fieldsets = [
        (None, {"fields": ["region", "legal_name", "address"]}),
        ("Agreement", {"fields": ["agreement_title", "agreement_reference"]}),
        ("Signature block", {"fields": ["signatory_name", "signatory_title"]}),
    ]


@admin.register(ApprovalQueueItem)
class ApprovalQueueAdmin(ReadOnlyAdmin[ApprovalQueueItem]):
    """Submitted SOWs, oldest first; the review page decides through the SOW services."""

    list_display_links = None
    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can_decide_sows(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can_decide_sows(request.user)

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="sow_approvalqueueitem_review",
            ),
            path(
                "change-requests/<int:pk>/",
                self.admin_site.admin_view(self.change_request_review_view),
                name="sow_approvalqueueitem_cr_review",
            ),
        ]
        return custom + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        access.can_decide_sows.require(request.user)
        now = timezone.now()
        rows = []
        for version in selectors.approval_queue():
            rows.append(
                {
                    "version": version,
                    "days_waiting": (now - version.submitted_at).days if version.submitted_at else 0,
                    "review_url": reverse("admin:sow_approvalqueueitem_review", args=[version.pk]),
                    "own": not access.can_decide(request.user, version),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "SOW approval queue",
            "rows": rows,
            "change_requests": change_request_admin.queue_rows(request, now),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/sow/approval_queue.html", context)

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        access.can_decide_sows.require(request.user)
        version = get_object_or_404(
            SowVersion.objects.select_related(
                "sow",
                "sow__opportunity",
                "sow__opportunity__account",
                "sow__opportunity__engagement_manager",
                "sow__opportunity__region",
                "sow__scoping_issue",
                "author",
                "estimate",
            ),
            pk=pk,
        )
        form = DecisionForm(request.POST or None, initial={"version": version.version})
        if request.method == "POST" and "version" in form.errors:
            self.message_user(
                request,
                "This page was out of date, so nothing was decided. Reload it and try again.",
                messages.ERROR,
            )
        elif request.method == "POST" and form.is_valid():
            decision = request.POST.get("decision")
            comment = form.cleaned_data["comment"]
            expected = form.cleaned_data["version"]
            try:
                if decision == "approve":
                    services.sow_approve(
                        actor=request.user,  # type: ignore[arg-type]  # admin pages let in only staff logins
                        version=version,
                        expected_version=expected,
                        comment=comment,
                    )
                    self.message_user(
                        request, f"{version.sow.reference} {version.label} approved.", messages.SUCCESS
                    )
                elif decision == "request_changes":
                    services.sow_request_changes(
                        actor=request.user,  # type: ignore[arg-type]  # admin pages let in only staff logins
                        version=version,
                        expected_version=expected,
                        comment=comment,
                    )
                    self.message_user(
                        request,
                        f"Changes requested on {version.sow.reference} {version.label}.",
                        messages.SUCCESS,
                    )
                else:
                    raise ValidationError("Choose approve or request changes.")
            except PermissionDenied as exc:
                self.message_user(request, str(exc), messages.ERROR)
            except Conflict as exc:
                self.message_user(request, exc.message, messages.ERROR)
                version.refresh_from_db()
                form = DecisionForm(initial={"version": version.version, "comment": comment})
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, message, messages.ERROR)
            else:
                return HttpResponseRedirect(reverse("admin:sow_approvalqueueitem_changelist"))
        last = selectors.last_approved(version)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review {version.sow.reference} {version.label}",
            "version": version,
            "sow": version.sow,
            "opp": version.sow.opportunity,
            "issue": version.sow.scoping_issue,
            "margin": services.version_margin(version),
            "kind_margins": services.kind_margins(version),
            "risks": selectors.open_risks(version),
            "estimate_diff": selectors.estimate_diff(version),
            "cost_lines": selectors.cost_lines(version),
            "approvals": selectors.approvals(version),
            "documents": selectors.documents(version),
            "last_approved": last,
            "form": form,
            # Why this user may not decide here (their own SOW), shown instead of the decision form.
            "refusal": None if access.can_decide(request.user, version) else access.can_decide.message,
            "decidable": version.status == SowStatus.SUBMITTED,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/sow/review.html", context)

    def change_request_review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return change_request_admin.review(self, request, pk)


def _link(url: str, text: str) -> str:
    return format_html('<a href="{}">{}</a>', url, text)
