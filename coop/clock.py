"""The wall clock, read only at the entry points.

Every service takes ``now`` from its caller. A web request, a command or a scheduled job
reads the clock once, here, and passes that instant down: one request sees one time, and a
test (or a history being replayed, like the demo's) runs at whatever date it is given.
``tests/unit/test_clock.py`` fails when code under ``coop/`` reads the clock anywhere else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable


def utcnow() -> dt.datetime:
    """Naive UTC. Every timestamp in the database is naive UTC so that SQLite (which keeps
    no zone) and PostgreSQL compare the same way."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


_OFFSET = re.compile(r"([+-]?)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def parse_offset(text: str) -> dt.timedelta:
    """A clock offset as COOP_CLOCK_OFFSET writes it: days, hours and minutes, e.g. ``8d``,
    ``1d6h``, ``90m``, ``-2h``. Empty is no offset.

    :raise ValueError: anything else, naming the format.
    """
    text = text.strip().lower()
    if not text:
        return dt.timedelta(0)
    found = _OFFSET.fullmatch(text)
    if found is None or not any(found.groups()[1:]):
        raise ValueError(f"COOP_CLOCK_OFFSET must look like 8d, 1d6h, 90m or -2h, not {text!r}")
    sign, days, hours, minutes = found.groups()
    offset = dt.timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
    return -offset if sign == "-" else offset


def offset_clock(offset: dt.timedelta) -> Callable[[], dt.datetime]:
    """The wall clock moved by ``offset``: a demo's way to let a notice period or a vote pass
    at once. Settings refuse an offset in production (``coop.config``)."""
    if not offset:
        return utcnow
    return lambda: utcnow() + offset
