from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.admin_site import ReadOnlyAdmin
from core.history import HistoryAdmin
from scoping import services
from scoping.models import (
    DeliveryRole,
    Estimate,
    EstimateLine,
    OfferingActivity,
    ScopingIssue,
    ServiceOffering,
    TaReview,
)


def _add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A catalog rule's refusal, next to the field it names (or above the form)."""
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class DeliveryRoleForm(forms.ModelForm[DeliveryRole]):
    """The rate card's form (add, change and the list's inline edits): never a bill rate below cost."""

    class Meta:
        model = DeliveryRole
        fields = ["name", "person_role", "currency", "bill_rate", "cost_rate", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bill_rate = data.get("bill_rate", self.instance.bill_rate if self.instance.pk else None)
        cost_rate = data.get("cost_rate", self.instance.cost_rate if self.instance.pk else None)
        try:
            services.check_rates(bill_rate=bill_rate, cost_rate=cost_rate)
        except ValidationError as exc:
            _add_service_errors(self, exc)
        return data


@admin.register(DeliveryRole)
class DeliveryRoleAdmin(HistoryAdmin):
    history_revert = True  # the rate card is edited here; new rates never rewrite existing lines
    form = DeliveryRoleForm
    list_display = ["name", "person_role", "currency", "bill_rate", "cost_rate", "active"]
    list_filter = ["person_role", "currency", "active"]
    search_fields = ["name"]
    list_editable = ["bill_rate", "cost_rate", "active"]

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("form", RateCardRowForm)
        return super().get_changelist_form(request, **kwargs)


class RateCardRowForm(DeliveryRoleForm):
    """A rate card row edited in the list: each input is named for its role ("Bill rate for
    Engineer"), as the list has no label beside it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["aria-label"] = f"{field.label or name} for {self.instance.name}"


class OfferingActivityForm(forms.ModelForm[OfferingActivity]):
    """A default activity's role is chosen from the rate card, not typed."""

    role_name = forms.ChoiceField(label="Delivery role (rate card)", choices=[])

    class Meta:
        model = OfferingActivity
        fields = ["position", "description", "role_name", "hours"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = services.rate_card_role_names()
        current = self.instance.role_name if self.instance.pk else ""
        choices = [("", "---------")] + [(name, name) for name in names]
        if current and current not in names:
            # Shown as it is stored, so the form says what is wrong with it instead of hiding it.
            choices.append((current, f"{current} (not on the rate card)"))
        field = self.fields["role_name"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean_role_name(self) -> str:
        try:
            return services.check_activity_role(self.cleaned_data.get("role_name", ""))
        except ValidationError as exc:
            raise ValidationError(exc.error_dict["role_name"]) from None


class OfferingActivityInline(admin.TabularInline[OfferingActivity, ServiceOffering]):
    model = OfferingActivity
    form = OfferingActivityForm
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
