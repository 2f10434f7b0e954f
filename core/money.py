"""Money: Decimal amounts with an ISO 4217 currency code. Round once, half-up, to cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.db import models

# The value a field accepts and the value it gives back, as django-stubs types model fields.
_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)

CENT = Decimal("0.01")

CURRENCY_CHOICES = [
    ("USD", "USD — US dollar"),
    ("EUR", "EUR — Euro"),
    ("GBP", "GBP — Pound sterling"),
    ("CAD", "CAD — Canadian dollar"),
    ("AUD", "AUD — Australian dollar"),
    ("JPY", "JPY — Japanese yen"),
    ("SGD", "SGD — Singapore dollar"),
    ("INR", "INR — Indian rupee"),
    ("CHF", "CHF — Swiss franc"),
    ("SEK", "SEK — Swedish krona"),
    ("NZD", "NZD — New Zealand dollar"),
    ("BRL", "BRL — Brazilian real"),
]
CURRENCY_CODES = frozenset(code for code, _ in CURRENCY_CHOICES)


def quantize_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


TENTH = Decimal("0.1")


def quantize_percent(value: Decimal) -> Decimal:
    """A percentage to one decimal, half-up (12.25 → 12.3), the same on pages and in CSV files."""
    return Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None, currency: str = "") -> str:
    """ "USD 1,234,567.89" — for display only."""
    if amount is None:
        return "—"
    text = f"{quantize_cents(Decimal(amount)):,.2f}"
    return f"{currency} {text}".strip()


MINUS = "\u2212"  # a real minus sign: it lines up with "+" and does not break from its number
# The compact scale: two decimals, with the unit spaced so it reads as "2.57 M", never "2.57M".
_COMPACT = ((Decimal("1e9"), "B"), (Decimal("1e6"), "M"), (Decimal("1e3"), "K"))


def format_number(value: Decimal | int | None, places: int | None = None) -> str:
    """ "50,000.00", "1,234": thousands separators; `places` decimals (as stored, when None)."""
    if value is None:
        return "—"
    number = Decimal(value)
    if places is None:
        text = f"{number:,f}"
    else:
        text = f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"
    return text.replace("-", MINUS)


def format_money_compact(amount: Decimal | None, currency: str = "") -> str:
    """ "USD 2.57 M", "USD 123.46 K", "USD 950" — headline figures; the exact value goes beside it."""
    if amount is None:
        return "—"
    value = Decimal(amount)
    sign = MINUS if value < 0 else ""
    size = abs(value)
    for scale, unit in _COMPACT:
        scaled = (size / scale).quantize(CENT, rounding=ROUND_HALF_UP)
        if scaled >= 1:  # 999,999 reads "1.00 M", not "1,000.00 K"
            text = f"{scaled:,.2f} {unit}"
            break
    else:
        text = f"{size.quantize(Decimal(1), rounding=ROUND_HALF_UP):,.0f}"
    return f"{currency} {sign}{text}".strip()


def format_signed_money(amount: Decimal | None, currency: str = "") -> str:
    """ "+197,812.00" / "−197,812.00": what a change added to or took from a total (zero unsigned)."""
    if amount is None:
        return "—"
    value = quantize_cents(Decimal(amount))
    sign = "+" if value > 0 else (MINUS if value < 0 else "")
    return f"{currency} {sign}{abs(value):,.2f}".strip()


class CurrencyField(models.CharField[_ST, _GT]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("choices", CURRENCY_CHOICES)
        super().__init__(*args, **kwargs)


class MoneyField(models.DecimalField[_ST, _GT]):
    """An amount in the currency held by a sibling CurrencyField; 14 digits, 2 places."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
