from __future__ import annotations

from typing import Any

from django import forms

from core.fields import SingleLineCharField
from engagements.limits import em_field_limits
from engagements.models import Confidence, Opportunity, Risk
from engagements.services import RATIONALE_MAX_LENGTH
from people.models import Person


class EmFieldsForm(forms.Form):
    """The EM's weekly call. Field rules (rationale required, http links) are the service's."""

    em_confidence = forms.ChoiceField(label="EM confidence", choices=Confidence.choices)
    em_confidence_rationale = forms.CharField(
        label="Rationale",
        required=False,
        max_length=RATIONALE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scoping_issue_link = SingleLineCharField(label="Scoping issue link", required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service refuses longer text; saying the limit up front saves a round trip.
        for name, limit in em_field_limits().items():
            if name in self.fields:
                self.fields[name].help_text = f"At most {limit.length:,} characters ({limit.source})."

    @classmethod
    def for_opportunity(cls, opportunity: Opportunity, **kwargs: Any) -> EmFieldsForm:
        return cls(
            initial={
                "em_confidence": opportunity.em_confidence,
                "em_confidence_rationale": opportunity.em_confidence_rationale,
                "scoping_issue_link": opportunity.scoping_issue_link,
                "version": opportunity.version,
            },
            **kwargs,
        )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignEmForm(forms.Form):
    engagement_manager = forms.ModelChoiceField(label="Engagement Manager", queryset=Person.objects.none())
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, candidates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if candidates is not None:
            field = self.fields["engagement_manager"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = candidates


class RiskForm(forms.ModelForm[Risk]):
    owner = SingleLineCharField(max_length=200, required=False)

    class Meta:
        model = Risk
        fields = ["description", "severity", "mitigation", "owner"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "mitigation": forms.Textarea(attrs={"rows": 2}),
        }


class RiskEditForm(RiskForm):
    class Meta(RiskForm.Meta):
        fields = ["description", "severity", "mitigation", "owner", "status"]


class BulkForm(forms.Form):
    """A bulk action on the rows picked in the list (the rows themselves are `pick` values)."""

    action = forms.ChoiceField(
        choices=[("confirm", "Confirm unchanged"), ("assign", "Assign EM")],
        error_messages={"required": "Choose what to do with the selected opportunities."},
    )
    engagement_manager = forms.ModelChoiceField(
        label="Engagement Manager",
        queryset=Person.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose an Engagement Manager from the list."},
    )

    def __init__(self, *args: Any, candidates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if candidates is not None:
            field = self.fields["engagement_manager"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = candidates

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "assign" and not data.get("engagement_manager"):
            self.add_error("engagement_manager", "Choose the Engagement Manager to assign.")
        return data


class SavedFilterForm(forms.Form):
    name = SingleLineCharField(label="Name", max_length=80)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
