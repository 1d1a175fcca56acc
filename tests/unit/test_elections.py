"""Deciding an election: approval ballots, seats, vacancies and a lot anyone can re-draw."""

import hashlib
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.governance import (
    SIMPLE_MAJORITY,
    ApprovalTally,
    Base,
    ElectionResult,
    FailReason,
    Threshold,
    decide_election,
    lot_key,
)

HALF = Fraction(1, 2)
ROOT = bytes(range(32))


def elect(approvals, *, ballots=10, abstentions=0, electorate=12, seats=1,
          threshold=SIMPLE_MAJORITY, quorum=HALF, root=ROOT) -> ElectionResult:
    tally = ApprovalTally(ballots_cast=ballots, abstentions=abstentions, approvals=approvals)
    return decide_election(tally, electorate, seats, threshold, quorum, root)


def sha256_key(root: bytes, member_id: int) -> bytes:
    """The lot key as DESIGN.md states it, computed independently of the code under test."""
    return hashlib.sha256(root + str(member_id).encode("ascii")).digest()


# --- the lot key -------------------------------------------------------------------------------


def test_lot_key_hashes_the_root_then_the_member_id_in_decimal_ascii():
    assert lot_key(ROOT, 42) == hashlib.sha256(ROOT + b"42").digest()


def test_lot_key_matches_a_vector_computed_outside_python():
    # (head -c 32 /dev/zero; printf 7) | sha256sum
    expected = "6e9be5feac93f5e6d777bd377c4de8b3e004155036c76a4a41376838a7029cd1"
    assert lot_key(bytes(32), 7).hex() == expected


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_lot_key_needs_a_32_byte_root(size):
    with pytest.raises(ValueError, match="32 bytes"):
        lot_key(bytes(size), 1)


@pytest.mark.parametrize("root", [ROOT.hex(), bytearray(ROOT), None])
def test_lot_key_needs_the_root_as_bytes(root):
    with pytest.raises(TypeError):
        lot_key(root, 1)


@pytest.mark.parametrize(("member_id", "error"), [(-1, ValueError), (1.0, TypeError), ("1", TypeError)])
def test_lot_key_needs_a_member_id(member_id, error):
    with pytest.raises(error):
        lot_key(ROOT, member_id)


# --- filling the seats ------------------------------------------------------------------------


def test_candidates_above_the_threshold_fill_the_seats_by_approvals():
    result = elect({1: 6, 2: 9, 3: 7, 4: 8}, seats=2)
    assert result.passed_quorum
    assert result.reason is None
    assert result.elected == [2, 4]
    assert result.qualified == [2, 4, 3, 1]
    assert result.vacant_seats == 0
    assert not result.tie_broken_by_lot
    assert result.lot_inputs is None


def test_exactly_half_of_ballots_cast_is_not_a_majority():
    result = elect({1: 5, 2: 6}, seats=2)
    assert result.qualified == [2]
    assert result.elected == [2]


def test_one_candidate_for_two_seats_leaves_one_vacancy():
    result = elect({7: 8}, seats=2)
    assert result.elected == [7]
    assert result.vacant_seats == 1
    assert result.reason is None
    assert "1 seat remains vacant" in result.explanation


def test_no_candidate_reaching_the_threshold_leaves_every_seat_vacant():
    result = elect({1: 5, 2: 3}, seats=2)
    assert result.passed_quorum
    assert result.reason is FailReason.THRESHOLD
    assert result.elected == []
    assert result.qualified == []
    assert result.vacant_seats == 2
    assert "at least 6 of 10" in result.explanation


def test_candidates_with_no_approvals_never_qualify_even_under_the_lowest_threshold():
    lowest = Threshold(Fraction(1, 1000), Base.CAST, False)
    result = elect({1: 0, 2: 1}, seats=2, threshold=lowest)
    assert result.qualified == [2]
    assert result.vacant_seats == 1


def test_an_empty_candidate_list_elects_nobody():
    result = elect({}, seats=1)
    assert result.reason is FailReason.THRESHOLD
    assert result.vacant_seats == 1


# --- ties ----------------------------------------------------------------------------------------


def test_tie_within_the_seats_needs_no_lot_and_is_shown_by_member_id():
    result = elect({9: 8, 3: 8, 5: 7, 4: 6}, seats=3)
    assert result.elected == [3, 9, 5]
    assert not result.tie_broken_by_lot
    assert result.lot_inputs is None


def test_tie_below_the_last_seat_needs_no_lot():
    result = elect({1: 9, 5: 7, 3: 7}, seats=1)
    assert result.elected == [1]
    assert result.qualified == [1, 3, 5]
    assert not result.tie_broken_by_lot


