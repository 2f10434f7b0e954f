from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from core.fields import SingleLineCharField
from people.models import DELIVERY_ROLES, Person
from scoping.models import DeliveryRole, EstimateLine
from sow.models import SECTIONS, CostLine, PricingType, SowStatus, SowVersion


class SowListFilterForm(forms.Form):
    """The SOW list's filters, kept in the query string."""

    status = forms.ChoiceField(choices=[("", "Any status"), *SowStatus.choices], required=False)


class SectionsForm(forms.Form):
    """The SOW's Markdown sections and commercial terms (rules are the service's)."""

    pricing_type = forms.ChoiceField(choices=PricingType.choices)
    expiry_date = forms.DateField(
        label="Offer expiry date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_date = forms.DateField(
        label="Effective date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Blank: the SOW takes effect when both parties have signed.",
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
        self.fields["non_standard_terms"] = forms.BooleanField(
            label="Non-standard terms (the approval rules may ask Legal)", required=False
        )
        self.fields["non_standard_terms_note"] = forms.CharField(
            label="What departs from the standard terms, and why",
            required=False,
            max_length=4000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )


class RateCardRoleField(forms.ModelChoiceField[DeliveryRole]):
    def label_from_instance(self, obj: DeliveryRole) -> str:
        return f"{obj.name} ({obj.cost_rate:,.2f}/h cost)"


class CostLineForm(forms.Form):
    """A cost line to add: the delivery role is chosen from the rate card in the SOW's currency,
    the priced line it costs from the SOW's estimate (rules are the service's)."""

    kind = forms.ChoiceField(choices=CostLine.Kind.choices)
    description = SingleLineCharField(max_length=300)
    delivery_role = RateCardRoleField(
        label="Delivery role (rate card)", queryset=DeliveryRole.objects.none(), required=False
    )
    person = forms.ModelChoiceField(label="Person", queryset=Person.objects.none(), required=False)
    hours = forms.CharField(required=False)
    amount = forms.CharField(label="Amount (partner, travel, pass-through)", required=False)
    estimate_line = forms.ModelChoiceField(
        label="Costs the priced line", queryset=EstimateLine.objects.none(), required=False
    )
    no_cost_reason = SingleLineCharField(
        label="No cost — why (only for a line that costs nothing)", required=False, max_length=1000
    )

    def __init__(self, *args: Any, version: SowVersion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Person.objects.filter(active=True).order_by("name")
        if version is not None:
            roles = self.fields["delivery_role"]
            assert isinstance(roles, forms.ModelChoiceField)
            roles.queryset = DeliveryRole.objects.filter(currency=version.currency, active=True)
            priced = self.fields["estimate_line"]
            assert isinstance(priced, forms.ModelChoiceField)
            priced.queryset = EstimateLine.objects.filter(estimate_id=version.estimate_id)


class TransitionForm(forms.Form):
    """A step of the SOW's state machine, taken on the version counter the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SubmitForm(TransitionForm):
    justification = forms.CharField(
        label="Justification (required when the margin is below target)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(TransitionForm):
    comment = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(TransitionForm):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class SentForm(TransitionForm):
    sent_on = forms.DateField(label="Sent on", widget=forms.DateInput(attrs={"type": "date"}))
    recipients = SingleLineCharField(label="Recipients", max_length=1000)


class SignedForm(TransitionForm):
    # The version field comes first, so it is read even when an oversize file stops the upload.
    signed_on = forms.DateField(label="Signed on", widget=forms.DateInput(attrs={"type": "date"}))
    signed_copy = forms.FileField(
        label="Signed copy (PDF)", widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signed_copy"].label = f"Signed copy (PDF, at most {settings.SIGNED_COPY_MAX_MB} MB)"


class HandOffForm(TransitionForm):
    delivery_lead = forms.ModelChoiceField(queryset=Person.objects.none())
    kickoff_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    staffing_confirmed = forms.BooleanField(required=False)
    staffing_override_reason = forms.CharField(
        label="Reason for confirming staffing anyway",
        required=False,
        max_length=2000,
        help_text="Only needed when not every staffing requirement is covered by confirmed assignments.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["delivery_lead"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Person.objects.filter(active=True, role__in=DELIVERY_ROLES).order_by("name")
        field.help_text = "People in a delivery role."
