from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from core.admin_site import ReadOnlyAdmin
from core.exceptions import Conflict
from core.jobs import recent_jobs, status_of
from salesforce import access, conflicts, selectors
from salesforce.models import SalesforceChange, SentValue, SyncConflict, SyncCursor, SyncRun
from salesforce.services import SYNC_JOB_KIND

# Runs, the cursor and conflicts are records of what happened: read here, never edited or deleted
# (deleting an open conflict would lose someone's edit). Conflicts are resolved by the actions.


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin[SyncRun]):
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
    change_list_template = "admin/salesforce/syncrun/change_list.html"

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
                name="salesforce_syncrun_health",
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
            "health": selectors.sync_health(),
            "can_sync": access.can_run_salesforce_sync(request.user),
            "sync_jobs": [
                status_of(job, poll_url=reverse("job_status", args=[job.pk]))
                for job in recent_jobs(kind=SYNC_JOB_KIND, user=request.user)
            ],
        }
        return TemplateResponse(request, "admin/salesforce/sync_health.html", context)


@admin.register(SyncConflict)
class SyncConflictAdmin(ReadOnlyAdmin[SyncConflict]):
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
                conflicts.sync_conflict_resolve(actor=request.user, conflict=conflict, choice=choice)  # type: ignore[arg-type]  # admin pages let in only staff logins
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
        self._resolve(request, queryset, conflicts.KEEP_MINE)

    @admin.action(description="Resolve: take the Salesforce value")
    def take_salesforce(self, request: HttpRequest, queryset: QuerySet[SyncConflict]) -> None:
        self._resolve(request, queryset, conflicts.TAKE_SALESFORCE)


@admin.register(SyncCursor)
class SyncCursorAdmin(ReadOnlyAdmin[SyncCursor]):
    list_display = ["name", "watermark", "locked_until", "paused_until", "last_error", "updated_at"]


@admin.register(SentValue)
class SentValueAdmin(ReadOnlyAdmin[SentValue]):
    """The values the sync sent and what came of each: "in doubt" ones are the app's own writes
    that may still land late (recognised as echoes, never as someone's edit)."""

    list_display = ["opportunity", "field", "value", "sent_at", "outcome"]
    list_filter = ["outcome", "field"]
    list_select_related = ["opportunity"]
    search_fields = ["opportunity__name", "opportunity__salesforce_id"]
    date_hierarchy = "sent_at"


@admin.register(SalesforceChange)
class SalesforceChangeAdmin(ReadOnlyAdmin[SalesforceChange]):
    """Each value the pull took in from Salesforce, with who changed it there and when."""

    list_display = ["opportunity", "label", "before", "after", "changed_by_name", "changed_at", "pulled_at"]
    list_filter = ["field"]
    list_select_related = ["opportunity"]
    search_fields = ["opportunity__name", "opportunity__salesforce_id", "changed_by_name", "changed_by_id"]
    date_hierarchy = "pulled_at"
