from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from core.admin_site import ReadOnlyAdmin
from core.exceptions import Conflict
from core.history import HistoryAdmin
from engagements import access
from engagements.models import (
    Account,
    ConfidenceEvent,
    Opportunity,
    PendingPush,
    Risk,
    SyncConflict,
    SyncCursor,
    SyncRun,
)
from engagements.salesforce import conflicts as sync_conflicts
from engagements.salesforce import push as sync_push
from engagements.salesforce import selectors as sync_selectors

# Salesforce owns the commercial fields and the EM fields go through the services
# (rules, timeline, pending push), so the admin shows opportunities read-only.
_SALESFORCE_FIELDS = [
    "salesforce_id",
    "name",
    "account",
    "owner_name",
    "owner_email",
    "stage",
    "type",
    "record_type",
    "close_date",
    "amount",
    "currency",
    "probability",
    "forecast_category",
    "is_closed",
    "is_won",
    "region",
]
_EM_FIELDS = [
    "engagement_manager",
    "em_confidence",
    "em_confidence_rationale",
    "scoping_issue_link",
    "em_reviewed_at",
]


@admin.register(Account)
class AccountAdmin(HistoryAdmin):
    list_display = ["name", "segment", "region", "salesforce_id"]
    list_filter = ["region", "segment"]
    search_fields = ["name", "salesforce_id"]


class RiskInline(admin.TabularInline):
    model = Risk
    extra = 0
    fields = ["description", "severity", "mitigation", "owner", "status"]
    readonly_fields = ["description", "severity", "mitigation", "owner", "status"]
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Opportunity)
class OpportunityAdmin(HistoryAdmin):
    list_display = [
        "name",
        "account",
        "close_date",
        "stage",
        "amount",
        "currency",
        "engagement_manager",
        "em_confidence",
    ]
    list_filter = ["em_confidence", "region", "is_closed", "is_won", "stage"]
    search_fields = ["name", "account__name", "salesforce_id"]
    list_select_related = ["account", "engagement_manager", "region"]
    date_hierarchy = "close_date"
    readonly_fields = [
        *_SALESFORCE_FIELDS,
        *_EM_FIELDS,
        "sf_last_modified",
        "last_synced_at",
        "removed_in_salesforce_at",
        "version",
    ]
    fieldsets = [
        (
            "Salesforce",
            {
                "fields": _SALESFORCE_FIELDS
                + ["sf_last_modified", "last_synced_at", "removed_in_salesforce_at"]
            },
        ),
        ("Professional Services", {"fields": _EM_FIELDS + ["version"]}),
    ]
    inlines = [RiskInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


# The EM call timeline, the outbox and conflicts are records of what happened: read here, never
# edited or deleted (deleting a pending push or an open conflict would lose someone's edit).
@admin.register(ConfidenceEvent)
class ConfidenceEventAdmin(ReadOnlyAdmin):
    list_display = ["opportunity", "kind", "from_confidence", "to_confidence", "actor", "at"]
    list_filter = ["kind", "to_confidence"]
    list_select_related = ["opportunity", "actor"]
    search_fields = ["opportunity__name"]
    readonly_fields = ["opportunity", "kind", "actor", "at", "from_confidence", "to_confidence", "rationale"]


@admin.register(PendingPush)
class PendingPushAdmin(ReadOnlyAdmin):
    list_display = [
        "opportunity",
        "fields",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "updated_at",
    ]
    list_filter = ["status"]
    list_select_related = ["opportunity"]
    search_fields = ["opportunity__name", "opportunity__salesforce_id", "last_error"]
    readonly_fields = ["opportunity", "fields", "status", "attempts", "next_attempt_at", "last_error"]
    actions = ["retry_push"]

    @admin.action(description="Retry on the next sync run")
    def retry_push(self, request: HttpRequest, queryset: QuerySet[PendingPush]) -> None:
        try:
            count = sync_push.pending_push_retry(
                actor=request.user, push_ids=list(queryset.values_list("pk", flat=True))
            )  # type: ignore[arg-type]
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{count} push(es) will be sent on the next sync run.", messages.SUCCESS)


# --- Salesforce sync ---------------------------------------------------------------------------------


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "trigger",
        "outcome",
        "duration",
        "pulled",
        "created",
        "updated",
        "removed",
        "pushed",
        "push_failed",
        "conflicts",
        "api_calls",
        "api_usage",
    ]
    list_filter = ["outcome", "trigger", "full"]
    list_select_related = ["started_by"]
    date_hierarchy = "started_at"
    change_list_template = "admin/engagements/syncrun/change_list.html"

    @admin.display(description="seconds")
    def duration(self, obj: SyncRun) -> str:
        seconds = obj.duration_seconds
        return "—" if seconds is None else f"{seconds:.1f}"

    @admin.display(description="org API usage")
    def api_usage(self, obj: SyncRun) -> str:
        if obj.api_usage_limit is None:
            return "—"
        return f"{obj.api_usage_used}/{obj.api_usage_limit}"

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "health/",
                self.admin_site.admin_view(self.health_view),
                name="engagements_syncrun_health",
            ),
            *super().get_urls(),
        ]

    def health_view(self, request: HttpRequest) -> HttpResponse:
        """Salesforce sync health: configuration, schedule, recent runs, the outbox, conflicts."""
        if not (self.has_view_permission(request) or access.can_run_salesforce_sync(request.user)):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Salesforce sync health",
            "opts": self.model._meta,
            "health": sync_selectors.sync_health(),
            "can_sync": access.can_run_salesforce_sync(request.user),
        }
        return TemplateResponse(request, "admin/engagements/sync_health.html", context)


@admin.register(SyncConflict)
class SyncConflictAdmin(ReadOnlyAdmin):
    list_display = [
        "opportunity",
        "field",
        "local_display",
        "salesforce_display",
        "detected_at",
        "status",
        "resolution",
        "resolved_by",
    ]
    list_filter = ["status", "field", "resolution"]
    list_select_related = ["opportunity", "resolved_by"]
    search_fields = ["opportunity__name", "opportunity__salesforce_id"]
    actions = ["keep_local", "take_salesforce"]

    def _resolve(self, request: HttpRequest, queryset: QuerySet[SyncConflict], choice: str) -> None:
        done, problems = 0, []
        for conflict in queryset.filter(status=SyncConflict.Status.OPEN):
            try:
                sync_conflicts.sync_conflict_resolve(actor=request.user, conflict=conflict, choice=choice)  # type: ignore[arg-type]
            except (ValidationError, Conflict) as exc:
                problems.append(f"{conflict}: {' '.join(getattr(exc, 'messages', None) or [str(exc)])}")
            except PermissionDenied as exc:
                problems.append(f"{conflict}: {exc}")
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} conflict(s) resolved.", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)

    @admin.action(description="Resolve: keep the PS Pipeline value")
    def keep_local(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> None:
        self._resolve(request, queryset, sync_conflicts.KEEP_MINE)

    @admin.action(description="Resolve: take the Salesforce value")
    def take_salesforce(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> None:
        self._resolve(request, queryset, sync_conflicts.TAKE_SALESFORCE)


@admin.register(SyncCursor)
class SyncCursorAdmin(ReadOnlyAdmin):
    list_display = ["name", "watermark", "locked_until", "paused_until", "last_error", "updated_at"]
