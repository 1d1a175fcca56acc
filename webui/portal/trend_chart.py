"""Server-rendered SVG step charts of a figure over time: a member's pay, the co-op's ratio.

Pay changes on a date and holds until the next change, so the line is drawn as steps, not as
slopes that would suggest pay nobody was paid. Like ``charts.histogram``, every chart is an
``<svg role="img">`` with a ``<title>`` and a ``<desc>`` in words, and the page shows the same
points as a table. Values stay exact (Decimal or Fraction); only pixel positions are rounded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from markupsafe import Markup, escape

from webui.portal.charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH


@dataclass(frozen=True)
class Point:
    on: dt.date
    value: Decimal | Fraction
    #: The value as the table and the tooltip write it: "22.50", "2.67:1".
    label: str


def _ceil_nice(value: Fraction) -> Fraction:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value``: a round top for the axis."""
    if value <= 0:
        return Fraction(1)
    scale = Fraction(1)
    while scale * 10 <= value:
        scale *= 10
    while scale > value:
        scale /= 10
    for n in (1, 2, Fraction(5, 2), 5, 10):
        if n * scale >= value:
            return n * scale
    return 10 * scale  # pragma: no cover - the loop above always returns


def step_chart(points: list[Point], *, until: dt.date, title: str, desc: str, unit: str,
               chart_id: str, limit: Point | None = None) -> Markup:
    """``points`` (oldest first) held as steps up to ``until``; ``limit`` as a dashed line."""
    if not points:
        return Markup(
            f'<svg role="img" aria-labelledby="{chart_id}-title" viewBox="0 0 {WIDTH} 40" class="chart">'
            f'<title id="{chart_id}-title">{escape(title)}: nothing recorded yet</title></svg>')
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    first, last = points[0].on, max(until, points[-1].on)
    days = max(1, (last - first).days)
    values = [Fraction(p.value) for p in points] + ([Fraction(limit.value)] if limit else [])
    top = _ceil_nice(max(values))

    def x(day: dt.date) -> int:
        return LEFT + plot_w * (day - first).days // days

    def y(value: Decimal | Fraction) -> int:
        return TOP + plot_h - int(plot_h * Fraction(value) / top)

    out = [
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" class="tick" text-anchor="end">{escape(_short(top))}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" class="tick" text-anchor="end">0</text>',
        f'<text x="{LEFT}" y="{TOP + plot_h + 16}" class="tick">{first.isoformat()}</text>',
        f'<text x="{LEFT + plot_w}" y="{TOP + plot_h + 16}" class="tick" text-anchor="end">{last.isoformat()}</text>',
        f'<text x="{LEFT + plot_w}" y="{HEIGHT - 8}" class="tick" text-anchor="end">{escape(unit)}</text>',
    ]
    if limit is not None:
        ly = y(limit.value)
        out.append(f'<line x1="{LEFT}" y1="{ly}" x2="{LEFT + plot_w}" y2="{ly}" class="marker"/>')
        out.append(f'<text x="{LEFT + plot_w}" y="{ly - 4}" class="marker-label" text-anchor="end">'
                   f'{escape(limit.label)}</text>')
    path = [f"M{x(first)},{y(points[0].value)}"]
    for i, p in enumerate(points):
        if i:
            path.append(f"V{y(p.value)}")  # the change, on its date
        path.append(f"H{x(points[i + 1].on if i + 1 < len(points) else last)}")  # held until the next
    out.append(f'<path d="{" ".join(path)}" class="trend"/>')
    for p in points:
        out.append(f'<circle cx="{x(p.on)}" cy="{y(p.value)}" r="3" class="trend-point">'
                   f'<title>{p.on.isoformat()}: {escape(p.label)}</title></circle>')
    out.append("</svg>")
    return Markup("".join(out))


def _short(value: Fraction) -> str:
    """An axis label: whole numbers plain, otherwise two places (the axis top is round)."""
    return str(value.numerator) if value.denominator == 1 else f"{Decimal(value.numerator) / value.denominator:.2f}"
