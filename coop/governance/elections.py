"""Deciding an election for an office: approval ballots, seats, and a verifiable lot.

DESIGN.md ("Offices, the pale…", "Election"): each voter approves any subset of the
candidates, or abstains. Quorum is as for any proposal (abstaining is taking part). A
candidate *qualifies* when their approvals meet the election threshold — by default more than
1/2 of ballots cast, abstentions excluded — and the qualified are ranked by approvals to fill
the seats. Nobody with zero approvals is ever elected.

A tie across the last seat is broken by lot, and the lot must be checkable by anyone: each tied
candidate's key is SHA-256(the 32-byte ledger root at close ‖ member id in decimal ASCII), and
the lowest keys win. The ledger root is fixed by everything recorded before the close, so
nobody can choose it to favour a candidate; the inputs are recorded with the result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

from coop.governance.tally import FailReason, quorum_needed
from coop.governance.thresholds import Base, Threshold, _count, check_quorum, format_fraction

__all__ = ["ApprovalTally", "ElectionResult", "decide_election", "lot_key"]

#: The ledger root is a SHA-256 Merkle root (RFC 6962), hence 32 bytes.
ROOT_SIZE = 32


@dataclass(frozen=True)
class ApprovalTally:
    """The approval ballots of one election at close.

    ``ballots_cast`` counts ballots approving at least one candidate; a ballot approving
    nobody is an abstention. ``approvals`` maps each candidate's member id to the number of
    ballots approving them (the mapping is copied, so the tally cannot change afterwards).
    """

    ballots_cast: int
    abstentions: int
    approvals: dict[int, int]

    def __post_init__(self) -> None:
        _count(self.ballots_cast, "ballots cast")
        _count(self.abstentions, "abstentions")
        if not isinstance(self.approvals, dict):
            raise TypeError(
                f"approvals must be a dict of member id to count, not {self.approvals!r}"
            )
        for member_id, count in self.approvals.items():
            _count(member_id, "candidate member id")
            _count(count, f"approvals of member {member_id}")
            if count > self.ballots_cast:  # one ballot approves a candidate at most once
                raise ValueError(
                    f"member {member_id} has {count} approvals from only "
                    f"{self.ballots_cast} ballots cast"
                )
        object.__setattr__(self, "approvals", dict(self.approvals))

    @property
    def turnout(self) -> int:
        return self.ballots_cast + self.abstentions


@dataclass(frozen=True)
class ElectionResult:
    """Who is elected, in rank order, and why.

    ``reason`` is None when at least one seat is filled; otherwise the test that failed
    (quorum, an empty base, or nobody meeting the threshold). ``qualified`` is in rank order
    and ``elected`` is its first ``seats`` members. ``lot_inputs`` is set only when a lot was
    drawn: ``{"root": hex, "tied": [{"member_id": id, "key": hex}, …]}`` by ascending key.
    """

    passed_quorum: bool
    reason: FailReason | None
    elected: list[int]
    vacant_seats: int
    qualified: list[int]
    tie_broken_by_lot: bool
    lot_inputs: dict | None
    explanation: str


def lot_key(root: bytes, member_id: int) -> bytes:
    """SHA-256(root ‖ member id as decimal ASCII): a tied candidate's place in the lot."""
    if not isinstance(root, bytes):
        raise TypeError(f"the ledger root must be bytes, not {type(root).__name__}")
    if len(root) != ROOT_SIZE:
        raise ValueError(f"the ledger root must be exactly {ROOT_SIZE} bytes, not {len(root)}")
    _count(member_id, "member id")
    return hashlib.sha256(root + str(member_id).encode("ascii")).digest()


