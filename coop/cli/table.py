"""Plain-text tables for command output: aligned columns, no dependencies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import click


def render(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def echo_table(headers: Sequence[str], rows: Iterable[Sequence[object]], empty: str = "(none)") -> None:
    rows = list(rows)
    if not rows:
        click.echo(empty)
        return
    click.echo(render(headers, rows))