def test_tie_at_the_last_seat_is_broken_by_lot_and_can_be_redrawn_from_the_record():
    approvals = {11: 9, 12: 7, 13: 7, 14: 7, 15: 6}
    result = elect(approvals, seats=2)
    tied = [12, 13, 14]
    by_key = sorted(tied, key=lambda member: sha256_key(ROOT, member))

    assert result.tie_broken_by_lot
    assert result.elected == [11, by_key[0]]
    assert result.qualified == [11, *by_key, 15]
    assert result.lot_inputs == {
        "root": ROOT.hex(),
        "tied": [{"member_id": m, "key": sha256_key(ROOT, m).hex()} for m in by_key],
    }
    # An auditor re-draws the lot from the recorded inputs alone.
    recorded_root = bytes.fromhex(result.lot_inputs["root"])
    for entry in result.lot_inputs["tied"]:
        assert hashlib.sha256(recorded_root + str(entry["member_id"]).encode()).hexdigest() \
            == entry["key"]
    keys = [entry["key"] for entry in result.lot_inputs["tied"]]
    assert keys == sorted(keys)
    assert "broken by lot" in result.explanation


def test_tie_for_the_only_seat_between_everyone_is_broken_by_lot():
    result = elect({1: 6, 2: 6}, seats=1)
    assert result.tie_broken_by_lot
    assert result.elected == [min([1, 2], key=lambda m: sha256_key(ROOT, m))]
    assert len(result.lot_inputs["tied"]) == 2


def test_the_lot_depends_on_the_ledger_root():
    # Over many roots, each of two tied candidates must sometimes win: the lot is not a
    # disguised member-id order.
    winners = {
        elect({1: 6, 2: 6}, seats=1, root=bytes([n]) * 32).elected[0] for n in range(32)
    }
    assert winners == {1, 2}


def test_member_ids_are_hashed_as_decimal_text_not_compared_as_numbers():
    # 10 and 9: as text, "10" < "9"; the key must come from the text's hash either way.
    for root in (bytes([n]) * 32 for n in range(8)):
        result = elect({9: 6, 10: 6}, seats=1, root=root)
        assert result.elected == [min([9, 10], key=lambda m: sha256_key(root, m))]


# --- quorum and the bases ----------------------------------------------------------------------


def test_quorum_failure_elects_nobody_whatever_the_approvals():
    result = elect({1: 4}, ballots=4, abstentions=1, electorate=12)
    assert not result.passed_quorum
    assert result.reason is FailReason.QUORUM
    assert result.elected == []
    assert result.vacant_seats == 1
    assert "5 of 12" in result.explanation
    assert "(6)" in result.explanation


def test_quorum_met_only_by_abstentions():
    met = elect({1: 2}, ballots=2, abstentions=3, electorate=10)
    assert met.passed_quorum
    assert met.elected == [1]
    short = elect({1: 2}, ballots=2, abstentions=2, electorate=10)
    assert short.reason is FailReason.QUORUM


def test_all_abstain_fails_with_no_base_when_counting_ballots_cast():
    result = elect({1: 0, 2: 0}, ballots=0, abstentions=7, electorate=10, seats=2)
    assert result.passed_quorum
    assert result.reason is FailReason.NO_BASE
    assert result.elected == []
    assert result.vacant_seats == 2


def test_all_abstain_fails_the_threshold_when_abstentions_are_counted():
    counting_abstentions = Threshold(HALF, Base.CAST_AND_ABSTAIN, True)
    result = elect({1: 0}, ballots=0, abstentions=7, electorate=10,
                   threshold=counting_abstentions)
    assert result.reason is FailReason.THRESHOLD


def test_zero_electorate_has_no_base():
    result = elect({}, ballots=0, electorate=0, threshold=Threshold(HALF, Base.ELECTORATE, True))
    assert result.passed_quorum
    assert result.reason is FailReason.NO_BASE


def test_abstentions_are_excluded_from_ballots_cast_but_counted_when_the_base_says_so():
    approvals = {1: 4}
    assert elect(approvals, ballots=6, abstentions=4).elected == [1]  # 4 of 6
    counting_abstentions = Threshold(HALF, Base.CAST_AND_ABSTAIN, True)
    assert elect(approvals, ballots=6, abstentions=4, threshold=counting_abstentions).elected == []


def test_electorate_base_counts_members_who_stayed_home():
    by_electorate = Threshold(HALF, Base.ELECTORATE, True)
    assert elect({1: 4}, ballots=6, electorate=10).elected == [1]  # 4 of 6 cast
    assert elect({1: 4}, ballots=6, electorate=10, threshold=by_electorate).elected == []
    assert elect({1: 6}, ballots=6, electorate=10, threshold=by_electorate).elected == [1]


# --- refusing nonsense ------------------------------------------------------------------------


