import csv
import io
from decimal import Decimal

import pytest

from core.csv import csv_response, safe_text
from tests.core.hostile_input import HOSTILE_CELLS, cell_problem, read_safe_export


class _Download:
    """Just enough of a test-client response for read_safe_export."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.content = response.content
        self._headers = response

    def __getitem__(self, name):
        return self._headers[name]


# Written out by hand: what a spreadsheet user sees for each hostile cell.
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t'=1"),
        ("\r=1", "'\r'=1"),
        ("Workshop;=1+1", "Workshop;'=1+1"),
        ("a,=b", "a,'=b"),
        ("x|=y", "x|'=y"),
        ('"=1"', '\'"=1"'),
        (" =1", "' =1"),
        ("a; @x", "a;' @x"),
        ("line\n=1", "line\n'=1"),
        ("Plain text, nothing more", "Plain text, nothing more"),
        ("", ""),
    ],
)
def test_safe_text_quotes_each_formula_segment(cell, expected):
    assert safe_text(cell) == expected


@pytest.mark.parametrize("cell", HOSTILE_CELLS)
def test_every_hostile_cell_is_neutralised(cell):
    assert cell_problem(cell) is not None  # the check itself sees the danger
    assert cell_problem(safe_text(cell)) is None


def test_download_quotes_every_field_and_keeps_numbers_numbers():
    response = csv_response(
        "x.csv",
        [["Name", "Amount", "Count"], *[[cell, Decimal("-1234.50"), 3] for cell in HOSTILE_CELLS]],
    )
    rows = read_safe_export(_Download(response))
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert [row[1:] for row in rows[1:]] == [["-1234.50", "3"]] * len(HOSTILE_CELLS)
    assert [row[0].replace("'", "") for row in rows[1:]] == HOSTILE_CELLS
    raw = response.content.decode()
    assert raw.startswith('"Name","Amount","Count"\r\n')
    assert '"Workshop;\'=1+1","-1234.50","3"\r\n' in raw


def test_none_is_an_empty_quoted_field():
    response = csv_response("x.csv", [["a", None]])
    assert response.content.decode() == '"a",""\r\n'
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [["a", ""]]
