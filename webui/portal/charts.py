"""Server-rendered SVG charts of the pay distribution, with text alternatives.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` summing it up in
words, and the page shows the same numbers as a table (``Histogram.bins``), so a screen
reader or a text browser loses nothing. Arithmetic is on integer cents; only pixel positions
are rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 48
NICE = (1, 2, 5)


@dataclass(frozen=True)
class Bin:
    lo: Decimal  # inclusive
    hi: Decimal  # exclusive
    before: int
    after: int | None = None


@dataclass(frozen=True)
class Marker:
    value: Decimal
    label: str


@dataclass(frozen=True)
class Histogram:
    svg: Markup
    bins: list[Bin]
    compare: bool


def _cents(d: Decimal) -> int:
    return int(d * 100)


def _nice_width(span: int, bins: int) -> int:
    """The smallest 1, 2 or 5 × 10^k cents that covers ``span`` in ``bins`` bins."""
    raw = max(1, -(-span // bins))
    scale = 1
    while True:
        for n in NICE:
            if n * scale >= raw:
                return n * scale
        scale *= 10


def histogram(before: list[Decimal], *, title: str, desc: str, currency: str,
              after: list[Decimal] | None = None, markers: list[Marker] = (),  # type: ignore[assignment]
              bins: int = 10, chart_id: str = "chart") -> Histogram:
    """Members counted by total hourly pay; with ``after``, before and after side by side."""
    values = [_cents(v) for v in before] + [_cents(v) for v in (after or [])]
    marks = [_cents(m.value) for m in markers]
    if not values:
        empty = Markup(
            f'<svg role="img" aria-labelledby="{chart_id}-title" viewBox="0 0 {WIDTH} 40" class="chart">'
            f'<title id="{chart_id}-title">{escape(title)}: nobody is paid yet</title></svg>')
        return Histogram(empty, [], after is not None)
    lo, hi = min(values + marks), max(values + marks)
    width = _nice_width(hi - lo + 1, bins)
    start = lo // width * width
    count = (hi - start) // width + 1
    counts_before = [0] * count
    for v in before:
        counts_before[(_cents(v) - start) // width] += 1
    counts_after = None
    if after is not None:
        counts_after = [0] * count
        for v in after:
            counts_after[(_cents(v) - start) // width] += 1
    table = [
        Bin(Decimal(start + i * width) / 100, Decimal(start + (i + 1) * width) / 100,
            counts_before[i], None if counts_after is None else counts_after[i])
        for i in range(count)
    ]
    peak = max(counts_before + (counts_after or []) + [1])
    return Histogram(_svg(table, peak, start, width, marks, markers, title, desc, currency, chart_id),
                     table, after is not None)


def _svg(table: list[Bin], peak: int, start: int, width: int, marks: list[int],
         markers: list[Marker], title: str, desc: str, currency: str, chart_id: str) -> Markup:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(table)
    compare = table[0].after is not None
    out = [
        f'<svg role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        '<defs><pattern id="%s-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="bar-after"/>'
        '<line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern></defs>' % chart_id,
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" class="tick" text-anchor="end">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" class="tick" text-anchor="end">0</text>',
        f'<text x="12" y="{TOP + plot_h // 2}" class="tick" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h // 2})">members</text>',
    ]
    slot = plot_w * 1000 // n  # thousandths of a pixel, to keep positions integer
    bar_w = max(1, (slot // 1000) - 4) // (2 if compare else 1)
    for i, b in enumerate(table):
        x0 = LEFT + slot * i // 1000 + 2
        series = [("before", b.before)] + ([("after", b.after)] if compare else [])
        for j, (which, value) in enumerate(series):
            h = plot_h * (value or 0) // peak
            # "after" bars are hatched, not only a second colour, so the two series differ for
            # readers who cannot tell the colours apart. No CSS fill on that class: a stylesheet
            # fill would override the pattern given as the attribute.
            css = "bar" if which == "before" else "bar-hatched"
            fill = f' fill="url(#{chart_id}-hatch)"' if which == "after" else ""
            label = f"{b.lo}–{b.hi} {currency}/h: {value} member(s)" + (f" {which}" if compare else "")
            out.append(f'<rect x="{x0 + j * bar_w}" y="{TOP + plot_h - h}" width="{bar_w}" '
                       f'height="{h}" class="{css}"{fill}><title>{escape(label)}</title></rect>')
        if n <= 12 or i % 2 == 0:
            out.append(f'<text x="{x0}" y="{TOP + plot_h + 16}" class="tick">{b.lo}</text>')
    out.append(f'<text x="{LEFT + plot_w}" y="{HEIGHT - 8}" class="tick" text-anchor="end">'
               f'total hourly pay, {escape(currency)}</text>')
    span = n * width
    for value, marker in zip(marks, markers):
        x = LEFT + plot_w * (value - start) // span
        out.append(f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{TOP + plot_h}" class="marker"/>')
        # A label that would run past the right edge is written leftwards from its line.
        if x + 7 * len(marker.label) > WIDTH:
            out.append(f'<text x="{x - 3}" y="{TOP + 12}" class="marker-label" text-anchor="end">'
                       f'{escape(marker.label)}</text>')
        else:
            out.append(f'<text x="{x + 3}" y="{TOP + 12}" class="marker-label">{escape(marker.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
