from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from core.admin_site import ReadOnlyAdmin
from core.history import HistoryAdmin
from engagements import services
from engagements.models import Account, ConfidenceEvent, Opportunity, PendingPush, Risk

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


class RiskInline(admin.TabularInline[Risk, Opportunity]):
    model = Risk
    extra = 0
    fields = ["description", "severity", "mitigation", "owner", "status"]
    readonly_fields = ["description", "severity", "mitigation", "owner", "status"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Opportunity | None = None) -> bool:
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # One opportunity at a time, through delete_view's check below.
        actions: dict[str, Any] = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        """Refuse, with a clear message, to delete an opportunity that history (a past forecast
        week) holds: removal is marking it removed, as the Salesforce sync does."""
        obj = self.get_object(request, object_id)
        # Without delete permission Django's own view refuses; the message is for those who may delete.
        if obj is not None and self.has_delete_permission(request, obj):
            _, _, _, protected = self.get_deleted_objects([obj], request)
            if protected:
                messages.error(
                    request,
                    f"“{obj}” cannot be deleted: {len(protected)} past forecast record(s) hold it, and "
                    "deleting it would rewrite those weeks. An opportunity gone from Salesforce is marked "
                    "removed by the sync instead, which takes it out of the pipeline and keeps history.",
                )
                return HttpResponseRedirect(reverse("admin:engagements_opportunity_change", args=[obj.pk]))
        response: HttpResponse = super().delete_view(request, object_id, extra_context)
        return response


# The EM call timeline and the outbox are records of what happened: read here, never edited or
# deleted (deleting a pending push would lose someone's edit).
@admin.register(ConfidenceEvent)
class ConfidenceEventAdmin(ReadOnlyAdmin[ConfidenceEvent]):
    list_display = ["opportunity", "kind", "from_confidence", "to_confidence", "actor", "at"]
    list_filter = ["kind", "to_confidence"]
    list_select_related = ["opportunity", "actor"]
    search_fields = ["opportunity__name"]
    readonly_fields = ["opportunity", "kind", "actor", "at", "from_confidence", "to_confidence", "rationale"]


@admin.register(PendingPush)
class PendingPushAdmin(ReadOnlyAdmin[PendingPush]):
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
            count = services.pending_push_retry(
                actor=request.user, push_ids=list(queryset.values_list("pk", flat=True))
            )
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{count} push(es) will be sent on the next sync run.", messages.SUCCESS)
