"""Quantities, hours and money as the calculator accepts them (the SOW's cost lines read theirs
the same way): ASCII digits only, within range, at most two decimal places; a refusal is a
ValidationError on the field it came from."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from core.validators import parse_decimal, parse_integer
from scoping.models import MAX_LINE_HOURS

MAX_QUANTITY = 10_000
MAX_MONEY = Decimal("999999999999.99")


def check_decimal(value: Any, *, field: str) -> Decimal:
    """A number in ASCII digits (core.validators.parse_decimal), as a ValidationError on `field`."""
    try:
        return parse_decimal(value)
    except ValidationError as exc:
        raise ValidationError({field: exc}) from None


def check_quantity(value: Any, *, field: str) -> int:
    try:
        number = parse_integer(value)
    except ValidationError as exc:
        raise ValidationError({field: exc}) from None
    if number < 1 or number > MAX_QUANTITY:
        raise ValidationError(
            {field: ValidationError(f"Quantity must be between 1 and {MAX_QUANTITY:,}.", code="range")}
        )
    return number


def check_hours(value: Any, *, field: str) -> Decimal:
    hours = check_decimal(value, field=field)
    if hours <= 0 or hours > MAX_LINE_HOURS:
        raise ValidationError(
            {field: ValidationError("Hours must be more than 0 and at most 10,000.", code="range")}
        )
    if hours != hours.quantize(Decimal("0.01")):
        raise ValidationError({field: ValidationError("Use at most two decimal places.", code="precision")})
    return hours


def check_money(value: Any, *, field: str) -> Decimal:
    amount = check_decimal(value, field=field)
    if amount < 0:
        raise ValidationError({field: ValidationError("Must not be negative.", code="negative")})
    if amount > MAX_MONEY:
        raise ValidationError({field: ValidationError("That amount is too large.", code="too_large")})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: ValidationError("Use at most two decimal places.", code="precision")})
    return amount
