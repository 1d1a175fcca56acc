"""A server-rendered SVG bar chart of the co-op's completed learning hours per year.

Like the pay charts (``webui.portal.charts``): an ``<svg role="img">`` with a ``<title>`` and
a ``<desc>`` that says the figures in words, each bar titled with its numbers, and the page
shows the same figures as a table. Heights are computed on integer hundredths of an hour;
only pixel positions are rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from coop.services.education import YearTotal

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclass(frozen=True)
class YearChart:
    svg: Markup
    years: list[YearTotal]
    #: The words of the text alternative, also shown beside the chart.
    summary: str


def _hundredths(d: Decimal) -> int:
    return int(d * 100)


def _describe(years: list[YearTotal]) -> str:
    if not years:
        return "No learning completed yet."
    parts = [f"{y.year}: {y.hours} hours from {y.records} record{'s' if y.records != 1 else ''} "
             f"by {y.members} member{'s' if y.members != 1 else ''}" for y in years]
    return "Completed learning hours per year. " + "; ".join(parts) + "."


def hours_by_year(years: list[YearTotal], *, title: str, chart_id: str = "chart") -> YearChart:
    summary = _describe(years)
    if not years:
        svg = Markup(f'<svg role="img" aria-labelledby="{chart_id}-title" viewBox="0 0 {WIDTH} 40" class="chart">'
                     f'<title id="{chart_id}-title">{escape(title)}: no learning completed yet</title></svg>')
        return YearChart(svg, [], summary)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max(max(_hundredths(y.hours) for y in years), 1)
    out = [
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" class="tick" text-anchor="end">{Decimal(peak).scaleb(-2):.0f}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" class="tick" text-anchor="end">0</text>',
        f'<text x="12" y="{TOP + plot_h // 2}" class="tick" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h // 2})">hours</text>',
    ]
    n = len(years)
    slot = plot_w * 1000 // n  # thousandths of a pixel, to keep positions integer
    bar_w = max(1, slot // 1000 - 8)
    for i, y in enumerate(years):
        x0 = LEFT + slot * i // 1000 + 4
        h = plot_h * _hundredths(y.hours) // peak
        label = f"{y.year}: {y.hours} hours, {y.records} record(s), {y.members} member(s)"
        out.append(f'<rect x="{x0}" y="{TOP + plot_h - h}" width="{bar_w}" height="{h}" class="bar">'
                   f'<title>{escape(label)}</title></rect>')
        if n <= 12 or i % 2 == 0:
            out.append(f'<text x="{x0 + bar_w // 2}" y="{TOP + plot_h + 16}" class="tick" '
                       f'text-anchor="middle">{y.year}</text>')
    out.append("</svg>")
    return YearChart(Markup("".join(out)), years, summary)