def test_more_approvals_than_ballots_is_refused():
    with pytest.raises(ValueError, match="member 3"):
        ApprovalTally(ballots_cast=4, abstentions=0, approvals={3: 5})


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"ballots_cast": -1}, ValueError),
        ({"ballots_cast": 2.0}, TypeError),
        ({"abstentions": -1}, ValueError),
        ({"abstentions": 1.0}, TypeError),
        ({"approvals": {1: 1.0}}, TypeError),
        ({"approvals": {1: -1}}, ValueError),
        ({"approvals": {"1": 1}}, TypeError),
        ({"approvals": [(1, 1)]}, TypeError),
    ],
)
def test_approval_tally_refuses_impossible_counts(kwargs, error):
    values = {"ballots_cast": 3, "abstentions": 0, "approvals": {1: 1}} | kwargs
    with pytest.raises(error):
        ApprovalTally(**values)


def test_approval_tally_keeps_its_own_copy_of_the_approvals():
    approvals = {1: 3}
    tally = ApprovalTally(ballots_cast=3, abstentions=0, approvals=approvals)
    approvals[1] = 0
    assert tally.approvals == {1: 3}


def test_more_ballots_than_electorate_is_refused():
    with pytest.raises(ValueError, match="electorate of 5"):
        elect({1: 4}, ballots=4, abstentions=2, electorate=5)


@pytest.mark.parametrize(("seats", "error"), [(0, ValueError), (-1, ValueError), (1.0, TypeError)])
def test_an_office_has_at_least_one_seat(seats, error):
    with pytest.raises(error):
        elect({1: 6}, seats=seats)


def test_a_bad_root_is_refused_even_without_a_tie():
    with pytest.raises(ValueError, match="32 bytes"):
        elect({1: 6}, root=bytes(31))


@pytest.mark.parametrize("quorum", [0.5, "1/2"])
def test_float_quorum_is_refused(quorum):
    with pytest.raises(TypeError):
        elect({1: 6}, quorum=quorum)


def test_threshold_must_be_a_threshold():
    with pytest.raises(TypeError):
        elect({1: 6}, threshold="1/2 of cast, strict")


# --- the property: the result agrees with counting by hand ------------------------------------


@st.composite
def elections(draw):
    ballots = draw(st.integers(0, 12))
    abstentions = draw(st.integers(0, 6))
    electorate = ballots + abstentions + draw(st.integers(0, 10))
    candidates = draw(st.lists(st.integers(1, 30), unique=True, max_size=8))
    # Few distinct approval counts, so ties (also across the last seat) are common.
    approvals = {c: draw(st.integers(0, ballots)) for c in candidates}
    q = draw(st.integers(1, 6))
    fraction = Fraction(draw(st.integers(1, q)), q)
    strict = draw(st.booleans()) if fraction < 1 else False
    threshold = Threshold(fraction, draw(st.sampled_from(Base)), strict)
    quorum_q = draw(st.integers(1, 6))
    quorum = Fraction(draw(st.integers(0, quorum_q)), quorum_q)
    seats = draw(st.integers(1, 4))
    root = draw(st.binary(min_size=32, max_size=32))
    return ApprovalTally(ballots, abstentions, approvals), electorate, seats, threshold, quorum, root


@given(elections())
def test_election_agrees_with_counting_by_hand(case):
    tally, electorate, seats, threshold, quorum, root = case
    result = decide_election(*case)

    took_part = tally.ballots_cast + tally.abstentions
    if Fraction(took_part) < quorum * electorate:
        assert not result.passed_quorum
        assert result.reason is FailReason.QUORUM
        assert result.elected == [] and result.vacant_seats == seats
        return
    assert result.passed_quorum

    base = {Base.CAST: tally.ballots_cast, Base.CAST_AND_ABSTAIN: took_part,
            Base.ELECTORATE: electorate}[threshold.base]
    qualified = set()
    for member, count in tally.approvals.items():
        if base == 0 or count == 0:
            continue
        share = Fraction(count, base)
        if share > threshold.fraction or (not threshold.strict and share == threshold.fraction):
            qualified.add(member)

    ranked = sorted(qualified, key=lambda m: (-tally.approvals[m], sha256_key(root, m)))
    assert set(result.qualified) == qualified
    assert set(result.elected) == set(ranked[:seats])
    assert result.elected == result.qualified[:seats]
    counts = [tally.approvals[m] for m in result.qualified]
    assert counts == sorted(counts, reverse=True)
    assert result.vacant_seats == seats - len(result.elected)

    if base == 0:
        assert result.reason is FailReason.NO_BASE
    elif not qualified:
        assert result.reason is FailReason.THRESHOLD
    else:
        assert result.reason is None

    tie_at_last_seat = (len(ranked) > seats
                        and tally.approvals[ranked[seats - 1]] == tally.approvals[ranked[seats]])
    assert result.tie_broken_by_lot == tie_at_last_seat
    if tie_at_last_seat:
        level = tally.approvals[ranked[seats - 1]]
        tied = sorted((m for m in qualified if tally.approvals[m] == level),
                      key=lambda m: sha256_key(root, m))
        assert result.lot_inputs == {
            "root": root.hex(),
            "tied": [{"member_id": m, "key": sha256_key(root, m).hex()} for m in tied],
        }
    else:
        assert result.lot_inputs is None
