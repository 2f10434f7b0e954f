from __future__ import annotations

from typing import Any

from django import forms

from people.models import Person
from sow.models import SECTIONS, CostLine, PricingType


class SectionsForm(forms.Form):
    """The SOW's Markdown sections and commercial terms (rules are the service's)."""

    pricing_type = forms.ChoiceField(choices=PricingType.choices)
    expiry_date = forms.DateField(
        label="Offer expiry date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in SECTIONS:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=20000,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text="Markdown: **bold**, *italic*, lists with -, tables.",
            )
        self.fields["recommendation"] = forms.CharField(
            label="Recommendation to the approver (risks, negotiation strategy — not in the PDF)",
            required=False,
            max_length=20000,
            widget=forms.Textarea(attrs={"rows": 3}),
        )


class CostLineForm(forms.Form):
    kind = forms.ChoiceField(choices=CostLine.Kind.choices)
    description = forms.CharField(max_length=300)
    role_name = forms.CharField(label="Delivery role", required=False, max_length=100)
    person = forms.ModelChoiceField(label="Person", queryset=Person.objects.none(), required=False)
    hours = forms.CharField(required=False)
    amount = forms.CharField(label="Amount (partner / travel)", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Person.objects.filter(active=True).order_by("name")


class SubmitForm(forms.Form):
    justification = forms.CharField(
        label="Justification (required when the margin is below target)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class SentForm(forms.Form):
    sent_on = forms.DateField(label="Sent on", widget=forms.DateInput(attrs={"type": "date"}))
    recipients = forms.CharField(label="Recipients", max_length=1000)


class SignedForm(forms.Form):
    signed_on = forms.DateField(label="Signed on", widget=forms.DateInput(attrs={"type": "date"}))
    signed_copy = forms.FileField(label="Signed copy (PDF, at most 20 MB)")


class HandOffForm(forms.Form):
    delivery_lead = forms.ModelChoiceField(queryset=Person.objects.none())
    kickoff_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    staffing_confirmed = forms.BooleanField(required=False)
    notes = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["delivery_lead"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Person.objects.filter(active=True).order_by("name")
