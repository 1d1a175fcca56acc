"""Thresholds and quorums: what share of whom must say yes, and how many must take part.

A *threshold* is a fraction of a *base* (DESIGN.md, "Governance semantics"):

- ``cast``: yes / (yes + no). Abstentions are not votes cast (Robert's Rules), so abstaining
  neither helps nor hurts a motion.
- ``cast_and_abstain``: yes / (yes + no + abstain). Here an abstention weighs like a no.
- ``electorate``: yes / the whole electorate. Staying at home weighs like a no.

A *strict* threshold needs more than the fraction (a simple majority is "more than 1/2"); a
non-strict one needs at least the fraction (a supermajority is "at least 2/3").

Thresholds and quorums live in the co-op's rules as text, so this module also reads and writes
that text. The canonical form is ``"<p>/<q> of <base>[, strict]"`` (``"2/3 of cast"``,
``"1/2 of cast, strict"``); a quorum is ``"1/2"``, ``"0"`` or ``"1"``. Decimals are refused:
the arithmetic is exact (``Fraction`` and integers), and "0.67" is not two thirds.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "SIMPLE_MAJORITY",
    "THREE_QUARTERS",
    "TWO_THIRDS",
    "Base",
    "Threshold",
    "check_quorum",
    "format_fraction",
    "parse_fraction",
    "parse_quorum",
    "parse_threshold",
]


class Base(str, enum.Enum):
    """What the yes votes are counted against."""

    CAST = "cast"
    CAST_AND_ABSTAIN = "cast_and_abstain"
    ELECTORATE = "electorate"


def _ratio(value: Fraction) -> str:
    """Always p/q, even for whole numbers: the threshold grammar has no bare integers."""
    return f"{value.numerator}/{value.denominator}"


def _base(text: str) -> Base:
    try:
        return Base(text.lower())
    except ValueError:
        names = ", ".join(base.value for base in Base)
        raise ValueError(f"unknown base {text!r}; expected one of {names}") from None


def _exact(value: object, what: str) -> Fraction:
    """``value`` as a Fraction; floats (and bools, and anything else) are refused."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    raise TypeError(f"{what} must be a Fraction or an int, never {type(value).__name__} "
                    f"({value!r}): thresholds and quorums are exact")


