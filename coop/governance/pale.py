"""The pale: who may stand for an office (pure).

DESIGN.md: the pale is a set of entrenched boundaries on candidacy. The machine-checkable ones
are rule parameters — ``pale.min_tenure_months``, ``pale.max_offices``, ``pale.incompatible``
(``"treasurer/auditor; x/y"``: pairs of offices no one holds together) — plus each office's own
requirements and optional limit on consecutive terms. They are checked when a candidacy is
filed and again when voting opens. A refusal names the boundary and the numbers, so the member
can see exactly what stands in the way ("active for 5 months; the rules require 6").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from coop.governance.offices import KEY, Office, add_months, full_months

__all__ = ["Breach", "Candidate", "Pale", "check", "consecutive_terms", "parse_incompatible"]


def parse_incompatible(text: str) -> tuple[tuple[str, str], ...]:
    """``"treasurer/auditor; chair/secretary"`` → pairs of office keys.
    :raise ValueError: naming the malformed pair."""
    pairs: list[tuple[str, str]] = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        keys = [k.strip() for k in part.split("/")]
        if len(keys) != 2 or not all(KEY.match(k) for k in keys) or keys[0] == keys[1]:
            raise ValueError(f"'{part}' is not a pair of two office keys such as treasurer/auditor")
        pairs.append((keys[0], keys[1]))
    return tuple(pairs)


@dataclass(frozen=True)
class Pale:
    min_tenure_months: int = 0
    max_offices: int | None = None
    incompatible: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_parameters(cls, params: Mapping[str, str]) -> Pale:
        """:raise ValueError: if a pale parameter is malformed."""
        def whole(key: str) -> int | None:
            raw = params.get(key)
            if raw in (None, ""):
                return None
            if not raw.isdigit():
                raise ValueError(f"{key} must be a whole number, not '{raw}'")
            return int(raw)

        return cls(min_tenure_months=whole("pale.min_tenure_months") or 0,
                   max_offices=whole("pale.max_offices"),
                   incompatible=parse_incompatible(params.get("pale.incompatible", "")))


@dataclass(frozen=True)
class Candidate:
    """What the pale looks at, for one member at one moment."""

    member_id: int
    status: str
    active_since: dt.datetime | None
    #: (field, EQF level, verified)
    qualifications: tuple[tuple[str, int, bool], ...]
    #: Keys of the offices the member holds at the moment.
    held_offices: frozenset[str]
    #: Terms in a row the member has held (or holds) the office being sought.
    consecutive_terms: int = 0


@dataclass(frozen=True)
class Breach:
    """One boundary a candidate is outside. ``boundary`` is the rule parameter."""

    boundary: str
    message: str

    def __str__(self) -> str:
        return f"{self.boundary}: {self.message}"


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def _terms(n: int) -> str:
    return f"{n} term" if n == 1 else f"{n} terms"


def check(c: Candidate, office: Office, pale: Pale, now: dt.datetime,
          names: Mapping[str, str] | None = None) -> list[Breach]:
    """Every boundary ``c`` is outside of for ``office`` at ``now`` (empty: within the pale).
    ``names`` maps office keys to names, for the messages."""
    names = names or {}
    breaches: list[Breach] = []
    if c.status != "active":
        breaches.append(Breach("membership", f"the member is {c.status}; only active members may stand"))
    elif pale.min_tenure_months:
        months = full_months(c.active_since, now) if c.active_since else 0
        if months < pale.min_tenure_months:
            breaches.append(Breach("pale.min_tenure_months",
                                   f"active for {_months(months)}; the rules require {pale.min_tenure_months}"))
    others = sorted(c.held_offices - {office.key})
    if pale.max_offices is not None and len(others) + 1 > pale.max_offices:
        held = ", ".join(names.get(k, k) for k in others)
        breaches.append(Breach(
            "pale.max_offices",
            f"holds {len(others)} office{'s' if len(others) != 1 else ''} ({held}); the rules "
            f"allow at most {pale.max_offices} at once" if others else
            f"the rules allow at most {pale.max_offices} offices at once"))
    for a, b in pale.incompatible:
        other = b if a == office.key else a if b == office.key else None
        if other is not None and other in c.held_offices:
            breaches.append(Breach(
                "pale.incompatible",
                f"holds {names.get(other, other)}, which the rules make incompatible with {office.name}"))
    for req in office.requires:
        breaches.extend(_requirement(c, office, req))
    limit = office.max_consecutive_terms
    if limit is not None and c.consecutive_terms >= limit:
        breaches.append(Breach(
            f"office.{office.key}.max_consecutive_terms",
            f"has held {office.name} for {_terms(c.consecutive_terms)} in a row; the rules allow "
            f"at most {limit}"))
    return breaches


def _requirement(c: Candidate, office: Office, req) -> list[Breach]:  # type: ignore[no-untyped-def]
    in_field = [(level, verified) for f, level, verified in c.qualifications if f == req.field]
    verified = max((level for level, v in in_field if v), default=None)
    if verified is not None and verified >= req.level:
        return []
    boundary = f"office.{office.key}.requires"
    needs = f"needs a verified qualification in {req}"
    unverified = max((level for level, v in in_field if not v), default=None)
    if unverified is not None and unverified >= req.level:
        return [Breach(boundary, f"{needs}; the one held (level {unverified}) is not verified, "
                                 "and unverified qualifications count towards nothing")]
    if verified is not None:
        return [Breach(boundary, f"{needs}; has {req.field} at level {verified}")]
    return [Breach(boundary, f"{needs}; has none in {req.field}")]


def consecutive_terms(terms: Iterable[tuple[dt.datetime, dt.datetime]], term_months: int,
                      now: dt.datetime) -> int:
    """How many terms in a row end with the member's latest term, given each term's
    (start, end). A run is broken by sitting out a full term: a gap of ``term_months`` or more
    between one term's end and the next one's start, or since the latest term ended."""
    ordered = sorted(terms)
    if not ordered:
        return 0
    start, end = ordered[-1]
    if add_months(min(end, now), term_months) <= now:
        return 0
    run = 1
    for prev_start, prev_end in reversed(ordered[:-1]):
        if add_months(prev_end, term_months) <= start:
            break
        run += 1
        start = prev_start
    return run
