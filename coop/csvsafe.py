"""CSV cells that a spreadsheet will not run as formulas (CSV injection, OWASP).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula, so a member named ``=HYPERLINK(…)`` or a
proposal titled ``@SUM(…)`` would run in whoever opens the download. Such a cell is written
with a leading apostrophe, which the spreadsheet shows as text and does not display.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates; None as an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(values: list[Any]) -> list[str]:
    return [cell(v) for v in values]
