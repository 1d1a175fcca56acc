"""The server-rendered SVG histogram: its numbers (the data table) count every member once,
in the right bin; its text alternative is there; its labels stay inside the picture."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from webui.portal import charts


def D(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


def test_every_member_is_counted_once_in_the_bin_that_holds_their_pay():
    pay = D("18.00", "20.00", "20.00", "22.00", "24.00", "29.99", "30.00")
    h = charts.histogram(pay, title="Pay", desc="Seven members", currency="EUR")
    assert sum(b.before for b in h.bins) == len(pay)
    for value in pay:
        (holder,) = [b for b in h.bins if b.lo <= value < b.hi]
        assert holder.before >= 1
    # Bins are contiguous, of one width, and that width is 1, 2 or 5 × 10^k cents.
    widths = {b.hi - b.lo for b in h.bins}
    assert len(widths) == 1 and all(h.bins[i].hi == h.bins[i + 1].lo for i in range(len(h.bins) - 1))
    assert str(widths.pop().normalize()).lstrip("0.").rstrip("0") in {"1", "2", "5"}


def test_before_and_after_are_counted_separately_in_the_same_bins():
    h = charts.histogram(D("20.00", "24.00"), after=D("27.00", "24.00"), title="t", desc="d", currency="EUR")
    assert h.compare
    assert sum(b.before for b in h.bins) == 2 and sum(b.after or 0 for b in h.bins) == 2
    (b27,) = [b for b in h.bins if b.lo <= Decimal("27.00") < b.hi]
    assert b27.after == 1 and b27.before == 0


def test_the_svg_has_a_title_and_description_and_a_label_for_each_bar():
    h = charts.histogram(D("18.00", "24.00"), title="Pay at Riverside", desc="2 paid members & more",
                         currency="EUR", chart_id="pay")
    svg = str(h.svg)
    assert re.match(r'<svg role="img" aria-labelledby="pay-title pay-desc"', svg)
    assert '<title id="pay-title">Pay at Riverside</title>' in svg
    assert '<desc id="pay-desc">2 paid members &amp; more</desc>' in svg  # escaped
    assert svg.count("<rect x=") == len(h.bins)
    assert "member(s)</title></rect>" in svg


def test_a_marker_label_near_the_right_edge_is_written_leftwards_to_stay_in_the_picture():
    # The most the ratio allows (3 × 20.00, in the salary page's cents) sits at the far right.
    h = charts.histogram(D("20.00", "30.00"), title="t", desc="d", currency="EUR",
                         markers=[charts.Marker(Decimal("59.99"), "ratio limit 3:1")])
    label = re.search(r'<text x="(\d+)"[^>]*class="marker-label"([^>]*)>ratio limit 3:1</text>', str(h.svg))
    assert label, h.svg
    x, rest = int(label.group(1)), label.group(2)
    assert 'text-anchor="end"' in rest and x <= charts.WIDTH
    left = charts.histogram(D("10.00", "20.00"), title="t", desc="d", currency="EUR",
                            markers=[charts.Marker(Decimal("10.00"), "floor 10.00")])
    assert 'class="marker-label">floor 10.00' in str(left.svg)  # room to the right: reads rightwards


def test_nobody_paid_yet_is_still_a_titled_image():
    h = charts.histogram([], title="Pay", desc="", currency="EUR", chart_id="x")
    assert h.bins == [] and '<title id="x-title">Pay: nobody is paid yet</title>' in str(h.svg)


def test_after_bars_are_hatched_so_the_series_differ_without_colour():
    h = charts.histogram(D("20.00"), after=D("21.00"), title="t", desc="d", currency="EUR", chart_id="impact")
    svg = str(h.svg)
    assert '<pattern id="impact-hatch"' in svg
    after_bars = re.findall(r'<rect [^>]*class="([^"]+)"[^>]*fill="url\(#impact-hatch\)"', svg)
    assert after_bars and set(after_bars) == {"bar-hatched"}
    # The stylesheet must not give that class a fill of its own, which would hide the pattern.
    css = (Path(__file__).resolve().parents[2] / "webui" / "static" / "portal.css").read_text()
    assert not re.search(r"\.bar-hatched\s*{[^}]*fill", css)
