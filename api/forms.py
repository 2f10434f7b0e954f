from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator

from api.models import ApiToken
from core.fields import SingleLineCharField


class TokenForm(forms.Form):
    name = SingleLineCharField(max_length=100, help_text="What the token is for, e.g. “finance BI export”.")
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires_in_days = forms.IntegerField(label="Expires in (days)", min_value=1, initial=90)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = self.fields["expires_in_days"]
        assert isinstance(days, forms.IntegerField)
        # Read at call time (the setting may change without a restart in tests and the admin).
        days.max_value = settings.API_TOKEN_MAX_DAYS
        days.validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))
        days.widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS
