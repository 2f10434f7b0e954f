from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms

from calls.services import NOTE_MAX_LENGTH
from core.fields import DecimalNumberField, SingleLineCharField
from core.fiscal import FiscalQuarter


class CallForm(forms.Form):
    """A call's numbers and note; the rules (note needed, late, frozen week) are the service's."""

    quarter = SingleLineCharField(widget=forms.HiddenInput)
    week = forms.DateField(widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    commit = DecimalNumberField(label="Commit", min_value=Decimal("0"), max_digits=14, decimal_places=2)
    best_case = DecimalNumberField(label="Best case", min_value=Decimal("0"), max_digits=14, decimal_places=2)
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when the call differs from the number it started from.",
    )

    def clean_quarter(self) -> FiscalQuarter:
        try:
            return FiscalQuarter.parse(self.cleaned_data.get("quarter") or "")
        except ValueError:
            raise forms.ValidationError("Choose a fiscal quarter such as FY27-Q3.", code="invalid") from None


class WeekForm(forms.Form):
    """The quarter and week a calls page reads; bad values fall back to this week's current quarter."""

    quarter = SingleLineCharField(required=False)
    week = SingleLineCharField(required=False)
    person = forms.IntegerField(required=False, min_value=1)
    level = forms.ChoiceField(
        required=False,
        choices=[("", "every level"), ("organisation", "organisation"), ("manager", "manager"), ("em", "EM")],
    )

    def __init__(self, *args: Any, default_week: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_week = default_week

    def clean_quarter(self) -> FiscalQuarter | None:
        value = self.cleaned_data.get("quarter") or ""
        if not value:
            return None
        try:
            return FiscalQuarter.parse(value)
        except ValueError:
            raise forms.ValidationError("Choose a fiscal quarter such as FY27-Q3.", code="invalid") from None

    def clean_week(self) -> dt.date:
        value = self.cleaned_data.get("week") or ""
        if value in ("", "live"):
            return self.default_week
        try:
            week = dt.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError("Choose a week such as 2026-11-30.", code="invalid") from None
        if week.weekday() != 0:
            week -= dt.timedelta(days=week.weekday())
        if week > self.default_week:
            raise forms.ValidationError("That week has not started yet.", code="future")
        return week
