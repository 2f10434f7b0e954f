"""Forms of the change request pages (the rules are the services')."""

from __future__ import annotations

from typing import Any

from django import forms

from core.fields import SingleLineCharField
from scoping.models import DeliveryRole, Estimate
from sow.models import ChangeRequest, ChangeRequestLine, LineKind, SowVersion


class ChangeRequestForm(forms.Form):
    title = SingleLineCharField(max_length=200, help_text="What changes, in a few words.")
    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown. Shown to the customer in the PDF.",
    )
    schedule_impact = forms.CharField(
        label="Effect on dates",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_end_date = forms.DateField(
        label="New end date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Blank: the end date does not change.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


class RateCardRoleField(forms.ModelChoiceField[DeliveryRole]):
    def label_from_instance(self, obj: DeliveryRole) -> str:
        return f"{obj.name} ({obj.bill_rate:,.2f}/h bill, {obj.cost_rate:,.2f}/h cost)"


class ChangeRequestLineForm(forms.Form):
    change = forms.ChoiceField(choices=ChangeRequestLine.Change.choices)
    kind = forms.ChoiceField(label="Kind of line", choices=LineKind.choices)
    description = SingleLineCharField(max_length=300)
    delivery_role = RateCardRoleField(
        label="Delivery role (labour)", queryset=DeliveryRole.objects.none(), required=False
    )
    hours = forms.CharField(
        label="Hours (labour)", required=False, help_text="Changed lines: the change, e.g. -8 or 12."
    )
    price = forms.CharField(label="Price (other kinds)", required=False)
    cost = forms.CharField(
        label="Cost (other kinds)",
        required=False,
        help_text="Blank: pass-through and travel at their configured cost percentage; others none.",
    )
    no_cost_reason = SingleLineCharField(
        label="No cost — why (only for a priced line that costs nothing)", required=False, max_length=1000
    )

    def __init__(self, *args: Any, change_request: ChangeRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if change_request is not None:
            roles = self.fields["delivery_role"]
            assert isinstance(roles, forms.ModelChoiceField)
            roles.queryset = DeliveryRole.objects.filter(currency=change_request.currency, active=True)


class EstimateChoiceField(forms.ModelChoiceField[Estimate]):
    def label_from_instance(self, obj: Estimate) -> str:
        return f"{obj.label} ({obj.get_status_display().lower()}, {obj.currency} {obj.total:,.2f})"


class FromEstimateForm(forms.Form):
    estimate = EstimateChoiceField(label="Revised estimate", queryset=Estimate.objects.none())

    def __init__(self, *args: Any, version: SowVersion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if version is not None:
            field = self.fields["estimate"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = Estimate.objects.filter(
                scoping_issue_id=version.sow.scoping_issue_id, number__gt=version.estimate.number
            ).exclude(status=Estimate.Status.DRAFT)
