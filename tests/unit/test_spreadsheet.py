"""CSV for spreadsheets: a cell a spreadsheet would run as a formula is quoted (OWASP, CSV
injection), in every CSV the product writes for people."""

from __future__ import annotations

import ast
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from coop.spreadsheet import SafeDictWriter, SafeWriter, cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
                                  "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(text):
    assert cell(text) == "'" + text
    out = io.StringIO()
    SafeWriter(out, lineterminator="\n").writerow(["Ann", text])
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [["Ann", "'" + text]]


def test_other_text_and_our_own_numbers_are_written_as_they_are():
    row = {"name": "Ann = Bob", "rate": Decimal("-12.50"), "count": -3, "body": '{"index":0}', "none": None}
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    assert out.getvalue().splitlines()[1] == 'Ann = Bob,-12.50,-3,"{""index"":0}",'


def _csv_writers(path: Path) -> list[str]:
    """The csv.writer / csv.DictWriter calls in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter")
                and isinstance(node.value, ast.Name) and node.value.id == "csv"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_csv_the_product_writes_goes_through_the_spreadsheet_helper():
    # The member import's CSV is read back by the pay import, never by a spreadsheet.
    allowed = {"coop/spreadsheet.py", "coop/services/member_import.py"}
    writers = [w for package in ("coop", "webui") for path in sorted((ROOT / package).rglob("*.py"))
               for w in _csv_writers(path) if str(path.relative_to(ROOT)) not in allowed]
    assert writers == []


def test_a_carriage_return_inside_a_cell_cannot_start_a_new_row():
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=["name", "rate"], lineterminator="\n")
    writer.writerow({"name": "Ann\r=cmd|' /C calc'!A0", "rate": "20.00"})
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [["Ann\r=cmd|' /C calc'!A0", "20.00"]]
