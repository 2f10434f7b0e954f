"""Hostile inputs shared by the tests of every app, and the check every CSV download must pass."""

from __future__ import annotations

import csv
import io
import re

# `next` values that must never send the user to another site.
HOSTILE_NEXT = [
    "//evil.example",
    "///evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "https://evil.example",
    "http://evil.example/pipeline/",
    "HTTPS://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "//evil.example/%2F..",
    " //evil.example",
    "\t//evil.example",
    "\n//evil.example",
    "/%09/evil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "https:/\\evil.example",
    "\\/\\/evil.example",
    "https://app@evil.example",
    "https://testserver@evil.example",
    "//testserver.evil.example/",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(1)</script>",
    "/\x00//evil.example",
]

# Cells a spreadsheet would run as formulas, directly or after splitting on its list separator.
HOSTILE_CELLS = [
    "=1+1",
    "+cmd",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "Workshop;=1+1",
    "a,=b",
    "x|=y",
    '"=1"',
    "\r=1",
]

# Numbers that Python's Decimal reads but a money or hours box must refuse.
NOT_ASCII_NUMBERS = [
    "١٢٣",  # Arabic-Indic digits
    "１２３",  # full-width digits
    "1_000",
    "1e3",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "12.3.4",
]

FORMULA_CHARACTERS = ("=", "+", "-", "@")
_QUOTED_FIELD = r'"(?:[^"]|"")*"'
_ALL_QUOTED = re.compile(rf"(?:{_QUOTED_FIELD}(?:,{_QUOTED_FIELD})*\r\n)*")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_SEPARATORS = re.compile(r"[,;\t|\r\n]")


def cell_problem(cell: str) -> str | None:
    """Why a spreadsheet could run this cell (or a piece of it after splitting) as a formula."""
    if _PLAIN_NUMBER.fullmatch(cell):
        return None  # a number the export wrote, e.g. -1234.50
    if cell.startswith((*FORMULA_CHARACTERS, "\t", "\r", "\n")):
        return f"cell {cell!r} starts like a formula"
    for segment in _SEPARATORS.split(cell):
        # Spaces and double quotes do not protect a formula; a leading single quote does.
        if segment.lstrip(' "').startswith(FORMULA_CHARACTERS):
            return f"segment {segment!r} of {cell!r} starts like a formula"
    return None


def read_safe_export(response) -> list[list[str]]:
    """The rows of a CSV download, after checking every field is quoted in the raw bytes and no
    cell or separator-split segment starts with a formula character."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text, "the export is empty"
    assert _ALL_QUOTED.fullmatch(text), f"not every field is quoted: {text[:300]!r}"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    problems = [p for row in rows for cell in row if (p := cell_problem(cell))]
    assert not problems, problems
    return rows


def hostile_cells_found(rows: list[list[str]]) -> set[str]:
    """Which HOSTILE_CELLS appear in the rows (with the neutralising quotes taken out again)."""
    present = {cell.replace("'", "") for row in rows for cell in row}
    return {value for value in HOSTILE_CELLS if value in present}
