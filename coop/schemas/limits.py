"""The input limits every face applies: the API's schemas, the portal's forms and the services
that CSV imports and the command line reach. One set of numbers, so a value the portal
accepts is a value the API accepts, and the other way round.

Plain constants and one pure check; no marshmallow here, so the services may import it.
"""

from __future__ import annotations

import datetime as dt
import re

#: A title: a proposal's, a rule's, a learning record's, a qualification's. The columns hold 200.
TITLE = 200
#: A proposal's body, a rule's text, a comment: about ten pages of prose.
BODY = 20_000
#: A candidate's statement to the voters: a short pitch (about 150 words), not an essay.
#: The column (``Candidacy.statement``) holds this many.
STATEMENT = 1000
#: A short name: a token's, a supplement's kind, a qualification field, a rule or parameter key.
NAME = 100
#: A search: a few words. Long enough for a phrase, short enough that a LIKE scan stays cheap.
SEARCH = 100
#: A rule parameter's value ("2/3 of cast", "0.00").
PARAMETER_VALUE = 200
#: Parameters one rule may carry. The default constitution's largest rule has a dozen; a
#: hundred leaves room for many offices without letting one request store megabytes.
RULE_PARAMETERS = 100

#: Dates people type (a course started, a qualification awarded, "as of"). Nobody alive
#: studied before 1900; past 2199 a date is a typing error, and year 9999 breaks date arithmetic.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
#: How far ahead a planned course may start or end, counted from the ``now`` of the request.
PLANNING_YEARS = 10

#: Characters a single-line value must not hold: C0 and C1 controls (CR, LF, TAB, NUL, ESC…),
#: DEL, and the Unicode line and paragraph separators. A line break in a title would become a
#: new header in the mail that carries it ("Subject: x\r\nBcc: …").
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def line_problem(value: str) -> str | None:
    """Why ``value`` cannot be a single line of text, or None if it can."""
    found = _NOT_IN_A_LINE.search(value)
    if found is None:
        return None
    return (f"must be a single line without control characters "
            f"(found U+{ord(found.group()):04X} at position {found.start() + 1})")


def latest_planned(today: dt.date) -> dt.date:
    """The last date a planned course may have, ``PLANNING_YEARS`` after ``today``."""
    try:
        return today.replace(year=today.year + PLANNING_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + PLANNING_YEARS, day=28)
