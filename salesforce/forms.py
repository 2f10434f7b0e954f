from __future__ import annotations

from django import forms

from salesforce.conflicts import KEEP_MINE, TAKE_SALESFORCE


class ConflictResolveForm(forms.Form):
    """Keep the PS Pipeline value or take Salesforce's for one sync conflict."""

    choice = forms.ChoiceField(
        choices=[(KEEP_MINE, "Keep mine"), (TAKE_SALESFORCE, "Take Salesforce's")],
        error_messages={"invalid_choice": "Choose to keep your value or take Salesforce's."},
    )
