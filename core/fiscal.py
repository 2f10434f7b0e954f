"""Fiscal calendar: quarters follow FISCAL_YEAR_START_MONTH.

A fiscal year is named after the calendar year in which it ends: with a February start,
FY27 runs from 1 February 2026 to 31 January 2027 and its quarters are FY27-Q1 … FY27-Q4.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

_LABEL = re.compile(r"^FY(\d{2}|\d{4})-Q([1-4])$")


def _start_month(start_month: int | None) -> int:
    month = start_month if start_month is not None else settings.FISCAL_YEAR_START_MONTH
    if not 1 <= month <= 12:
        raise ValueError(f"Fiscal year start month must be 1-12, got {month}")
    return month


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    fiscal_year: int  # the calendar year in which the fiscal year ends, e.g. 2027
    quarter: int  # 1..4
    start_month: int = 2

    @classmethod
    def for_date(cls, day: dt.date, start_month: int | None = None) -> FiscalQuarter:
        month = _start_month(start_month)
        offset = (day.month - month) % 12
        start_year = day.year if day.month >= month else day.year - 1
        fiscal_year = start_year if month == 1 else start_year + 1
        return cls(fiscal_year, offset // 3 + 1, month)

    @classmethod
    def current(cls, start_month: int | None = None) -> FiscalQuarter:
        return cls.for_date(timezone.localdate(), start_month)

    @classmethod
    def parse(cls, label: str, start_month: int | None = None) -> FiscalQuarter:
        """Parse "FY27-Q3" (or "FY2027-Q3"); raises ValueError on anything else."""
        match = _LABEL.match(label.strip().upper())
        if not match:
            raise ValueError(f"Not a fiscal quarter label: {label!r} (expected e.g. FY27-Q3)")
        year = int(match.group(1))
        if year < 100:
            year += 2000
        return cls(year, int(match.group(2)), _start_month(start_month))

    @property
    def start(self) -> dt.date:
        first_year = self.fiscal_year if self.start_month == 1 else self.fiscal_year - 1
        year, month = _add_months(first_year, self.start_month, (self.quarter - 1) * 3)
        return dt.date(year, month, 1)

    @property
    def end(self) -> dt.date:
        year, month = _add_months(self.start.year, self.start.month, 3)
        return dt.date(year, month, 1) - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year % 100:02d}-Q{self.quarter}"

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def shift(self, quarters: int) -> FiscalQuarter:
        index = self.fiscal_year * 4 + (self.quarter - 1) + quarters
        return FiscalQuarter(index // 4, index % 4 + 1, self.start_month)

    def next(self) -> FiscalQuarter:
        return self.shift(1)

    def previous(self) -> FiscalQuarter:
        return self.shift(-1)

    def __str__(self) -> str:
        return self.label
