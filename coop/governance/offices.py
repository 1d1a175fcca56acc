"""Offices as rule parameters, and calendar months (pure).

DESIGN.md ("Offices, the pale…"): an office is defined by a rule, so creating or changing one
is a rule change. The rule ``office.<key>`` carries these parameters, all strings like every
rule parameter:

=====================================  =========================================================
``office.<key>.name``                  what members call it: ``Treasurer``
``office.<key>.seats``                 how many hold it at once (a whole number, at least 1)
``office.<key>.term_months``           length of a term in calendar months (at least 1)
``office.<key>.requires``              qualifications every holder needs, as comma-separated
                                       ``field:level`` pairs on the EQF scale (``accounting:6``);
                                       empty for none. All pairs are required.
``office.<key>.max_consecutive_terms`` optional: how many terms in a row one member may serve
=====================================  =========================================================
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "FIELDS", "OPTIONAL", "Office", "Requirement", "add_months", "full_months",
    "offices_from_parameters", "parse_requires", "validate_office_parameters",
]

PREFIX = "office."
KEY = re.compile(r"^[a-z][a-z0-9_]*$")
#: The parameters of an office; ``max_consecutive_terms`` (and ``requires``) may be omitted.
FIELDS = ("name", "seats", "term_months", "requires", "max_consecutive_terms")
OPTIONAL = ("requires", "max_consecutive_terms")
#: EQF: the European Qualifications Framework's eight levels.
EQF_LEVELS = range(1, 9)


@dataclass(frozen=True)
class Requirement:
    """A verified qualification in ``field`` at EQF ``level`` or higher."""

    field: str
    level: int

    def __str__(self) -> str:
        return f"{self.field} at EQF level {self.level} or higher"


@dataclass(frozen=True)
class Office:
    key: str
    name: str
    seats: int
    term_months: int
    requires: tuple[Requirement, ...] = ()
    max_consecutive_terms: int | None = None

    @property
    def rule_key(self) -> str:
        return PREFIX + self.key

    @property
    def fields(self) -> list[str]:
        """The qualification fields relevant to the office (for expert opinions)."""
        return [r.field for r in self.requires]

    def parameters(self) -> dict[str, str]:
        """The rule parameters that define this office (inverse of offices_from_parameters)."""
        p = f"{PREFIX}{self.key}."
        params = {p + "name": self.name, p + "seats": str(self.seats),
                  p + "term_months": str(self.term_months),
                  p + "requires": ", ".join(f"{r.field}:{r.level}" for r in self.requires)}
        if self.max_consecutive_terms is not None:
            params[p + "max_consecutive_terms"] = str(self.max_consecutive_terms)
        return params


def parse_requires(text: str) -> tuple[Requirement, ...]:
    """``"accounting:6, occupational safety:4"`` → two requirements. Fields are lower-cased,
    as qualifications are. :raise ValueError: naming the malformed pair."""
    found: list[Requirement] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        field, sep, level = part.rpartition(":")
        field = " ".join(field.split()).lower()
        if not sep or not field:
            raise ValueError(f"'{part}' is not of the form field:level, e.g. accounting:6")
        if not level.strip().isdigit() or int(level) not in EQF_LEVELS:
            raise ValueError(f"'{part}': the level must be an EQF level from 1 to 8")
        if any(r.field == field for r in found):
            raise ValueError(f"'{field}' is required twice")
        found.append(Requirement(field, int(level)))
    return tuple(found)


def _whole(value: str, name: str, minimum: int) -> int:
    if not isinstance(value, str) or not value.isdigit() or int(value) < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, not '{value}'")
    return int(value)


def _split(params: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """office key → {field: value}. :raise ValueError: for a name outside the scheme."""
    by_office: dict[str, dict[str, str]] = {}
    for name, value in params.items():
        if not name.startswith(PREFIX):
            continue
        key, _, field = name[len(PREFIX):].rpartition(".")
        if not KEY.match(key) or field not in FIELDS:
            raise ValueError(f"'{name}' is not an office parameter: use office.<key>."
                             f"{{{','.join(FIELDS)}}} with a key such as safety_officer")
        by_office.setdefault(key, {})[field] = value
    return by_office


def _office(key: str, fields: dict[str, str]) -> Office:
    where = f"office.{key}"
    missing = [f for f in FIELDS if f not in OPTIONAL and f not in fields]
    if missing:
        raise ValueError(f"{where} needs {', '.join(f'{where}.{f}' for f in missing)}")
    name = " ".join(str(fields["name"]).split())
    if not name:
        raise ValueError(f"{where}.name must not be empty")
    try:
        requires = parse_requires(fields.get("requires", ""))
    except ValueError as exc:
        raise ValueError(f"{where}.requires: {exc}") from None
    mct = fields.get("max_consecutive_terms")
    return Office(
        key=key, name=name, seats=_whole(fields["seats"], f"{where}.seats", 1),
        term_months=_whole(fields["term_months"], f"{where}.term_months", 1),
        requires=requires,
        max_consecutive_terms=None if mct in (None, "") else
        _whole(mct, f"{where}.max_consecutive_terms", 1),
    )


def offices_from_parameters(params: Mapping[str, str]) -> dict[str, Office]:
    """Every office the parameters in force define, by key. :raise ValueError: if malformed."""
    return {key: _office(key, fields) for key, fields in sorted(_split(params).items())}


def validate_office_parameters(params: Mapping[str, str], complete: bool = False) -> None:
    """Each office parameter present must parse; with ``complete`` (all parameters in force)
    every office must also be whole. :raise ValueError: naming the first problem."""
    for key, fields in _split(params).items():
        if complete:
            _office(key, fields)
            continue
        where = f"office.{key}"
        for field, value in fields.items():
            if field == "name" and not " ".join(str(value).split()):
                raise ValueError(f"{where}.name must not be empty")
            elif field in ("seats", "term_months"):
                _whole(value, f"{where}.{field}", 1)
            elif field == "max_consecutive_terms" and value != "":
                _whole(value, f"{where}.{field}", 1)
            elif field == "requires":
                try:
                    parse_requires(value)
                except ValueError as exc:
                    raise ValueError(f"{where}.requires: {exc}") from None


# -- calendar months -------------------------------------------------------------------------

def add_months(t: dt.datetime, months: int) -> dt.datetime:
    """``t`` moved by whole calendar months; the day is clamped to the month's last day
    (31 January + 1 month = 28 or 29 February)."""
    year, month0 = divmod(t.month - 1 + months, 12)
    year += t.year
    day = min(t.day, calendar.monthrange(year, month0 + 1)[1])
    return t.replace(year=year, month=month0 + 1, day=day)


def full_months(since: dt.datetime, now: dt.datetime) -> int:
    """Whole calendar months from ``since`` to ``now``: the largest n with
    add_months(since, n) ≤ now (0 if ``now`` is before ``since``)."""
    if now < since:
        return 0
    n = (now.year - since.year) * 12 + now.month - since.month
    while n > 0 and add_months(since, n) > now:
        n -= 1
    return n