def _count(value: object, what: str) -> int:
    """A count of people or ballots: a non-negative int (not a bool, never a float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number, not {type(value).__name__} ({value!r})")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")
    return value


#: How ``describe()`` names each base ("more than 1/2 of votes cast").
_BASE_WORDS = {
    Base.CAST: "votes cast",
    Base.CAST_AND_ABSTAIN: "votes cast, abstentions included",
    Base.ELECTORATE: "the electorate",
}


@dataclass(frozen=True)
class Threshold:
    """``fraction`` of ``base`` must vote yes: more than it if ``strict``, else at least it.

    ``fraction`` may be given as an int (0 or 1) and ``base`` as its text (``"cast"``); both
    are normalised, so thresholds read from the database compare equal to the constants.
    """

    fraction: Fraction
    base: Base
    strict: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "fraction", _exact(self.fraction, "threshold fraction"))
        if isinstance(self.base, str) and not isinstance(self.base, Base):
            object.__setattr__(self, "base", _base(self.base))
        elif not isinstance(self.base, Base):
            raise TypeError(f"threshold base must be a Base, not {self.base!r}")
        if not isinstance(self.strict, bool):
            raise TypeError(f"threshold strict must be True or False, not {self.strict!r}")
        problem = _threshold_problem(self.fraction, self.strict)
        if problem:
            raise ValueError(f"threshold {_ratio(self.fraction)} of {self.base.value}: {problem}")

    def __str__(self) -> str:
        text = f"{_ratio(self.fraction)} of {self.base.value}"
        return f"{text}, strict" if self.strict else text

    def describe(self) -> str:
        """Plain English for voters: "more than 1/2 of votes cast"."""
        words = _BASE_WORDS[self.base]
        if self.fraction == 1:  # only non-strict can be 1, and "at least 1/1" reads badly
            return "the whole electorate" if self.base is Base.ELECTORATE else f"all {words}"
        comparison = "more than" if self.strict else "at least"
        return f"{comparison} {_ratio(self.fraction)} of {words}"

    def is_met(self, yes: int, base: int) -> bool:
        """Whether ``yes`` out of ``base`` meets the threshold.

        Integer cross-multiplication, never division: yes/base > p/q ⇔ yes·q > p·base. A base
        of zero never meets a threshold: a proposal nobody voted on does not pass.
        """
        _count(yes, "yes")
        _count(base, "base")
        if yes > base:
            raise ValueError(f"yes ({yes}) cannot exceed the base ({base})")
        if base == 0:
            return False
        left, right = yes * self.fraction.denominator, self.fraction.numerator * base
        return left > right if self.strict else left >= right

    def yes_needed(self, base: int) -> int:
        """The fewest yes votes out of ``base`` (> 0) that meet the threshold.

        Used to tell voters "needs 6"; ``is_met`` stays the single source of the decision.
        """
        _count(base, "base")
        if base == 0:
            raise ValueError("no number of yes votes meets a threshold of an empty base")
        p, q = self.fraction.numerator, self.fraction.denominator
        if self.strict:
            return p * base // q + 1  # the first whole number above p/q of the base
        return -(-p * base // q)  # ceiling: exactly p/q of the base suffices


def _threshold_problem(fraction: Fraction, strict: bool) -> str | None:
    if fraction <= 0:
        return "the fraction must be greater than 0 (otherwise a motion passes with no support)"
    if fraction > 1:
        return "the fraction must be at most 1"
    if strict and fraction == 1:
        return "'more than all' can never be met: a strict threshold must be below 1"
    return None


#: The simple majority: more than half of the votes cast.
SIMPLE_MAJORITY = Threshold(Fraction(1, 2), Base.CAST, True)
#: The usual supermajority for rule changes: at least two thirds of the votes cast.
TWO_THIRDS = Threshold(Fraction(2, 3), Base.CAST, False)
#: The default for entrenched rules: at least three quarters of the votes cast.
THREE_QUARTERS = Threshold(Fraction(3, 4), Base.CAST, False)


# --------------------------------------------------------------------------------------------
# Reading and writing rule text
# --------------------------------------------------------------------------------------------

_GRAMMAR = "'<p>/<q> of <base>[, strict]', e.g. '2/3 of cast' or '1/2 of cast, strict'"
_HEAD = re.compile(r"(?P<fraction>.*?)\s+of\s+(?P<base>.*)", re.IGNORECASE | re.DOTALL)
_RATIO = re.compile(r"(?P<p>[0-9]+)\s*(?:/\s*(?P<q>[0-9]+))?")
# Only to explain a refusal: "0.5", "1/2.5", "5e-1" are decimals; "-1/2", "1/-2" negatives.
_DECIMAL = re.compile(r"\.[0-9]|[0-9]\.|[0-9]e[+-]?[0-9]", re.IGNORECASE)
_NEGATIVE = re.compile(r"(?<![0-9e])-\s*[.0-9]", re.IGNORECASE)


def parse_threshold(text: str) -> Threshold:
    """Read a threshold written in the rules, e.g. ``"2/3 of cast"``.

    Extra whitespace and the case of the words are tolerated; nothing else is.

    :raise TypeError: if ``text`` is not a string.
    :raise ValueError: naming what is wrong, e.g.
        ``threshold '2/0 of cast': denominator must be positive``.
    """
    if not isinstance(text, str):
        raise TypeError(f"a threshold must be text such as '2/3 of cast', not {text!r}")

    def fail(problem: str) -> ValueError:
        return ValueError(f"threshold {text!r}: {problem}")

    head, comma, qualifier = text.strip().partition(",")
    strict = bool(comma)
    if strict and qualifier.strip().lower() != "strict":
        raise fail(f"only ', strict' may follow the base, not ',{qualifier}'")
    match = _HEAD.fullmatch(head.strip())
    if not match:
        raise fail(f"expected {_GRAMMAR}")
    words = match["base"].lower().split()
    if not strict and len(words) > 1 and words[-1] == "strict":
        raise fail("put a comma before 'strict': '<p>/<q> of <base>, strict'")
    try:
        fraction = _parse_ratio(match["fraction"].strip(), slash_required=True)
        base = _base(match["base"].strip())
    except ValueError as error:
        raise fail(str(error)) from None
    problem = _threshold_problem(fraction, strict)
    if problem:
        raise fail(problem)
    return Threshold(fraction, base, strict)


def parse_fraction(text: str) -> Fraction:
    """Read a non-negative exact fraction: ``"1/2"``, ``"2/3"``, ``"0"``, ``"1"``.

    :raise TypeError: if ``text`` is not a string (a float such as 0.5 is refused outright).
    :raise ValueError: for decimals, negatives, a zero denominator or anything else.
    """
    if not isinstance(text, str):
        raise TypeError(f"a fraction must be text such as '1/2', not {text!r}")
    try:
        return _parse_ratio(text.strip(), slash_required=False)
    except ValueError as error:
        raise ValueError(f"fraction {text!r}: {error}") from None


def parse_quorum(text: str) -> Fraction:
    """Read a quorum: a fraction of the electorate from ``"0"`` (none) to ``"1"`` (all)."""
    if not isinstance(text, str):
        raise TypeError(f"a quorum must be text such as '1/2', not {text!r}")
    try:
        quorum = _parse_ratio(text.strip(), slash_required=False)
    except ValueError as error:
        raise ValueError(f"quorum {text!r}: {error}") from None
    if quorum > 1:
        raise ValueError(f"quorum {text!r}: must be at most 1 (the whole electorate)")
    return quorum


def format_fraction(value: Fraction) -> str:
    """The canonical text of a fraction, read back by ``parse_fraction``: "1/2", "0", "1"."""
    value = _exact(value, "fraction")
    if value < 0:
        raise ValueError(f"fractions in the rules are never negative, got {value}")
    return str(value.numerator) if value.denominator == 1 else _ratio(value)


def check_quorum(quorum: Fraction | int) -> Fraction:
    """``quorum`` as a Fraction, checked to lie between 0 and 1 inclusive.

    :raise TypeError: for floats and anything else that is not a Fraction or an int.
    :raise ValueError: outside 0..1.
    """
    quorum = _exact(quorum, "quorum")
    if not 0 <= quorum <= 1:
        raise ValueError(
            f"quorum must be between 0 and 1 (a share of the electorate), not {quorum}"
        )
    return quorum


def _parse_ratio(body: str, *, slash_required: bool) -> Fraction:
    """``"p/q"`` (or a whole number unless ``slash_required``) as a Fraction; ValueError
    with the problem, without the context (callers add it)."""
    match = _RATIO.fullmatch(body)
    if match and (match["q"] is not None or not slash_required):
        p, q = int(match["p"]), int(match["q"] or 1)
        if q == 0:
            raise ValueError("denominator must be positive")
        return Fraction(p, q)
    if _NEGATIVE.search(body):
        raise ValueError("the fraction must not be negative")
    if _DECIMAL.search(body):
        raise ValueError("decimals are not allowed (arithmetic is exact); write p/q, e.g. 2/3")
    if slash_required:
        raise ValueError(f"the fraction {body!r} must be written p/q with whole numbers")
    raise ValueError("expected a whole number or p/q with whole numbers, e.g. 1/2")
