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


# -- pay over time (issue 16) -------------------------------------------------------------------

def test_a_step_chart_holds_each_value_until_the_next_change_and_says_it_in_words():
    import datetime as dt
    from fractions import Fraction

    from webui.portal.trend_chart import Point, step_chart

    points = [Point(dt.date(2026, 1, 1), Decimal("20.00"), "20.00"),
              Point(dt.date(2026, 7, 1), Decimal("22.50"), "22.50")]
    svg = str(step_chart(points, until=dt.date(2026, 12, 31), title="Pay of Ben", desc="From 20.00 to 22.50",
                         unit="EUR an hour", chart_id="t", limit=Point(dt.date(2026, 12, 31), Fraction(3), "limit")))
    assert 'role="img"' in svg and "<title id=\"t-title\">Pay of Ben</title>" in svg
    assert '<desc id="t-desc">From 20.00 to 22.50</desc>' in svg
    (d,) = re.findall(r'<path d="([^"]+)" class="trend"/>', svg)
    # Flat, a vertical step on the date of the change, flat again to the last day: no slopes.
    assert re.fullmatch(r"M48,\d+ H\d+ V\d+ H624", d), d
    assert "2026-07-01: 22.50" in svg and "2026-12-31" in svg
    assert "nothing recorded yet" in str(step_chart([], until=dt.date(2026, 1, 1), title="x", desc="",
                                                    unit="", chart_id="e"))


def test_my_pay_over_time_and_the_ratio_over_time_are_charted_with_text_alternatives(db, keys, portal):
    import datetime as dt

    from coop.pay import Pay
    from coop.services import ledger
    from tests.clock import NOW, TODAY
    from tests.portal.world import build_world

    w = build_world(db, keys)
    later = TODAY + dt.timedelta(days=45)
    ledger.append_pay_record(db, w.coop, w.ben.id, w.ben.name, Pay(Decimal("21.50"), Decimal("37.50")), 52,
                             authority="founding", effective_date=later, now=NOW)
    portal.login(w.coop, w.ben)
    page = portal.get(w.url(f"pay/members/{w.ben.id}")).get_data(as_text=True)
    assert "Total hourly pay of Ben Brecht over time" in page and 'class="trend"' in page
    assert f"From 20.00 EUR an hour on {TODAY} to 21.50 EUR an hour since {later}, 1 change(s)" in page
    ratio = portal.get(w.url("pay/over-time"))
    html = ratio.get_data(as_text=True)
    assert ratio.status_code == 200 and "Pay ratio at Riverside Test Co-op over time" in html
    # 24.00 / 18.00 = 4/3, against the default limit of 3:1.
    assert "1.33:1" in html and "the rules allow at most 3:1" in html
    assert 'href="/c/%s/pay/over-time"' % w.coop.slug in portal.get(w.url("pay")).get_data(as_text=True)
