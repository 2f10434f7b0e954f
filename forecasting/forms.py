from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from core.fields import SingleLineCharField
from core.fiscal import FiscalQuarter
from forecasting.figures import METRICS


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
    metric = forms.ChoiceField(choices=[(key, m.label) for key, m in METRICS.items()])
    region = forms.IntegerField(required=False, min_value=1)
    em = forms.IntegerField(required=False, min_value=1)
    scope = forms.ChoiceField(
        required=False, choices=[("", "all"), ("no_region", "no region"), ("unassigned", "unassigned")]
    )


class PlanImportForm(forms.Form):
    file = forms.FileField(label="CSV file (quarter,region,em_email,amount,currency)")
