"""Offices read from rule parameters, calendar months, and the pale's boundaries (pure)."""

import datetime as dt

import pytest

from coop.governance.offices import (
    Office,
    Requirement,
    add_months,
    full_months,
    offices_from_parameters,
    parse_requires,
    validate_office_parameters,
)
from coop.governance.pale import Candidate, Pale, check, consecutive_terms, parse_incompatible

NOW = dt.datetime(2026, 3, 2, 9, 0)
TREASURER = Office("treasurer", "Treasurer", 1, 24, (Requirement("accounting", 6),))
PALE = Pale(min_tenure_months=6, max_offices=2)


def candidate(**kw):
    base = dict(member_id=7, status="active", active_since=dt.datetime(2024, 1, 1),
                qualifications=(("accounting", 6, True),), held_offices=frozenset(), consecutive_terms=0)
    base.update(kw)
    return Candidate(**base)


# -- office definitions ------------------------------------------------------------------------

def test_requirements_are_comma_separated_field_level_pairs_all_of_which_are_required():
    assert parse_requires("Accounting:6, occupational  safety:4") == (
        Requirement("accounting", 6), Requirement("occupational safety", 4))
    assert parse_requires("") == ()


@pytest.mark.parametrize("text, problem", [
    ("accounting", "field:level"), ("accounting:9", "EQF level from 1 to 8"), (":5", "field:level"),
    ("accounting:0", "EQF level"), ("accounting:6, accounting:7", "required twice"),
])
def test_malformed_requirements_are_refused_naming_the_pair(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_requires(text)


def test_an_office_round_trips_through_its_rule_parameters():
    office = Office("tech_lead", "Technical lead", 2, 12, (Requirement("electrical engineering", 5),), 2)
    assert offices_from_parameters({"voting.period_days": "7", **office.parameters()}) == {"tech_lead": office}


def test_an_incomplete_office_is_refused_only_when_all_parameters_in_force_are_checked():
    partial = {"office.auditor.name": "Auditor", "office.auditor.seats": "1"}
    validate_office_parameters(partial)  # one rule's parameters may be amended piecemeal
    with pytest.raises(ValueError, match="office.auditor.term_months"):
        validate_office_parameters(partial, complete=True)


@pytest.mark.parametrize("params, problem", [
    ({"office.x.seats": "0"}, "office.x.seats must be a whole number of at least 1"),
    ({"office.x.term_months": "two"}, "office.x.term_months"),
    ({"office.x.colour": "red"}, "not an office parameter"),
    ({"office.X.name": "Bad"}, "not an office parameter"),
    ({"office.x.requires": "accounting:10"}, "office.x.requires"),
    ({"office.x.name": "  "}, "must not be empty"),
])
def test_malformed_office_parameters_are_refused_naming_the_parameter(params, problem):
    with pytest.raises(ValueError, match=problem):
        validate_office_parameters(params)


# -- calendar months ---------------------------------------------------------------------------

@pytest.mark.parametrize("start, months, end", [
    (dt.datetime(2026, 1, 31), 1, dt.datetime(2026, 2, 28)),
    (dt.datetime(2024, 1, 31), 1, dt.datetime(2024, 2, 29)),
    (dt.datetime(2026, 11, 15), 3, dt.datetime(2027, 2, 15)),
    (dt.datetime(2026, 3, 2), -5, dt.datetime(2025, 10, 2)),
])
def test_months_are_calendar_months_clamped_to_the_end_of_the_month(start, months, end):
    assert add_months(start, months) == end


def test_full_months_counts_only_completed_months():
    since = dt.datetime(2025, 9, 2, 9, 0)
    assert full_months(since, dt.datetime(2026, 3, 2, 8, 59)) == 5
    assert full_months(since, dt.datetime(2026, 3, 2, 9, 0)) == 6
    assert full_months(dt.datetime(2026, 1, 31), dt.datetime(2026, 2, 28)) == 1
    assert full_months(NOW, NOW - dt.timedelta(days=1)) == 0


# -- the pale ----------------------------------------------------------------------------------

def test_a_candidate_within_every_boundary_has_no_breach():
    assert check(candidate(), TREASURER, PALE, NOW) == []


def test_a_candidate_one_month_short_of_the_tenure_names_the_boundary_and_the_numbers():
    [b] = check(candidate(active_since=add_months(NOW, -5)), TREASURER, PALE, NOW)
    assert str(b) == "pale.min_tenure_months: active for 5 months; the rules require 6"


def test_an_inactive_member_is_outside_the_pale_whatever_their_tenure():
    [b] = check(candidate(status="suspended"), TREASURER, PALE, NOW)
    assert b.boundary == "membership" and "suspended" in b.message


@pytest.mark.parametrize("quals, says", [
    ((), "has none in accounting"),
    ((("accounting", 5, True),), "has accounting at level 5"),
    ((("accounting", 7, False),), "(level 7) is not verified"),
    ((("bookkeeping", 8, True),), "has none in accounting"),
])
def test_only_a_verified_qualification_at_the_level_or_higher_meets_a_requirement(quals, says):
    [b] = check(candidate(qualifications=quals), TREASURER, PALE, NOW)
    assert b.boundary == "office.treasurer.requires" and says in b.message
    assert "accounting at EQF level 6 or higher" in b.message


def test_a_higher_verified_level_meets_a_lower_requirement():
    assert check(candidate(qualifications=(("accounting", 8, True),)), TREASURER, PALE, NOW) == []


def test_holding_the_maximum_number_of_other_offices_is_outside_the_pale():
    names = {"safety": "Safety officer", "tech": "Technical lead"}
    [b] = check(candidate(held_offices=frozenset({"safety", "tech"})), TREASURER, PALE, NOW, names)
    assert str(b) == ("pale.max_offices: holds 2 offices (Safety officer, Technical lead); "
                      "the rules allow at most 2 at once")
    # Standing again for an office one holds does not add an office.
    assert check(candidate(held_offices=frozenset({"treasurer", "tech"})), TREASURER, PALE, NOW) == []


def test_incompatible_offices_cannot_be_held_together():
    pale = Pale(incompatible=parse_incompatible("treasurer/auditor; chair/secretary"))
    [b] = check(candidate(held_offices=frozenset({"auditor"})), TREASURER, pale, NOW, {"auditor": "Auditor"})
    assert str(b) == "pale.incompatible: holds Auditor, which the rules make incompatible with Treasurer"


@pytest.mark.parametrize("text", ["treasurer", "treasurer/treasurer", "a/b/c", "Treasurer/auditor"])
def test_malformed_incompatible_pairs_are_refused(text):
    with pytest.raises(ValueError, match="pair of two office keys"):
        parse_incompatible(text)


def test_the_limit_on_consecutive_terms_names_the_numbers():
    office = Office("tech", "Technical lead", 1, 12, (), max_consecutive_terms=2)
    [b] = check(candidate(consecutive_terms=2, qualifications=()), office, PALE, NOW)
    assert str(b) == ("office.tech.max_consecutive_terms: has held Technical lead for 2 terms in a row; "
                      "the rules allow at most 2")


def test_sitting_out_a_full_term_breaks_a_run_of_consecutive_terms():
    y = lambda year: dt.datetime(year, 3, 1)  # noqa: E731
    back_to_back = [(y(2022), y(2023)), (y(2023), y(2024)), (y(2024), y(2025) + dt.timedelta(days=200))]
    assert consecutive_terms(back_to_back, 12, NOW) == 3
    with_gap = [(y(2021), y(2022)), (y(2023), y(2024)), (y(2024), y(2025) + dt.timedelta(days=200))]
    assert consecutive_terms(with_gap, 12, NOW) == 2
    assert consecutive_terms([(y(2023), y(2024))], 12, NOW) == 0  # ended two years ago
    assert consecutive_terms([], 12, NOW) == 0
