"""Input rules every app shares: single-line text, and numbers written with ASCII digits.

Python's Decimal and int read far more than people type into a money or hours box: Arabic-Indic and
full-width digits, underscores between digits, exponents, NaN and Infinity. The parsers here read
only an optional sign, the digits 0–9 and one decimal point, so what is stored is what was seen.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

SINGLE_LINE_MESSAGE = "Use a single line without control characters."
NUMBER_MESSAGE = "Enter a number using the digits 0–9 and at most one decimal point, e.g. 1234.50."
WHOLE_NUMBER_MESSAGE = "Enter a whole number using the digits 0–9."

# C0 controls (CR, LF, NUL, tab, ...), DEL, C1 controls (NEL among them) and the Unicode line and
# paragraph separators: anything that ends a line in a mail header, a log line or a CSV row.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED_DECIMAL = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")


def has_control_characters(value: str) -> bool:
    return bool(_CONTROL.search(value))


def validate_single_line(value: Any) -> None:
    """Refuse text holding a line break or any other control character."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")


def clean_single_line(value: Any, *, field: str) -> str:
    """The trimmed text, or a ValidationError on `field` when it holds a control character."""
    text = "" if value is None else str(value).strip()
    if has_control_characters(text):
        raise ValidationError({field: ValidationError(SINGLE_LINE_MESSAGE, code="control_characters")})
    return text


def parse_decimal(value: Any, *, allow_grouping: bool = False) -> Decimal:
    """A Decimal from text of an optional sign, ASCII digits and at most one decimal point.

    Decimals and ints the program itself holds pass through (when finite). With `allow_grouping`,
    thousands may be separated by commas in groups of three (1,234,567.89), as spreadsheets write.
    Anything else — other scripts' digits, underscores, exponents, NaN, Infinity, floats — raises
    ValidationError with code "invalid".
    """
    if isinstance(value, Decimal):
        if value.is_finite():
            return value
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if _DECIMAL.fullmatch(text):
            return Decimal(text)
        if allow_grouping and _GROUPED_DECIMAL.fullmatch(text):
            return Decimal(text.replace(",", ""))
    raise ValidationError(NUMBER_MESSAGE, code="invalid")


def parse_integer(value: Any) -> int:
    """An int from text of an optional sign and ASCII digits (ints pass through); else ValidationError."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
    raise ValidationError(WHOLE_NUMBER_MESSAGE, code="invalid")
