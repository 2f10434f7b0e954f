"""The preferences form: for each kind, in the app and by email (checkboxes)."""

from __future__ import annotations

from typing import Any

from django import forms

from notifications.models import Kind
from notifications.selectors import PreferenceRow


class PreferencesForm(forms.Form):
    def __init__(self, *args: Any, rows: list[PreferenceRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"{row.kind}__in_app"] = forms.BooleanField(
                required=False, initial=row.in_app, label=f"{row.label}: in the app"
            )
            self.fields[f"{row.kind}__email"] = forms.BooleanField(
                required=False, initial=row.email, label=f"{row.label}: by email"
            )

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {kind.value: (data[f"{kind.value}__in_app"], data[f"{kind.value}__email"]) for kind in Kind}

    def table(self) -> list[tuple[PreferenceRow, forms.BoundField, forms.BoundField]]:
        """(row, in-app checkbox, email checkbox) per kind, for the template."""
        return [(row, self[f"{row.kind}__in_app"], self[f"{row.kind}__email"]) for row in self.rows]
