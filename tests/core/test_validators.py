from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError

from core.fields import DecimalNumberField, IntegerNumberField, SingleLineCharField
from core.validators import (
    NUMBER_MESSAGE,
    SINGLE_LINE_MESSAGE,
    clean_single_line,
    parse_decimal,
    parse_integer,
    validate_single_line,
)
from tests.core.hostile_input import NOT_ASCII_NUMBERS

CONTROL_TEXT = [
    "Title\r\nBcc: all@example.com",
    "Title\nBcc: all@example.com",
    "Title\rBcc",
    "Ti\x00tle",
    "Ti\ttle",
    "Ti\x1btle",
    "Ti\x7ftle",
    "Ti\x85tle",
    "Ti\u2028tle",
    "Ti\u2029tle",
]


@pytest.mark.parametrize("text", CONTROL_TEXT)
def test_single_line_refuses_control_characters(text):
    with pytest.raises(ValidationError) as exc:
        validate_single_line(text)
    assert exc.value.messages == [SINGLE_LINE_MESSAGE]
    with pytest.raises(ValidationError) as exc:
        clean_single_line(text, field="title")
    assert exc.value.message_dict == {"title": [SINGLE_LINE_MESSAGE]}


@pytest.mark.parametrize("text", ["Acme — Migration", "Ünïcödé 名前", "a, b; c | d", "  padded  "])
def test_single_line_accepts_ordinary_text_and_trims_it(text):
    validate_single_line(text)
    assert clean_single_line(text, field="title") == text.strip()


def test_clean_single_line_trims_a_trailing_line_break_rather_than_refusing():
    assert clean_single_line("Title\r\n", field="title") == "Title"


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS + ["", " ", "1,000", "+", ".", "1 000"])
def test_parse_decimal_refuses_anything_but_ascii_digits(text):
    with pytest.raises(ValidationError) as exc:
        parse_decimal(text)
    assert exc.value.messages == [NUMBER_MESSAGE]


@pytest.mark.parametrize("value", [float("1.5"), Decimal("NaN"), Decimal("Infinity"), None, True, object()])
def test_parse_decimal_refuses_floats_and_non_finite_values(value):
    with pytest.raises(ValidationError):
        parse_decimal(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.50", Decimal("1234.50")),
        ("-5", Decimal("-5")),
        ("+5", Decimal("5")),
        (" 12 ", Decimal("12")),
        (".5", Decimal("0.5")),
        ("5.", Decimal("5")),
        ("0", Decimal("0")),
    ],
)
def test_parse_decimal_accepts_ascii_numbers(text, expected):
    assert parse_decimal(text) == expected


def test_parse_decimal_passes_program_numbers_through():
    assert parse_decimal(Decimal("-1234.50")) == Decimal("-1234.50")
    assert parse_decimal(7) == Decimal("7")


@pytest.mark.parametrize(("text", "expected"), [("1,234", "1234"), ("1,234,567.89", "1234567.89")])
def test_parse_decimal_reads_thousands_groups_only_when_allowed(text, expected):
    assert parse_decimal(text, allow_grouping=True) == Decimal(expected)
    with pytest.raises(ValidationError):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["1,00", "12,34,567", ",123", "1,234,", "١,٢٣٤"])
def test_parse_decimal_refuses_badly_grouped_thousands(text):
    with pytest.raises(ValidationError):
        parse_decimal(text, allow_grouping=True)


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS + ["1.0", "", "٣"])
def test_parse_integer_refuses_anything_but_ascii_digits(text):
    with pytest.raises(ValidationError):
        parse_integer(text)


def test_parse_integer_accepts_ascii_digits():
    assert parse_integer("42") == 42 and parse_integer("-3") == -3 and parse_integer(5) == 5


class _Form(forms.Form):
    title = SingleLineCharField(max_length=50)
    amount = DecimalNumberField(max_digits=10, decimal_places=2)
    count = IntegerNumberField(min_value=1)


def _form(**data):
    return _Form(data={"title": "Workshop", "amount": "1234.50", "count": "2", **data})


def test_fields_accept_ordinary_input():
    form = _form()
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"title": "Workshop", "amount": Decimal("1234.50"), "count": 2}


def test_decimal_field_accepts_negative_numbers():
    form = _form(amount="-5")
    assert form.is_valid() and form.cleaned_data["amount"] == Decimal("-5")


@pytest.mark.parametrize("text", CONTROL_TEXT[:4])
def test_single_line_field_refuses_control_characters(text):
    form = _form(title=text)
    assert not form.is_valid()
    assert SINGLE_LINE_MESSAGE in form.errors["title"]


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_decimal_and_integer_fields_refuse_non_ascii_numbers(text):
    form = _form(amount=text, count=text)
    assert not form.is_valid()
    assert form.errors["amount"] == [NUMBER_MESSAGE]
    assert "count" in form.errors
