"""SOW admin: templates, margin targets, and the PS Director's approval queue."""

from __future__ import annotations

import datetime as dt
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
    ApprovalRule,
    ApprovalStep,
    ApproverRole,
    ApproverRoleMember,
    ChangeRequest,
    Delegation,
    MarginTarget,
    SowStatus,
    SowTemplate,
    SowVersion,
    SupplierEntity,
    WorkingCalendar,
)
from sow.services import ladder


@admin.register(SowTemplate)
class SowTemplateAdmin(HistoryAdmin):
    history_revert = True  # templates are edited here; existing SOWs keep their own text
    list_display = ["category", "pricing_type", "validity_days", "updated_at"]


@admin.register(MarginTarget)
class MarginTargetAdmin(admin.ModelAdmin[MarginTarget]):
    list_display = ["category", "target_percent", "floor_percent"]


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
        approver = ladder.Approver.of(request.user)
        versions = selectors.approval_queue()
        steps = selectors.waiting_steps(versions=versions)
        siblings = selectors.round_steps(steps)
        rows = []
        for version in versions:
            step = steps.get(("sow", version.pk))
            rows.append(
                {
                    "version": version,
                    "days_waiting": (now - version.submitted_at).days if version.submitted_at else 0,
                    **step_columns(
                        step,
                        now,
                        approver,
                        own=not access.can_decide(request.user, version),
                        subject=version,
                        siblings=siblings.get(("sow", version.pk), []),
                    ),
                    "review_url": reverse("admin:sow_approvalqueueitem_review", args=[version.pk]),
                    "own": not access.can_decide(request.user, version),
                }
            )
        change_requests = change_request_admin.queue_rows(request, now, approver)
        context = {
            **self.admin_site.each_context(request),
            "title": "SOW approval queue",
            "rows": rows,
            "mine": [row for row in rows if row["for_me"]],
            "mine_change_requests": [row for row in change_requests if row["for_me"]],
            "delegations_url": reverse("sow:delegations"),
            "change_requests": change_requests,
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
                    decided = services.sow_approve(
                        actor=request.user,  # type: ignore[arg-type]  # admin pages let in only staff logins
                        version=version,
                        expected_version=expected,
                        comment=comment,
                    )
                    waiting = ladder.current_step(decided) if decided.status == SowStatus.SUBMITTED else None
                    self.message_user(
                        request,
                        f"Your step of {version.sow.reference} {version.label} is approved; "
                        f"it now waits for step {waiting.title}."
                        if waiting
                        else f"{version.sow.reference} {version.label} approved.",
                        messages.SUCCESS,
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
            "refusal": step_refusal(request.user, version),
            "decidable": version.status == SowStatus.SUBMITTED,
            "ladder": selectors.ladder_rows(version),
            "non_standard_terms": version.non_standard_terms,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/sow/review.html", context)

    def change_request_review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return change_request_admin.review(self, request, pk)


def step_refusal(user: Any, subject: Any) -> str | None:
    """Why `user` may not decide here: their own SOW or change request, else the waiting step is
    not theirs (None when they may)."""
    own = (
        access.can_decide_change_request(user, subject)
        if isinstance(subject, ChangeRequest)
        else access.can_decide(user, subject)
    )
    if not own:
        return str(
            access.can_decide_change_request.message
            if isinstance(subject, ChangeRequest)
            else access.can_decide.message
        )
    step = ladder.current_step(subject)
    if subject.status != SowStatus.SUBMITTED or step is None:
        return None
    return ladder.refusal(user, step, subject) or None


def step_columns(
    step: ApprovalStep | None,
    now: dt.datetime,
    approver: ladder.Approver,
    *,
    own: bool,
    subject: Any,
    siblings: list[ApprovalStep] | None = None,
) -> dict[str, Any]:
    """The queue's columns for the step a SOW or change request waits at."""
    if step is None:
        return {"step": None, "step_waiting": "", "due_at": None, "overdue": False, "for_me": False}
    allowed, on_behalf_of = approver.acting_for(step)
    return {
        "step": step,
        "step_waiting": selectors.waiting_text(now - step.started_at) if step.started_at else "",
        "due_at": step.due_at,
        "overdue": bool(step.due_at and step.due_at <= now),
        "for_me": allowed
        and not own
        and not ladder.refusal(approver.user, step, subject, approver, siblings),
        "on_behalf_of": on_behalf_of,
    }


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin[ApprovalRule]):
    """Rules that add approvers to a SOW's ladder; a change applies to the next submission (a
    submitted version keeps the ladder it was given)."""

    list_display = ["name", "active", "order", "applies_to", "conditions", "approver", "service_level_hours"]
    list_filter = ["active", "applies_to"]
    list_select_related = ["approver_role", "approver_person", "region"]
    fieldsets = [
        (None, {"fields": ["name", "active", "order", "applies_to"]}),
        (
            "Conditions (every one set must hold; a blank one is not asked)",
            {
                "fields": [
                    "min_price",
                    "margin_below_target",
                    "margin_below_floor",
                    "min_discount_percent",
                    "pricing_type",
                    "region",
                    "category",
                    "non_standard_terms",
                ]
            },
        ),
        (
            "The step it adds",
            {
                "fields": [
                    "approver_role",
                    "approver_person",
                    "region_scoped",
                    "service_level_hours",
                    "reminder_hours",
                    "escalation_role",
                ]
            },
        ),
    ]

    @admin.display(description="conditions")
    def conditions(self, obj: ApprovalRule) -> str:
        parts = []
        if obj.min_price is not None:
            parts.append(f"price > {obj.min_price:,.0f}")
        if obj.margin_below_target:
            parts.append("below target")
        if obj.margin_below_floor:
            parts.append("below floor")
        if obj.min_discount_percent is not None:
            parts.append(f"discount ≥ {obj.min_discount_percent} %")
        if obj.pricing_type:
            parts.append(obj.get_pricing_type_display())
        if obj.region_id:
            parts.append(str(obj.region))
        if obj.category:
            parts.append(obj.get_category_display())
        if obj.non_standard_terms:
            parts.append("non-standard terms")
        return ", ".join(parts) or "always"

    @admin.display(description="approver")
    def approver(self, obj: ApprovalRule) -> str:
        name = str(obj.approver_role or obj.approver_person or "")
        return f"{name} (region-scoped)" if obj.region_scoped else name


class ApproverRoleMemberInline(admin.TabularInline[ApproverRoleMember, ApproverRole]):
    model = ApproverRoleMember
    extra = 1
    autocomplete_fields = ["person"]


@admin.register(ApproverRole)
class ApproverRoleAdmin(admin.ModelAdmin[ApproverRole]):
    list_display = ["name", "description"]
    search_fields = ["name"]
    inlines = [ApproverRoleMemberInline]


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(admin.ModelAdmin[WorkingCalendar]):
    list_display = ["__str__", "time_zone", "working_days", "day_start", "day_end"]
    list_select_related = ["region"]


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin[Delegation]):
    list_display = ["person", "delegate", "starts_on", "ends_on", "note"]
    list_select_related = ["person", "delegate"]
    autocomplete_fields = ["person", "delegate"]
    exclude = ["created_by"]


def _link(url: str, text: str) -> str:
    return format_html('<a href="{}">{}</a>', url, text)
