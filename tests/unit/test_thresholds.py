"""Thresholds and quorums as the rules write them: parsing, canonical text, plain English."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.governance import (
    SIMPLE_MAJORITY,
    THREE_QUARTERS,
    TWO_THIRDS,
    Base,
    Threshold,
    check_quorum,
    format_fraction,
    parse_fraction,
    parse_quorum,
    parse_threshold,
)

# --- the pre-made thresholds are the ones DESIGN.md defines ------------------------------------


def test_simple_majority_is_more_than_half_of_votes_cast():
    assert SIMPLE_MAJORITY == Threshold(Fraction(1, 2), Base.CAST, strict=True)


def test_two_thirds_is_at_least_two_thirds_of_votes_cast():
    assert TWO_THIRDS == Threshold(Fraction(2, 3), Base.CAST, strict=False)


def test_three_quarters_is_at_least_three_quarters_of_votes_cast():
    assert THREE_QUARTERS == Threshold(Fraction(3, 4), Base.CAST, strict=False)


# --- canonical text and plain English --------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "text"),
    [
        (SIMPLE_MAJORITY, "1/2 of cast, strict"),
        (TWO_THIRDS, "2/3 of cast"),
        (Threshold(Fraction(3, 4), Base.ELECTORATE, False), "3/4 of electorate"),
        (Threshold(Fraction(1, 2), Base.CAST_AND_ABSTAIN, True), "1/2 of cast_and_abstain, strict"),
        (Threshold(Fraction(1), Base.CAST, False), "1/1 of cast"),
    ],
)
def test_threshold_text_is_canonical(threshold, text):
    assert str(threshold) == text


@pytest.mark.parametrize(
    ("threshold", "words"),
    [
        (SIMPLE_MAJORITY, "more than 1/2 of votes cast"),
        (TWO_THIRDS, "at least 2/3 of votes cast"),
        (Threshold(Fraction(3, 4), Base.ELECTORATE, False), "at least 3/4 of the electorate"),
        (
            Threshold(Fraction(1, 2), Base.CAST_AND_ABSTAIN, True),
            "more than 1/2 of votes cast, abstentions included",
        ),
        (Threshold(Fraction(1), Base.CAST, False), "all votes cast"),
        (Threshold(Fraction(1), Base.ELECTORATE, False), "the whole electorate"),
    ],
)
def test_describe_says_more_than_for_strict_and_at_least_otherwise(threshold, words):
    assert threshold.describe() == words


# --- parsing what the rules say --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/2 of cast, strict", SIMPLE_MAJORITY),
        ("2/3 of cast", TWO_THIRDS),
        ("3/4 of electorate", Threshold(Fraction(3, 4), Base.ELECTORATE, False)),
        ("1/2 of cast_and_abstain", Threshold(Fraction(1, 2), Base.CAST_AND_ABSTAIN, False)),
        ("  2/3   of   cast  ", TWO_THIRDS),
        ("1 / 2 of cast ,strict", SIMPLE_MAJORITY),
        ("1/2 OF CAST, STRICT", SIMPLE_MAJORITY),
        ("2/3 of Cast", TWO_THIRDS),
        ("4/6 of cast", TWO_THIRDS),
        ("1/1 of electorate", Threshold(Fraction(1), Base.ELECTORATE, False)),
    ],
)
def test_parse_threshold_reads_the_canonical_grammar(text, expected):
    assert parse_threshold(text) == expected


def test_parsed_base_is_the_enum_not_a_bare_string():
    assert parse_threshold("2/3 of ELECTORATE").base is Base.ELECTORATE


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("2/0 of cast", "denominator must be positive"),
        ("0.5 of cast", "decimals are not allowed"),
        ("0.67 of cast", "decimals are not allowed"),
        ("1/2.0 of cast", "decimals are not allowed"),
        ("5e-1 of cast", "decimals are not allowed"),
        ("-1/2 of cast", "must not be negative"),
        ("1/-2 of cast", "must not be negative"),
        ("0/1 of cast", "greater than 0"),
        ("0/5 of electorate", "greater than 0"),
        ("3/2 of cast", "at most 1"),
        ("1/1 of cast, strict", "strict threshold must be below 1"),
        ("2/2 of electorate, strict", "strict threshold must be below 1"),
        ("1 of cast", "must be written p/q"),
        ("half of cast", "must be written p/q"),
        ("1/2/3 of cast", "must be written p/q"),
        ("+1/2 of cast", "must be written p/q"),
        ("\u0661/\u0662 of cast", "must be written p/q"),  # Arabic-Indic digits are not p/q
        ("1/2 of votes", "unknown base 'votes'"),
        ("1/2 of cast and abstain", "unknown base"),
        ("1/2 of", "expected '<p>/<q> of <base>"),
        ("1/2 cast", "expected '<p>/<q> of <base>"),
        ("1/2of cast", "expected '<p>/<q> of <base>"),
        ("", "expected '<p>/<q> of <base>"),
        ("   ", "expected '<p>/<q> of <base>"),
        ("of cast", "expected '<p>/<q> of <base>"),
        ("1/2 of cast, weak", "only ', strict' may follow"),
        ("1/2 of cast,", "only ', strict' may follow"),
        ("1/2 of cast, strict, strict", "only ', strict' may follow"),
        ("1/2 of cast strict", "put a comma before 'strict'"),
    ],
)
def test_parse_threshold_names_what_is_wrong(text, complaint):
    with pytest.raises(ValueError) as raised:
        parse_threshold(text)
    assert str(raised.value).startswith(f"threshold {text!r}: ")
    assert complaint in str(raised.value)


def test_parse_threshold_error_message_matches_the_documented_example():
    with pytest.raises(ValueError, match=r"^threshold '2/0 of cast': denominator must be positive$"):
        parse_threshold("2/0 of cast")


@pytest.mark.parametrize("value", [0.5, Fraction(1, 2), None, 2, b"1/2 of cast"])
def test_parse_threshold_refuses_anything_but_text(value):
    with pytest.raises(TypeError):
        parse_threshold(value)


# --- building thresholds directly ------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.5, 2 / 3, True, "1/2", None])
def test_threshold_refuses_inexact_or_non_numeric_fractions(fraction):
    with pytest.raises(TypeError):
        Threshold(fraction, Base.CAST, False)


@pytest.mark.parametrize(
    ("fraction", "strict"),
    [(Fraction(0), False), (Fraction(-1, 2), False), (Fraction(3, 2), False), (Fraction(1), True)],
)
def test_threshold_refuses_fractions_that_cannot_mean_anything(fraction, strict):
    with pytest.raises(ValueError):
        Threshold(fraction, Base.CAST, strict)


def test_threshold_accepts_a_whole_one_as_int_and_stores_a_fraction():
    threshold = Threshold(1, Base.ELECTORATE, False)
    assert isinstance(threshold.fraction, Fraction)
    assert threshold == Threshold(Fraction(1), Base.ELECTORATE, False)


def test_threshold_accepts_base_text_from_the_database():
    threshold = Threshold(Fraction(2, 3), "cast", False)
    assert threshold.base is Base.CAST
    assert threshold == TWO_THIRDS


def test_threshold_refuses_an_unknown_base():
    with pytest.raises(ValueError, match="unknown base"):
        Threshold(Fraction(2, 3), "votes", False)
    with pytest.raises(TypeError):
        Threshold(Fraction(2, 3), 3, False)


@pytest.mark.parametrize("strict", [1, 0, "yes", None])
def test_threshold_strict_must_be_a_bool(strict):
    with pytest.raises(TypeError):
        Threshold(Fraction(1, 2), Base.CAST, strict)


def test_threshold_is_immutable():
    with pytest.raises(AttributeError):
        TWO_THIRDS.fraction = Fraction(1, 2)


# --- is_met and yes_needed --------------------------------------------------------------------


def test_is_met_at_exactly_the_fraction_only_when_not_strict():
    assert TWO_THIRDS.is_met(2, 3)
    assert not TWO_THIRDS.is_met(1, 3)
    assert not SIMPLE_MAJORITY.is_met(2, 4)
    assert SIMPLE_MAJORITY.is_met(3, 5)


def test_is_met_is_never_true_for_an_empty_base():
    assert not Threshold(Fraction(1, 100), Base.CAST, False).is_met(0, 0)


def test_is_met_refuses_more_yes_than_base():
    with pytest.raises(ValueError):
        TWO_THIRDS.is_met(4, 3)


def test_yes_needed_refuses_an_empty_base():
    with pytest.raises(ValueError):
        TWO_THIRDS.yes_needed(0)


@pytest.mark.parametrize(
    ("threshold", "base", "needed"),
    [(SIMPLE_MAJORITY, 10, 6), (SIMPLE_MAJORITY, 9, 5), (TWO_THIRDS, 9, 6), (TWO_THIRDS, 10, 7),
     (THREE_QUARTERS, 4, 3), (Threshold(Fraction(1), Base.CAST, False), 7, 7)],
)
def test_yes_needed_examples(threshold, base, needed):
    assert threshold.yes_needed(base) == needed


@st.composite
def valid_thresholds(draw, max_denominator=40):
    q = draw(st.integers(1, max_denominator))
    p = draw(st.integers(1, q))
    strict = draw(st.booleans()) if p < q else False
    return Threshold(Fraction(p, q), draw(st.sampled_from(Base)), strict)


@given(valid_thresholds(), st.integers(1, 60))
def test_yes_needed_is_the_fewest_yes_votes_that_meet_the_threshold(threshold, base):
    # Brute force with Fraction comparisons, not integer division.
    passing = [yes for yes in range(base + 1) if (
        Fraction(yes, base) > threshold.fraction if threshold.strict
        else Fraction(yes, base) >= threshold.fraction
    )]
    assert threshold.yes_needed(base) == min(passing)
    assert all(threshold.is_met(yes, base) == (yes in passing) for yes in range(base + 1))


@given(valid_thresholds(max_denominator=10**6))
def test_threshold_text_round_trips(threshold):
    assert parse_threshold(str(threshold)) == threshold


@given(valid_thresholds(), st.sampled_from(["", " ", "  \t"]))
def test_threshold_text_round_trips_with_loose_spacing_and_case(threshold, space):
    text = str(threshold).upper().replace(" ", space + " " + space)
    assert parse_threshold(text) == threshold


# --- fractions and quorums --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("1/2", Fraction(1, 2)), ("2/3", Fraction(2, 3)), ("0", Fraction(0)), ("1", Fraction(1)),
     (" 3 / 4 ", Fraction(3, 4)), ("2/4", Fraction(1, 2)), ("5", Fraction(5)), ("0/7", Fraction(0))],
)
def test_parse_fraction_reads_whole_numbers_and_p_over_q(text, value):
    assert parse_fraction(text) == value
    assert isinstance(parse_fraction(text), Fraction)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("0.5", "decimals are not allowed"),
        (".5", "decimals are not allowed"),
        ("1.", "decimals are not allowed"),
        ("1e0", "decimals are not allowed"),
        ("-1", "must not be negative"),
        ("-1/2", "must not be negative"),
        ("1/-2", "must not be negative"),
        ("1/0", "denominator must be positive"),
        ("", "expected a whole number or p/q"),
        ("half", "expected a whole number or p/q"),
        ("1/2/3", "expected a whole number or p/q"),
        ("1//2", "expected a whole number or p/q"),
        ("1/", "expected a whole number or p/q"),
        ("/2", "expected a whole number or p/q"),
        ("1_0", "expected a whole number or p/q"),
        ("½", "expected a whole number or p/q"),
        ("nan", "expected a whole number or p/q"),
    ],
)
def test_parse_fraction_names_what_is_wrong(text, complaint):
    with pytest.raises(ValueError) as raised:
        parse_fraction(text)
    assert str(raised.value).startswith(f"fraction {text!r}: ")
    assert complaint in str(raised.value)


@pytest.mark.parametrize("value", [0.5, 1, Fraction(1, 2), None])
def test_parse_fraction_and_parse_quorum_refuse_non_text(value):
    with pytest.raises(TypeError):
        parse_fraction(value)
    with pytest.raises(TypeError):
        parse_quorum(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", Fraction(0)), ("1", Fraction(1)), ("1/2", Fraction(1, 2)), ("2/3", Fraction(2, 3)),
     ("3/3", Fraction(1))],
)
def test_parse_quorum_accepts_shares_of_the_electorate(text, value):
    assert parse_quorum(text) == value


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("3/2", "at most 1"), ("2", "at most 1"), ("0.5", "decimals"), ("-1/2", "negative"),
     ("1/0", "denominator")],
)
def test_parse_quorum_refuses_what_is_not_a_share_of_the_electorate(text, complaint):
    with pytest.raises(ValueError) as raised:
        parse_quorum(text)
    assert str(raised.value).startswith(f"quorum {text!r}: ")
    assert complaint in str(raised.value)


@pytest.mark.parametrize("quorum", [0.5, True, "1/2", None])
def test_check_quorum_refuses_floats_and_non_numbers(quorum):
    with pytest.raises(TypeError):
        check_quorum(quorum)


@pytest.mark.parametrize("quorum", [Fraction(-1, 2), Fraction(3, 2), 2, -1])
def test_check_quorum_refuses_shares_outside_zero_to_one(quorum):
    with pytest.raises(ValueError, match="between 0 and 1"):
        check_quorum(quorum)


def test_check_quorum_turns_whole_numbers_into_fractions():
    assert check_quorum(1) == Fraction(1) and isinstance(check_quorum(1), Fraction)
    assert check_quorum(0) == Fraction(0) and isinstance(check_quorum(0), Fraction)


@pytest.mark.parametrize(
    ("value", "text"),
    [(Fraction(1, 2), "1/2"), (Fraction(0), "0"), (Fraction(1), "1"), (Fraction(4, 6), "2/3"),
     (3, "3")],
)
def test_format_fraction_writes_canonical_text(value, text):
    assert format_fraction(value) == text


def test_format_fraction_refuses_floats_and_negatives():
    with pytest.raises(TypeError):
        format_fraction(0.5)
    with pytest.raises(ValueError):
        format_fraction(Fraction(-1, 2))


@given(st.fractions(min_value=0, max_value=1))
def test_quorum_text_round_trips(quorum):
    assert parse_quorum(format_fraction(quorum)) == quorum


@given(st.integers(0, 10**30), st.integers(1, 10**30))
def test_parse_fraction_is_exact_for_large_numbers(p, q):
    assert parse_fraction(f"{p}/{q}") == Fraction(p, q)
