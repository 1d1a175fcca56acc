"""CSV for spreadsheets, without formula injection.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (and some also after a leading tab or carriage return): a member named
``=cmd|' /C calc'!A0`` or a proposal with such a title would run a command on the machine of
whoever opens the co-op's export (OWASP, "CSV Injection"). Every CSV the product writes for
people therefore goes through this module, which prefixes such cells with a single quote, as
OWASP advises; spreadsheets show the text, quote excluded.

Only text is escaped. Numbers we format ourselves (an ``int``, a ``Decimal``: "-12.50" is a
number to a spreadsheet, never a formula) are written as they are, so amounts stay amounts;
anything that came from a person arrives here as ``str`` and is escaped when it must be.
A CSV read back by the program itself (the member import hands its pay columns to the pay
import as CSV) must not use this: the quote would become part of the data.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

#: What a spreadsheet may take as the start of a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value``, with a quote in front if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows are escaped cell by cell.

    A row with a carriage return in a cell is written with every cell quoted: Python's csv
    quotes only what the line terminator holds ("\n" here), and an unquoted "\r" would start
    a new row in a spreadsheet, whose first cell could then be a formula."""

    def __init__(self, out: IO[str], **options: Any) -> None:
        self._writer = csv.writer(out, **options)
        self._quoted = csv.writer(out, **{**options, "quoting": csv.QUOTE_ALL})

    def writerow(self, row: Iterable[Any]) -> Any:
        cells = [cell(v) for v in row]
        breaks = any(isinstance(v, str) and "\r" in v for v in cells)
        return (self._quoted if breaks else self._writer).writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """``csv.DictWriter``, escaped as ``SafeWriter`` escapes."""

    def __init__(self, out: IO[str], fieldnames: Sequence[str], restval: Any = "",
                 extrasaction: str = "raise", **options: Any) -> None:
        self.fieldnames = list(fieldnames)
        self.restval = restval
        self.extrasaction = extrasaction
        self._writer = SafeWriter(out, **options)

    def writeheader(self) -> Any:
        return self._writer.writerow(self.fieldnames)

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        if self.extrasaction == "raise":
            extra = [k for k in rowdict if k not in self.fieldnames]
            if extra:
                raise ValueError(f"dict contains fields not in fieldnames: {extra}")
        return self._writer.writerow([rowdict.get(k, self.restval) for k in self.fieldnames])

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)
