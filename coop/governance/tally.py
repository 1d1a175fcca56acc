"""Deciding a proposal from its tally: the quorum test, then the threshold test.

The order and the arithmetic are those of DESIGN.md ("Governance semantics"):

1. **Quorum.** Enough of the electorate must take part: yes + no + abstain ≥ quorum ×
   electorate. Abstaining is taking part, so abstentions alone can carry a quorum, and a
   proposal can fail on quorum even when every ballot is yes.
2. **Base.** The yes votes are counted against the threshold's base (votes cast, votes cast
   and abstentions, or the electorate). A proposal whose base is zero does not pass.
3. **Threshold.** yes / base must exceed the fraction (strict) or reach it (non-strict).

Everything is integers and ``Fraction``; the outcome says which test failed, with the numbers,
because members and auditors must be able to check it by hand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction

from coop.governance.thresholds import Base, Threshold, _count, check_quorum, format_fraction

__all__ = [
    "Decision",
    "FailReason",
    "Tally",
    "base_size",
    "decide",
    "everyone_voted",
    "quorum_needed",
]


@dataclass(frozen=True)
class Tally:
    """The ballots on one proposal at close (the last ballot of each member counts)."""

    yes: int = 0
    no: int = 0
    abstain: int = 0

    def __post_init__(self) -> None:
        for name in ("yes", "no", "abstain"):
            _count(getattr(self, name), name)

    @property
    def turnout(self) -> int:
        """Members who took part; abstaining is taking part."""
        return self.yes + self.no + self.abstain


class FailReason(str, enum.Enum):
    """Which test a proposal (or an election) failed; stored on the outcome."""

    QUORUM = "quorum"
    THRESHOLD = "threshold"
    NO_BASE = "no_base"


@dataclass(frozen=True)
class Decision:
    """The outcome of the quorum and threshold tests, with the numbers behind it.

    ``base`` is the threshold's denominator (reported even when quorum failed first, so the
    record shows the whole picture); ``quorum_needed`` the fewest members who had to take part.
    """

    passed: bool
    reason: FailReason | None
    turnout: int
    quorum_needed: int
    base: int
    yes: int
    explanation: str


def quorum_needed(electorate_size: int, quorum: Fraction) -> int:
    """The fewest members who must take part: quorum × electorate, rounded up.

    Rounded up because a quorum of 1/2 of 9 members is not met by 4 (4 < 4.5).
    """
    _count(electorate_size, "electorate size")
    quorum = check_quorum(quorum)
    return -(-quorum.numerator * electorate_size // quorum.denominator)


def base_size(base: Base, tally: Tally, electorate_size: int) -> int:
    """The number the yes votes are counted against."""
    if base is Base.CAST:
        return tally.yes + tally.no  # abstentions are not votes cast
    if base is Base.CAST_AND_ABSTAIN:
        return tally.turnout
    return electorate_size


def decide(tally: Tally, electorate_size: int, threshold: Threshold, quorum: Fraction) -> Decision:
    """Decide a proposal: quorum first, then the threshold of its base.

    :raise TypeError: for arguments of the wrong kind (floats included).
    :raise ValueError: if more members took part than are in the electorate, or the quorum
        lies outside 0..1.
    """
    if not isinstance(tally, Tally):
        raise TypeError(f"tally must be a Tally, not {tally!r}")
    if not isinstance(threshold, Threshold):
        raise TypeError(f"threshold must be a Threshold, not {threshold!r}")
    _count(electorate_size, "electorate size")
    quorum = check_quorum(quorum)
    if tally.turnout > electorate_size:
        raise ValueError(
            f"{tally.turnout} ballots cannot come from an electorate of {electorate_size}"
        )

    needed = quorum_needed(electorate_size, quorum)
    base = base_size(threshold.base, tally, electorate_size)

    def outcome(reason: FailReason | None, explanation: str) -> Decision:
        return Decision(
            passed=reason is None,
            reason=reason,
            turnout=tally.turnout,
            quorum_needed=needed,
            base=base,
            yes=tally.yes,
            explanation=explanation,
        )

    # Exact: turnout ≥ (p/q)·n ⇔ turnout·q ≥ p·n.
    if tally.turnout * quorum.denominator < quorum.numerator * electorate_size:
        return outcome(
            FailReason.QUORUM,
            f"failed on quorum: {tally.turnout} of {electorate_size} members of the electorate "
            f"took part; the rules require {format_fraction(quorum)} ({needed})",
        )
    if base == 0:
        return outcome(FailReason.NO_BASE, _no_base(threshold.base, tally))

    of_what = f"{tally.yes} yes of {_base_phrase(threshold.base, base)}"
    ratio = f"{threshold.fraction.numerator}/{threshold.fraction.denominator}"
    if threshold.is_met(tally.yes, base):
        relation = "more than" if threshold.strict else "at least"
        return outcome(None, f"passed: {of_what} is {relation} {ratio}")
    relation = "not more than" if threshold.strict else "less than"
    return outcome(
        FailReason.THRESHOLD,
        f"failed on threshold: {of_what} is {relation} {ratio} "
        f"(needs {threshold.yes_needed(base)} yes)",
    )


def everyone_voted(ballots_cast: int, electorate_size: int) -> bool:
    """Whether every member of the electorate has a ballot in (yes, no or abstain), so the
    vote may close early.

    An empty electorate has, vacuously, all voted: nobody can join a snapshotted electorate,
    so waiting for the deadline could not change the outcome.
    """
    _count(ballots_cast, "ballots cast")
    _count(electorate_size, "electorate size")
    if ballots_cast > electorate_size:
        raise ValueError(
            f"{ballots_cast} ballots cannot come from an electorate of {electorate_size}"
        )
    return ballots_cast == electorate_size


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _base_phrase(base: Base, size: int) -> str:
    if base is Base.CAST:
        return _plural(size, "vote cast", "votes cast")
    if base is Base.CAST_AND_ABSTAIN:
        return _plural(size, "ballot", "ballots") + " (abstentions included)"
    return f"an electorate of {size}"


def _no_base(base: Base, tally: Tally) -> str:
    if base is Base.CAST:
        abstentions = _plural(tally.abstain, "abstention", "abstentions")
        why = f"no yes or no votes were cast ({abstentions})"
    elif base is Base.CAST_AND_ABSTAIN:
        why = "0 members voted or abstained"
    else:
        why = "the electorate has 0 members"
    return f"failed with no base: {why}, and a proposal whose base is zero does not pass"
