"""The tests' clock: a fixed instant, never today's date.

Every service takes ``now``; tests pass ``NOW`` (or a time computed from it), the test app
reads a :class:`Clock` starting at ``NOW`` once per request, and in-process commands read
the same clock. So the suite gives the same answers on any day it runs: a test that reads the
wall clock instead would fail when CI runs it a year ahead.
"""

from __future__ import annotations

import datetime as dt

#: A Monday, late in a year: pay records and learning "this year" have months behind them.
NOW = dt.datetime(2026, 11, 30, 9, 0)
TODAY = NOW.date()


class Clock:
    """A clock a test can move: ``clock.advance(days=8)`` steps past a notice period."""

    def __init__(self, start: dt.datetime = NOW):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now
