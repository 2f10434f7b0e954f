"""The one CSV writer for downloads: every cell quoted, and text a spreadsheet would run as a
formula neutralised.

A spreadsheet may split a cell again on its own list separator (";" in much of Europe, or ",", tab
or "|"), so a formula can hide after one: "Workshop;=1+1". Each such segment that starts with a
formula character (after any spaces or quotes) gets a leading single quote, which spreadsheets show
as text: "Workshop;'=1+1". A cell that starts with a tab or carriage return is quoted as a whole.
Numbers the program writes (int, Decimal) are left alone, so -1234.50 stays a number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

FORMULA_CHARACTERS = frozenset("=+-@")
# What a spreadsheet may read as the end of a cell: list separators, and line breaks.
SEPARATORS = ",;\t|\r\n"
_SEGMENTS = re.compile(f"([{re.escape(SEPARATORS)}])")
_LEADING = re.compile(r"[\s\"']*")


def _neutralise_segment(segment: str) -> str:
    start = _LEADING.match(segment)
    rest = segment[start.end() if start else 0 :]
    if rest[:1] in FORMULA_CHARACTERS:
        return "'" + segment
    return segment


def safe_text(value: str) -> str:
    """`value` with a quote before every segment that a spreadsheet could read as a formula."""
    parts = _SEGMENTS.split(value)
    # split() with a capturing group alternates text and separators: text is at the even indexes.
    text = "".join(_neutralise_segment(part) if i % 2 == 0 else part for i, part in enumerate(parts))
    if text[:1] in ("\t", "\r", "\n"):
        text = "'" + text
    return text


def safe_cell(value: Any) -> Any:
    """Text neutralised (see safe_text); numbers and everything else pass through unchanged."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def csv_response(filename: str, rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """A CSV download of `rows` (the first is the header), every cell quoted and neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow(safe_row(row))
    return response
