from django.contrib import admin
from django.http import HttpRequest

from core.admin_site import ReadOnlyAdmin
from core.history import HistoryAdmin
from scoping.models import (
    DeliveryRole,
    Estimate,
    EstimateLine,
    OfferingActivity,
    ScopingIssue,
    ServiceOffering,
    TaReview,
)


@admin.register(DeliveryRole)
class DeliveryRoleAdmin(HistoryAdmin):
    history_revert = True  # the rate card is edited here; new rates never rewrite existing lines
    list_display = ["name", "person_role", "currency", "bill_rate", "cost_rate", "active"]
    list_filter = ["person_role", "currency", "active"]
    search_fields = ["name"]
    list_editable = ["bill_rate", "cost_rate", "active"]


class OfferingActivityInline(admin.TabularInline[OfferingActivity, ServiceOffering]):
    model = OfferingActivity
    extra = 1
    fields = ["position", "description", "role_name", "hours"]


@admin.register(ServiceOffering)
class ServiceOfferingAdmin(HistoryAdmin):
    history_revert = True  # the catalog is edited here
    list_display = ["code", "name", "kind", "category", "unit_price", "currency", "active"]
    list_filter = ["kind", "category", "currency", "active"]
    search_fields = ["code", "name", "description"]
    inlines = [OfferingActivityInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "category", "description", "active"]}),
        ("Packaged SKU pricing", {"fields": ["unit_price", "currency", "unit_label", "included_hours"]}),
        ("Guidance", {"fields": ["scoping_guidelines", "delivery_kit_url"]}),
    ]


# Scoping issues, estimates and TA reviews change only through the app's pages and services.
@admin.register(ScopingIssue)
class ScopingIssueAdmin(ReadOnlyAdmin[ScopingIssue], HistoryAdmin):
    list_display = [
        "title",
        "opportunity",
        "status",
        "assignee",
        "ta_review_state",
        "ta_assistance",
        "updated_at",
    ]
    list_filter = ["status", "ta_review_state", "ta_assistance"]
    search_fields = ["title", "opportunity__name", "opportunity__account__name"]
    list_select_related = ["opportunity", "assignee"]


class EstimateLineInline(admin.TabularInline[EstimateLine, Estimate]):
    model = EstimateLine
    extra = 0
    fields = ["kind", "description", "role_name", "quantity", "unit_price", "hours", "bill_rate", "cost_rate"]
    readonly_fields = [
        "kind",
        "description",
        "role_name",
        "quantity",
        "unit_price",
        "hours",
        "bill_rate",
        "cost_rate",
    ]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Estimate | None = None) -> bool:
        return False


@admin.register(Estimate)
class EstimateAdmin(ReadOnlyAdmin[Estimate], HistoryAdmin):
    list_display = ["scoping_issue", "number", "status", "total", "currency", "updated_at"]
    list_filter = ["status", "currency"]
    list_select_related = ["scoping_issue"]
    inlines = [EstimateLineInline]


@admin.register(TaReview)
class TaReviewAdmin(ReadOnlyAdmin[TaReview]):
    list_display = ["scoping_issue", "decision", "estimate", "actor", "at"]
    list_filter = ["decision"]
    list_select_related = ["scoping_issue", "estimate", "actor"]
