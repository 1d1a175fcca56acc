"""Deciding a proposal: quorum first, then the threshold of its base (DESIGN.md, exact)."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.governance import (
    SIMPLE_MAJORITY,
    THREE_QUARTERS,
    TWO_THIRDS,
    Base,
    Decision,
    FailReason,
    Tally,
    Threshold,
    decide,
    everyone_voted,
    quorum_needed,
)

HALF = Fraction(1, 2)
CAST_AND_ABSTAIN_MAJORITY = Threshold(HALF, Base.CAST_AND_ABSTAIN, True)


def two_thirds_of(base: Base) -> Threshold:
    return Threshold(Fraction(2, 3), base, False)


# --- thresholds at their edges ---------------------------------------------------------------


def test_supermajority_passes_at_exactly_two_thirds():
    decision = decide(Tally(yes=6, no=3), electorate_size=9, threshold=TWO_THIRDS, quorum=HALF)
    assert decision.passed
    assert decision.reason is None


def test_supermajority_fails_one_yes_short_of_two_thirds():
    decision = decide(Tally(yes=5, no=3), electorate_size=9, threshold=TWO_THIRDS, quorum=HALF)
    assert not decision.passed
    assert decision.reason is FailReason.THRESHOLD


def test_simple_majority_fails_at_exactly_half():
    decision = decide(Tally(yes=5, no=5), 10, SIMPLE_MAJORITY, HALF)
    assert not decision.passed
    assert decision.reason is FailReason.THRESHOLD


def test_simple_majority_passes_with_one_yes_more_than_half():
    assert decide(Tally(yes=6, no=5), 11, SIMPLE_MAJORITY, HALF).passed


def test_at_least_half_passes_on_a_tie_where_more_than_half_does_not():
    at_least_half = Threshold(HALF, Base.CAST, strict=False)
    assert decide(Tally(yes=5, no=5), 10, at_least_half, HALF).passed
    assert not decide(Tally(yes=5, no=5), 10, SIMPLE_MAJORITY, HALF).passed


def test_three_quarters_passes_at_exactly_three_quarters_and_fails_just_below():
    assert decide(Tally(yes=9, no=3), 12, THREE_QUARTERS, HALF).passed
    assert not decide(Tally(yes=8, no=3), 12, THREE_QUARTERS, HALF).passed


def test_unanimity_needs_every_vote_cast():
    unanimity = Threshold(Fraction(1), Base.CAST, False)
    assert decide(Tally(yes=7, abstain=2), 9, unanimity, HALF).passed
    assert not decide(Tally(yes=7, no=1), 9, unanimity, HALF).passed


# --- the three bases -------------------------------------------------------------------------


def test_abstentions_are_not_votes_cast_so_they_do_not_sink_a_simple_majority():
    decision = decide(Tally(yes=3, no=2, abstain=10), 15, SIMPLE_MAJORITY, HALF)
    assert decision.passed
    assert decision.base == 5


def test_abstentions_weigh_like_no_when_the_base_includes_them():
    decision = decide(Tally(yes=3, no=2, abstain=10), 15, CAST_AND_ABSTAIN_MAJORITY, HALF)
    assert not decision.passed
    assert decision.reason is FailReason.THRESHOLD
    assert decision.base == 15


def test_supermajority_fails_when_abstentions_push_yes_below_two_thirds():
    tally = Tally(yes=6, no=2, abstain=2)
    assert decide(tally, 10, two_thirds_of(Base.CAST), HALF).passed
    assert not decide(tally, 10, two_thirds_of(Base.CAST_AND_ABSTAIN), HALF).passed


def test_electorate_base_counts_members_who_stayed_home_against_the_proposal():
    tally = Tally(yes=6, no=1)
    assert decide(tally, 7, two_thirds_of(Base.ELECTORATE), HALF).passed
    by_electorate = decide(tally, 10, two_thirds_of(Base.ELECTORATE), HALF)
    assert not by_electorate.passed
    assert by_electorate.reason is FailReason.THRESHOLD
    assert by_electorate.base == 10
    assert decide(tally, 10, two_thirds_of(Base.CAST), HALF).passed


def test_electorate_base_passes_at_exactly_three_quarters_of_the_electorate():
    three_quarters_of_members = Threshold(Fraction(3, 4), Base.ELECTORATE, False)
    assert decide(Tally(yes=9), 12, three_quarters_of_members, HALF).passed
    assert not decide(Tally(yes=8, no=1), 12, three_quarters_of_members, HALF).passed


@pytest.mark.parametrize(
    ("base", "expected"),
    [(Base.CAST, 7), (Base.CAST_AND_ABSTAIN, 9), (Base.ELECTORATE, 12)],
)
def test_decision_reports_the_base_it_counted_against(base, expected):
    decision = decide(Tally(yes=5, no=2, abstain=2), 12, two_thirds_of(base), HALF)
    assert decision.base == expected
    assert decision.yes == 5
    assert decision.turnout == 9


# --- nobody to count ---------------------------------------------------------------------------


def test_all_abstain_fails_with_no_base_when_counting_votes_cast():
    decision = decide(Tally(abstain=6), 10, SIMPLE_MAJORITY, HALF)
    assert not decision.passed
    assert decision.reason is FailReason.NO_BASE
    assert decision.base == 0
    assert "6 abstentions" in decision.explanation


def test_all_abstain_fails_the_threshold_when_abstentions_are_counted():
    decision = decide(Tally(abstain=6), 10, CAST_AND_ABSTAIN_MAJORITY, HALF)
    assert not decision.passed
    assert decision.reason is FailReason.THRESHOLD
    assert decision.base == 6


@pytest.mark.parametrize("base", list(Base))
@pytest.mark.parametrize("quorum", [Fraction(0), HALF, Fraction(1)])
def test_zero_electorate_meets_quorum_but_has_no_base(base, quorum):
    decision = decide(Tally(), 0, two_thirds_of(base), quorum)
    assert not decision.passed
    assert decision.reason is FailReason.NO_BASE
    assert decision.quorum_needed == 0


def test_no_ballots_with_no_quorum_fails_for_no_base_not_for_quorum():
    decision = decide(Tally(), 10, SIMPLE_MAJORITY, Fraction(0))
    assert decision.reason is FailReason.NO_BASE


def test_no_ballots_against_the_electorate_base_fails_the_threshold():
    decision = decide(Tally(), 10, two_thirds_of(Base.ELECTORATE), Fraction(0))
    assert decision.reason is FailReason.THRESHOLD
    assert decision.base == 10


# --- quorum ------------------------------------------------------------------------------------


def test_quorum_failure_even_with_all_yes():
    decision = decide(Tally(yes=4), 10, SIMPLE_MAJORITY, HALF)
    assert not decision.passed
    assert decision.reason is FailReason.QUORUM
    assert decision.quorum_needed == 5


def test_quorum_met_only_by_abstentions():
    # 2 yes alone are 2 of 10; the 3 who abstained took part, which makes the quorum of 5.
    assert decide(Tally(yes=2, abstain=3), 10, SIMPLE_MAJORITY, HALF).passed
    short = decide(Tally(yes=2, abstain=2), 10, SIMPLE_MAJORITY, HALF)
    assert short.reason is FailReason.QUORUM


def test_quorum_is_checked_before_the_threshold():
    decision = decide(Tally(no=4), 10, SIMPLE_MAJORITY, HALF)
    assert decision.reason is FailReason.QUORUM


def test_quorum_of_half_an_odd_electorate_rounds_up():
    assert decide(Tally(yes=4), 9, SIMPLE_MAJORITY, HALF).reason is FailReason.QUORUM
    assert decide(Tally(yes=5), 9, SIMPLE_MAJORITY, HALF).passed


def test_quorum_of_two_thirds_is_met_exactly():
    two_thirds = Fraction(2, 3)
    assert decide(Tally(yes=4, no=2), 9, SIMPLE_MAJORITY, two_thirds).passed
    assert decide(Tally(yes=4, no=1), 9, SIMPLE_MAJORITY, two_thirds).reason is FailReason.QUORUM


def test_quorum_of_the_whole_electorate_needs_everyone():
    assert decide(Tally(yes=9, abstain=1), 10, SIMPLE_MAJORITY, Fraction(1)).passed
    assert decide(Tally(yes=9), 10, SIMPLE_MAJORITY, Fraction(1)).reason is FailReason.QUORUM


@pytest.mark.parametrize(
    ("electorate", "quorum", "needed"),
    [(10, HALF, 5), (9, HALF, 5), (9, Fraction(2, 3), 6), (10, Fraction(2, 3), 7),
     (0, HALF, 0), (7, Fraction(0), 0), (7, Fraction(1), 7), (1, Fraction(1, 100), 1)],
)
def test_quorum_needed_rounds_up_to_whole_members(electorate, quorum, needed):
    assert quorum_needed(electorate, quorum) == needed


def test_quorum_may_be_a_whole_number():
    assert quorum_needed(5, 1) == 5
    assert decide(Tally(yes=5), 5, SIMPLE_MAJORITY, 1).passed


# --- explanations ------------------------------------------------------------------------------


def test_quorum_explanation_names_turnout_electorate_and_requirement():
    text = decide(Tally(yes=3), 10, SIMPLE_MAJORITY, HALF).explanation
    assert text.startswith("failed on quorum")
    assert "3 of 10" in text
    assert "1/2 (5)" in text


def test_pass_explanation_names_yes_base_and_threshold():
    text = decide(Tally(yes=7, no=3), 10, TWO_THIRDS, HALF).explanation
    assert text == "passed: 7 yes of 10 votes cast is at least 2/3"


def test_threshold_explanation_names_the_yes_votes_needed():
    text = decide(Tally(yes=5, no=4), 10, TWO_THIRDS, HALF).explanation
    assert text.startswith("failed on threshold")
    assert "5 yes of 9 votes cast" in text
    assert "less than 2/3" in text
    assert "needs 6" in text


def test_strict_threshold_explanation_says_not_more_than():
    text = decide(Tally(yes=5, no=5), 10, SIMPLE_MAJORITY, HALF).explanation
    assert "5 yes of 10 votes cast is not more than 1/2" in text
    assert "needs 6" in text


def test_electorate_base_explanation_names_the_electorate():
    decision = decide(Tally(yes=6, no=1), 10, two_thirds_of(Base.ELECTORATE), HALF)
    assert "6 yes of an electorate of 10" in decision.explanation
    assert "needs 7" in decision.explanation


# --- refusing nonsense ------------------------------------------------------------------------


def test_more_ballots_than_electorate_is_refused():
    with pytest.raises(ValueError, match="electorate of 4"):
        decide(Tally(yes=3, no=1, abstain=1), 4, SIMPLE_MAJORITY, HALF)


@pytest.mark.parametrize("field", ["yes", "no", "abstain"])
@pytest.mark.parametrize(("value", "error"), [(-1, ValueError), (1.0, TypeError),
                                              (True, TypeError), ("3", TypeError)])
def test_tally_counts_must_be_non_negative_whole_numbers(field, value, error):
    with pytest.raises(error):
        Tally(**{field: value})


def test_turnout_counts_abstentions():
    assert Tally(yes=2, no=3, abstain=4).turnout == 9


@pytest.mark.parametrize(("electorate", "error"), [(-1, ValueError), (10.0, TypeError),
                                                   (True, TypeError)])
def test_electorate_size_must_be_a_non_negative_whole_number(electorate, error):
    with pytest.raises(error):
        decide(Tally(), electorate, SIMPLE_MAJORITY, HALF)


@pytest.mark.parametrize("quorum", [0.5, 0.0, 1.0, "1/2"])
def test_float_or_text_quorum_is_refused(quorum):
    with pytest.raises(TypeError):
        decide(Tally(yes=1), 1, SIMPLE_MAJORITY, quorum)
    with pytest.raises(TypeError):
        quorum_needed(10, quorum)


@pytest.mark.parametrize("quorum", [Fraction(3, 2), Fraction(-1, 2)])
def test_quorum_outside_zero_to_one_is_refused(quorum):
    with pytest.raises(ValueError, match="quorum"):
        decide(Tally(yes=1), 1, SIMPLE_MAJORITY, quorum)


def test_threshold_must_be_parsed_first():
    with pytest.raises(TypeError):
        decide(Tally(yes=1), 1, "2/3 of cast", HALF)


def test_tally_must_be_a_tally():
    with pytest.raises(TypeError):
        decide((1, 0, 0), 1, SIMPLE_MAJORITY, HALF)


def test_decision_is_immutable():
    decision = decide(Tally(yes=1), 1, SIMPLE_MAJORITY, HALF)
    with pytest.raises(AttributeError):
        decision.passed = False


# --- closing early ----------------------------------------------------------------------------


def test_everyone_voted_when_every_member_has_a_ballot():
    assert everyone_voted(10, 10)
    assert not everyone_voted(9, 10)


def test_everyone_voted_in_an_empty_electorate():
    assert everyone_voted(0, 0)


def test_everyone_voted_refuses_more_ballots_than_members():
    with pytest.raises(ValueError):
        everyone_voted(11, 10)


@pytest.mark.parametrize("args", [(1.0, 2), (1, 2.0), (-1, 2), (True, 2)])
def test_everyone_voted_refuses_non_counts(args):
    with pytest.raises((TypeError, ValueError)):
        everyone_voted(*args)


# --- the property: decide agrees with counting by hand ----------------------------------------


@st.composite
def cases(draw):
    electorate = draw(st.integers(0, 40))
    yes = draw(st.integers(0, electorate))
    no = draw(st.integers(0, electorate - yes))
    abstain = draw(st.integers(0, electorate - yes - no))
    q = draw(st.integers(1, 12))
    threshold_fraction = Fraction(draw(st.integers(1, q)), q)
    strict = draw(st.booleans()) if threshold_fraction < 1 else False
    threshold = Threshold(threshold_fraction, draw(st.sampled_from(Base)), strict)
    quorum_denominator = draw(st.integers(1, 12))
    quorum = Fraction(draw(st.integers(0, quorum_denominator)), quorum_denominator)
    return Tally(yes, no, abstain), electorate, threshold, quorum


def by_hand(tally: Tally, electorate: int, threshold: Threshold, quorum: Fraction):
    """Count it the long way: walk the turnouts and yes counts one by one with Fractions."""
    took_part = tally.yes + tally.no + tally.abstain
    fewest_needed = next(n for n in range(electorate + 1) if Fraction(n) >= quorum * electorate)
    if took_part < fewest_needed:
        return FailReason.QUORUM, fewest_needed, None
    base = {Base.CAST: tally.yes + tally.no,
            Base.CAST_AND_ABSTAIN: took_part,
            Base.ELECTORATE: electorate}[threshold.base]
    if base == 0:
        return FailReason.NO_BASE, fewest_needed, base
    share = Fraction(tally.yes, base)
    ok = share > threshold.fraction if threshold.strict else share >= threshold.fraction
    return (None if ok else FailReason.THRESHOLD), fewest_needed, base


@given(cases())
def test_decide_agrees_with_counting_by_hand(case):
    tally, electorate, threshold, quorum = case
    reason, fewest_needed, base = by_hand(*case)
    decision = decide(tally, electorate, threshold, quorum)
    assert isinstance(decision, Decision)
    assert decision.reason is reason
    assert decision.passed == (reason is None)
    assert decision.quorum_needed == fewest_needed == quorum_needed(electorate, quorum)
    assert decision.turnout == tally.turnout
    assert decision.yes == tally.yes
    if base is not None:
        assert decision.base == base
    text = decision.explanation
    assert text.startswith("passed" if reason is None else "failed")
    if reason is FailReason.QUORUM:
        assert f"{tally.turnout} of {electorate} members" in text
        assert f"({fewest_needed})" in text
    elif reason is FailReason.NO_BASE:
        assert "base is zero" in text
    else:
        assert f"{tally.yes} yes of " in text
        assert f"{base}" in text


@given(cases())
def test_one_more_yes_in_place_of_a_no_never_turns_a_pass_into_a_fail(case):
    tally, electorate, threshold, quorum = case
    if tally.no == 0:
        return
    before = decide(tally, electorate, threshold, quorum)
    after = decide(Tally(tally.yes + 1, tally.no - 1, tally.abstain), electorate, threshold, quorum)
    assert after.passed or not before.passed
