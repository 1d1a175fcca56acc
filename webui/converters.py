"""URL converters shared by both faces."""

from __future__ import annotations

from werkzeug.routing import BaseConverter

#: The largest value of a SQL ``integer`` primary key.
MAX_ID = 2**31 - 1


class IdConverter(BaseConverter):
    """Ids fit PostgreSQL's ``integer``: anything larger is no route (a 404 problem), so a
    huge number never reaches SQL. (Werkzeug's ``int(max=…)`` would raise a bare HTML 404.)"""

    # Werkzeug's matcher does not fall through to the next rule when to_python refuses a
    # value, so the bound is in the pattern: 0 … 2147483647 spelled digit by digit.
    regex = (r"(?:\d{1,9}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}"
             r"|21474[0-7]\d{4}|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d"
             r"|214748364[0-7])")
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)


class TextConverter(BaseConverter):
    """The default path segment, minus NUL: PostgreSQL text cannot hold it, so a path with one
    names no resource (404) rather than reaching SQL."""

    regex = "[^/\x00]+"
    part_isolating = True
