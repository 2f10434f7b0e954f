"""Numbers for people (core/money.py, the pipeline_tags filters every page uses): compact headline
figures with their currency, thousands separators, one sign convention, counted nouns. Each
expectation is worked out here by hand from the raw value."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.template import Context, Template

from core.money import MINUS, format_money_compact, format_number, format_signed_money


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("2572870.00"), "USD 2.57 M"),  # 2,572,870 / 1,000,000 = 2.57287 → 2.57
        (D("122970.00"), "USD 122.97 K"),  # 122,970 / 1,000 = 122.97
        (D("999999.00"), "USD 1.00 M"),  # 0.999999 M rounds to 1.00 M, never "1,000.00 K"
        (D("1234567890"), "USD 1.23 B"),
        (D("950.40"), "USD 950"),
        (D("0"), "USD 0"),
        (D("-197812.00"), f"USD {MINUS}197.81 K"),
    ],
)
def test_compact_money(amount, text):
    assert format_money_compact(amount, "USD") == text


def test_compact_money_of_nothing_is_a_dash():
    assert format_money_compact(None, "USD") == "—"


def test_thousands_separators():
    assert format_number(D("50000.00")) == "50,000.00"
    assert format_number(D("50000"), 2) == "50,000.00"
    assert format_number(1234567) == "1,234,567"
    assert format_number(D("-5")) == f"{MINUS}5"


def test_one_sign_convention():
    assert format_signed_money(D("197812")) == "+197,812.00"
    assert format_signed_money(D("-304560.5")) == f"{MINUS}304,560.50"
    assert format_signed_money(D("0")) == "0.00"


def _render(source: str, **context) -> str:
    return Template("{% load pipeline_tags %}" + source).render(Context(context))


def test_the_figure_tag_carries_the_exact_amount_in_its_tooltip():
    html = _render("{% figure amount 'EUR' %}", amount=D("2572870.00"))
    assert html == ('<span class="figure" title="EUR 2,572,870.00" data-exact="2572870.00">EUR 2.57 M</span>')


def test_counted_says_one_in_the_singular():
    assert _render("{{ n|counted:'opportunity,opportunities' }}", n=1) == "1 opportunity"
    assert _render("{{ n|counted:'opportunity,opportunities' }}", n=0) == "0 opportunities"
    assert _render("{{ n|counted:'call' }}", n=1200) == "1,200 calls"


def test_unsigned_money_for_tables_whose_row_says_the_direction():
    assert _render("{{ a|unsigned_money }}", a=D("-197812")) == "197,812.00"
