"""The wall clock, read only at the entry points.

Every service takes ``now`` from its caller. A web request, a command or a scheduled job
reads the clock once, here, and passes that instant down: one request sees one time, and a
test (or a history being replayed, like the demo's) runs at whatever date it is given.
``tests/unit/test_clock.py`` fails when code under ``coop/`` reads the clock anywhere else.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Naive UTC. Every timestamp in the database is naive UTC so that SQLite (which keeps
    no zone) and PostgreSQL compare the same way."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
