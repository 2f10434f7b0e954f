"""Form fields that apply core.validators: single-line text and ASCII-digit numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats

from core.validators import (
    NUMBER_MESSAGE,
    WHOLE_NUMBER_MESSAGE,
    parse_decimal,
    parse_integer,
    validate_single_line,
)


class SingleLineCharField(forms.CharField):
    """A one-line text input that refuses line breaks and other control characters."""

    default_validators = [validate_single_line]


class DecimalNumberField(forms.DecimalField):
    """forms.DecimalField reading only an optional sign, ASCII digits and one decimal point."""

    default_error_messages = {"invalid": NUMBER_MESSAGE}

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # the stubs derive DecimalField from IntegerField
        if value in self.empty_values:
            return None
        if self.localize:
            value = formats.sanitize_separators(value)
        try:
            return parse_decimal(value)
        except ValidationError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class IntegerNumberField(forms.IntegerField):
    """forms.IntegerField reading only an optional sign and ASCII digits."""

    default_error_messages = {"invalid": WHOLE_NUMBER_MESSAGE}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if self.localize:
            value = formats.sanitize_separators(value)
        try:
            return parse_integer(value)
        except ValidationError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
