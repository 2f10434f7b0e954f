"""The calculator's arithmetic on hand-computed cases (values written out, not recomputed)."""

from dataclasses import dataclass
from decimal import Decimal

from scoping.calculator import compute, line_amount


@dataclass
class Line:
    kind: str
    role_name: str = ""
    quantity: int = 1
    unit_price: Decimal = Decimal("0")
    hours: Decimal = Decimal("0")
    bill_rate: Decimal = Decimal("0")


def D(value: str) -> Decimal:
    return Decimal(value)


def test_sku_line_is_quantity_times_unit_price():
    assert line_amount(Line("sku", quantity=3, unit_price=D("4500.00"))) == D("13500.00")


def test_activity_line_is_hours_times_rate():
    assert line_amount(Line("activity", hours=D("37.5"), bill_rate=D("212.40"))) == D("7965.000")


def test_contingency_applies_to_labour_only():
    totals = compute(
        [
            Line("activity", "Engineer", hours=D("100"), bill_rate=D("200")),
            Line("sku", quantity=1, unit_price=D("9600")),
        ],
        contingency_percent=D("10"),
        expenses=D("0"),
        discount=D("0"),
    )
    assert totals.labour == D("20000")
    assert totals.contingency == D("2000")
    assert totals.packaged == D("9600")
    assert totals.total == D("31600.00")


def test_expenses_and_discount():
    totals = compute(
        [Line("free", quantity=2, unit_price=D("1250.50"))],
        contingency_percent=D("0"),
        expenses=D("3000.00"),
        discount=D("501.00"),
    )
    assert totals.other == D("2501.00")
    assert totals.subtotal == D("5501.00")
    assert totals.total == D("5000.00")


def test_mixed_estimate_with_per_role_totals():
    lines = [
        Line("activity", "Technical Architect", hours=D("24"), bill_rate=D("300")),
        Line("activity", "Engineer", hours=D("80"), bill_rate=D("200")),
        Line("activity", "Technical Architect", hours=D("16"), bill_rate=D("300")),
        Line("sku", quantity=2, unit_price=D("4500")),
        Line("free", quantity=1, unit_price=D("750")),
    ]
    totals = compute(lines, contingency_percent=D("15"), expenses=D("2000"), discount=D("1000"))
    # labour 7,200 + 16,000 + 4,800 = 28,000; contingency 4,200; sku 9,000; other 750; expenses 2,000
    assert totals.labour == D("28000")
    assert totals.contingency == D("4200")
    assert totals.subtotal == D("43950")
    assert totals.total == D("42950.00")
    assert totals.hours == D("120")
    assert [(r.role_name, r.hours, r.price) for r in totals.by_role] == [
        ("Engineer", D("80"), D("16000")),
        ("Technical Architect", D("40"), D("12000")),
    ]


def test_rounding_happens_once_half_up():
    # Three lines of 0.333 h × 100.015 = 33.304995 each; rounding each line would give 99.90,
    # rounding the exact sum 99.914985 once gives 99.91.
    lines = [Line("activity", "Engineer", hours=D("0.333"), bill_rate=D("100.015")) for _ in range(3)]
    totals = compute(lines, contingency_percent=D("0"), expenses=D("0"), discount=D("0"))
    assert totals.labour == D("99.914985")
    assert totals.total == D("99.91")


def test_half_cent_rounds_up():
    totals = compute(
        [Line("activity", "E", hours=D("0.5"), bill_rate=D("0.01"))],
        contingency_percent=D("0"),
        expenses=D("0"),
        discount=D("0"),
    )
    assert totals.total == D("0.01")  # 0.005 → 0.01 (half-up, not banker's)


def test_contingency_fraction_is_exact():
    totals = compute(
        [Line("activity", "E", hours=D("3"), bill_rate=D("33.33"))],
        contingency_percent=D("12.5"),
        expenses=D("0"),
        discount=D("0"),
    )
    assert totals.contingency == D("12.49875")
    assert totals.total == D("112.49")  # 99.99 + 12.49875 = 112.48875 → 112.49
