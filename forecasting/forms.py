from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from core.fields import SingleLineCharField
from core.fiscal import FiscalQuarter
from engagements.models import Opportunity
from forecasting import hygiene
from forecasting.figures import METRICS
from people.models import Person, Region


class DashboardForm(forms.Form):
    """The quarter and as-of week; bad values fall back to the current quarter, live."""

    quarter = SingleLineCharField(required=False)
    week = SingleLineCharField(required=False)

    def __init__(self, *args: Any, weeks: list[dt.date] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.weeks = weeks or []

    def clean_quarter(self) -> FiscalQuarter:
        value = self.cleaned_data.get("quarter") or ""
        if not value:
            return FiscalQuarter.current()
        try:
            return FiscalQuarter.parse(value)
        except ValueError:
            raise forms.ValidationError("Choose a fiscal quarter such as FY27-Q3.", code="invalid") from None

    def clean_week(self) -> dt.date | None:
        value = self.cleaned_data.get("week") or ""
        if value in ("", "live"):
            return None
        try:
            week = dt.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError("Choose a week from the list.", code="invalid") from None
        if week not in self.weeks:
            raise forms.ValidationError("There is no snapshot for that week.", code="no_snapshot")
        return week


class DrillForm(DashboardForm):
    # Errors in plain words: these come from a link, so they say which link part is wrong and how to go on.
    metric = forms.ChoiceField(
        choices=[(key, m.label) for key, m in METRICS.items()],
        error_messages={
            "required": "The link does not say which figure to list: open a figure from the dashboard.",
            "invalid_choice": (
                "The link names a figure the dashboard does not have: open one from the dashboard."
            ),
        },
    )
    region = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={
            "invalid": "The link's region is not one of ours: open the region from the dashboard."
        },
    )
    em = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={"invalid": "The link's EM is not one of ours: open the EM from the dashboard."},
    )
    scope = forms.ChoiceField(
        required=False,
        choices=[("", "all"), ("no_region", "no region"), ("unassigned", "unassigned")],
        error_messages={"invalid_choice": "The link's scope is not one the dashboard offers."},
    )


class PlanImportForm(forms.Form):
    file = forms.FileField(label="CSV file (quarter,region,em_email,amount,currency)")


class HygieneForm(forms.Form):
    """Which hygiene flag to list, narrowed by region and Engagement Manager."""

    flag = forms.ChoiceField(required=False, label="Flag")
    region = forms.ModelChoiceField(
        queryset=Region.objects.order_by("code"), required=False, empty_label="Any region"
    )
    em = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, empty_label="Any EM", label="EM"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["flag"].choices = [("", "Any flag"), *hygiene.FLAGS.items()]  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["em"].queryset = Person.objects.filter(  # type: ignore[attr-defined]  # a ModelChoiceField
            pk__in=Opportunity.objects.filter(hygiene.open_live()).values("engagement_manager_id")
        ).order_by("name")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"
