import datetime as dt

import pytest

from core.fiscal import FiscalQuarter


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(2026, 1, 31), "FY26-Q4"),
        (dt.date(2026, 2, 1), "FY27-Q1"),
        (dt.date(2026, 4, 30), "FY27-Q1"),
        (dt.date(2026, 5, 1), "FY27-Q2"),
        (dt.date(2026, 8, 1), "FY27-Q3"),
        (dt.date(2026, 10, 31), "FY27-Q3"),
        (dt.date(2026, 11, 1), "FY27-Q4"),
        (dt.date(2027, 1, 31), "FY27-Q4"),
        (dt.date(2027, 2, 1), "FY28-Q1"),
    ],
)
def test_february_start_quarter_boundaries(day, label):
    assert FiscalQuarter.for_date(day, start_month=2).label == label


def test_february_start_fy27_runs_feb_2026_to_jan_2027():
    q1 = FiscalQuarter.parse("FY27-Q1", start_month=2)
    q4 = FiscalQuarter.parse("FY27-Q4", start_month=2)
    assert q1.start == dt.date(2026, 2, 1)
    assert q1.end == dt.date(2026, 4, 30)
    assert q4.start == dt.date(2026, 11, 1)
    assert q4.end == dt.date(2027, 1, 31)


def test_calendar_year_start_names_the_same_year():
    quarter = FiscalQuarter.for_date(dt.date(2026, 12, 31), start_month=1)
    assert quarter.label == "FY26-Q4"
    assert (quarter.start, quarter.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def test_shift_crosses_fiscal_years():
    quarter = FiscalQuarter.parse("FY27-Q4", start_month=2)
    assert quarter.next().label == "FY28-Q1"
    assert quarter.next().start == dt.date(2027, 2, 1)
    assert quarter.shift(-4).label == "FY26-Q4"


def test_parse_rejects_garbage():
    with pytest.raises(ValueError, match="Not a fiscal quarter"):
        FiscalQuarter.parse("2027 Q5")


def test_setting_controls_the_default_start(settings):
    settings.FISCAL_YEAR_START_MONTH = 7
    assert FiscalQuarter.for_date(dt.date(2026, 7, 1)).label == "FY27-Q1"
    assert FiscalQuarter.for_date(dt.date(2026, 6, 30)).label == "FY26-Q4"


def test_contains():
    quarter = FiscalQuarter.parse("FY27-Q2", start_month=2)
    assert quarter.contains(dt.date(2026, 5, 1))
    assert quarter.contains(dt.date(2026, 7, 31))
    assert not quarter.contains(dt.date(2026, 8, 1))