def decide_election(
    tally: ApprovalTally,
    electorate_size: int,
    seats: int,
    threshold: Threshold,
    quorum: Fraction,
    ledger_root: bytes,
) -> ElectionResult:
    """Decide an election: quorum, then who qualifies, then who fills the seats.

    :raise TypeError: for arguments of the wrong kind (floats included).
    :raise ValueError: if more took part than the electorate holds, there are no seats, the
        quorum lies outside 0..1 or the ledger root is not 32 bytes.
    """
    if not isinstance(tally, ApprovalTally):
        raise TypeError(f"tally must be an ApprovalTally, not {tally!r}")
    if not isinstance(threshold, Threshold):
        raise TypeError(f"threshold must be a Threshold, not {threshold!r}")
    _count(electorate_size, "electorate size")
    if _count(seats, "seats") == 0:
        raise ValueError("an office has at least one seat")
    quorum = check_quorum(quorum)
    lot_key(ledger_root, 0)  # validate the root now, not only when a tie happens to need it
    if tally.turnout > electorate_size:
        raise ValueError(
            f"{tally.turnout} ballots and abstentions cannot come from an electorate "
            f"of {electorate_size}"
        )

    def nobody(passed_quorum: bool, reason: FailReason, why: str) -> ElectionResult:
        return ElectionResult(passed_quorum, reason, [], seats, [], False, None,
                              f"no one elected: {why}; {_seats(seats)} vacant")

    needed = quorum_needed(electorate_size, quorum)
    if tally.turnout * quorum.denominator < quorum.numerator * electorate_size:
        return nobody(False, FailReason.QUORUM,
                      f"quorum not met: {tally.turnout} of {electorate_size} members of the "
                      f"electorate took part; the rules require {format_fraction(quorum)} "
                      f"({needed})")

    base = {
        Base.CAST: tally.ballots_cast,  # abstentions excluded, as for votes cast
        Base.CAST_AND_ABSTAIN: tally.turnout,
        Base.ELECTORATE: electorate_size,
    }[threshold.base]
    if base == 0:
        why = ("the electorate is empty" if threshold.base is Base.ELECTORATE
               else "no ballot approved any candidate")
        return nobody(True, FailReason.NO_BASE, f"{why}, so there is no base to count against")

    approvals = tally.approvals
    qualified = sorted(
        (member for member, count in approvals.items()
         if count > 0 and threshold.is_met(count, base)),
        key=lambda member: (-approvals[member], member),  # member id: a stable display order
    )
    requirement = (f"approval by {threshold.describe()} "
                   f"(at least {threshold.yes_needed(base)} of {base})")
    if not qualified:
        return nobody(True, FailReason.THRESHOLD, f"no candidate had {requirement}")

    lot_inputs = None
    if len(qualified) > seats and approvals[qualified[seats - 1]] == approvals[qualified[seats]]:
        # The tie crosses the last seat: order the tied group by lot, lowest key first.
        level = approvals[qualified[seats - 1]]
        tied = [member for member in qualified if approvals[member] == level]
        keys = {member: lot_key(ledger_root, member) for member in tied}
        by_lot = sorted(tied, key=keys.__getitem__)
        start = qualified.index(tied[0])
        qualified[start:start + len(tied)] = by_lot
        lot_inputs = {
            "root": ledger_root.hex(),
            "tied": [{"member_id": m, "key": keys[m].hex()} for m in by_lot],
        }

    elected = qualified[:seats]
    vacant = seats - len(elected)
    explanation = (f"elected {_members(elected)} with {requirement}; approvals: "
                   + ", ".join(f"member {m} had {approvals[m]}" for m in qualified))
    if lot_inputs:
        level = approvals[elected[-1]]
        explanation += (f"; a tie at {level} approvals for the last seat between "
                        f"{_members(m['member_id'] for m in lot_inputs['tied'])} "
                        f"was broken by lot")
    if vacant:
        explanation += (f"; only {len(qualified)} qualified, so {_seats(vacant)} "
                        f"{'remains' if vacant == 1 else 'remain'} vacant")
    return ElectionResult(True, None, elected, vacant, qualified, lot_inputs is not None,
                          lot_inputs, explanation)


def _members(ids) -> str:
    ids = list(ids)
    return ("member " if len(ids) == 1 else "members ") + ", ".join(map(str, ids))


def _seats(count: int) -> str:
    return f"{count} seat" if count == 1 else f"{count} seats"
