"""Unit tests for the pure pay policy (coop.pay): no database.

Expected figures are worked out by hand in the comments, not recomputed with the code under
test, so a wrong formula cannot agree with itself.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop.pay import (
    Impact,
    Pay,
    PayPolicy,
    PayStatistics,
    Supplement,
    SupplementReason,
    Violation,
    apply_change,
    check_policy,
    format_ratio,
    impact,
    statistics,
)

D = Decimal


def pay(rate: str, hours: str = "40", *supplements: Supplement) -> Pay:
    return Pay(D(rate), D(hours), tuple(supplements))


def policy(floor: str = "0", max_ratio: Fraction | int = 3) -> PayPolicy:
    return PayPolicy(floor=D(floor), max_ratio=Fraction(max_ratio))


# --- Pay records ---------------------------------------------------------------------------


def test_supplements_count_toward_total_hourly_pay():
    # 20.00 base + 1.50 (responsibility) + 0.75 (skills) = 22.25
    p = pay(
        "20.00",
        "40",
        Supplement("treasurer", D("1.50"), SupplementReason.RESPONSIBILITY),
        Supplement("first aid", D("0.75"), SupplementReason.SKILLS, qualification_id=4),
    )
    assert p.total_hourly == D("22.25")


def test_a_supplement_can_lift_a_member_over_the_floor():
    # 13.00 alone is under a 13.50 floor; with a 0.50 supplement it is exactly at it.
    bare = pay("13.00")
    with_supplement = pay("13.00", "40", Supplement("nights", D("0.50"), SupplementReason.HOURS))
    assert check_policy({1: bare}, policy(floor="13.50")) != []
    assert check_policy({1: with_supplement}, policy(floor="13.50")) == []


def test_annualised_pay_of_37_5_hours_at_23_45_is_45727_50():
    # 23.45 × 37.5 = 879.375 a week; × 52 = 45,727.50 (879.375 × 50 = 43,968.75, + 1,758.75)
    assert pay("23.45", "37.5").annualised() == D("45727.50")


def test_annualised_pay_includes_supplements_and_honours_the_number_of_weeks():
    # (23.45 + 1.15) = 24.60 × 37.5 = 922.50 a week; × 48 = 44,280.00
    p = pay("23.45", "37.5", Supplement("rota", D("1.15"), SupplementReason.OTHER))
    assert p.annualised(48) == D("44280.00")


@pytest.mark.parametrize(
    "rate, hours, expected",
    [
        # 10.01 × 0.5 = 5.005: half to even keeps 5.00 (half up would give 5.01)
        ("10.01", "0.5", D("5.00")),
        # 10.03 × 0.5 = 5.015: half to even goes up to 5.02
        ("10.03", "0.5", D("5.02")),
        # 10.01 × 0.25 = 2.5025: not a tie, nearest cent is 2.50
        ("10.01", "0.25", D("2.50")),
        # 10.07 × 0.75 = 7.5525: not a tie, nearest cent is 7.55
        ("10.07", "0.75", D("7.55")),
    ],
)
def test_annualised_pay_is_rounded_to_cents_half_to_even(rate, hours, expected):
    assert pay(rate, hours).annualised(1) == expected


@given(
    rate=st.integers(0, 10**9),
    hours=st.integers(0, 16800),
    weeks=st.integers(1, 53),
)
def test_annualised_pay_matches_decimal_quantize_half_even_in_a_wide_context(
    rate, hours, weeks
):
    # An independent oracle: Decimal with enough precision that nothing rounds before the
    # final quantize, which the ledger documents as Decimal("0.01"), ROUND_HALF_EVEN.
    rate_d, hours_d = D(rate).scaleb(-2), D(hours).scaleb(-2)
    with localcontext() as ctx:
        ctx.prec = 60
        expected = (rate_d * hours_d * weeks).quantize(D("0.01"), rounding=ROUND_HALF_EVEN)
    assert Pay(rate_d, hours_d).annualised(weeks) == expected


@pytest.mark.parametrize(
    "make",
    [
        lambda: Pay(23.45, D("37.5")),
        lambda: Pay(D("23.45"), 37.5),
        lambda: Pay(D("23.45"), D("37.5"), (Supplement("x", 0.5, SupplementReason.OTHER),)),
        lambda: PayPolicy(floor=13.5, max_ratio=Fraction(3)),
        lambda: PayPolicy(floor=D("13.50"), max_ratio=3.0),
        lambda: pay("23.45").annualised(52.0),
        lambda: format_ratio(3.0),
    ],
    ids=["rate", "hours", "supplement", "floor", "max_ratio", "weeks", "format_ratio"],
)
def test_floats_are_refused_with_type_error(make):
    with pytest.raises(TypeError, match="float"):
        make()


@pytest.mark.parametrize("weeks", [0, 54])
def test_a_year_has_between_one_and_53_paid_weeks(weeks):
    with pytest.raises(ValueError):
        pay("23.45").annualised(weeks)
    with pytest.raises(ValueError):
        PayPolicy(floor=D("0"), max_ratio=Fraction(3), weeks_per_year=weeks)
    with pytest.raises(ValueError):
        statistics({1: pay("23.45")}, weeks_per_year=weeks)


def test_integers_are_refused_for_money_because_money_is_decimal_only():
    with pytest.raises(TypeError):
        Pay(23, D("37.5"))


@pytest.mark.parametrize(
    "rate, hours",
    [
        ("-0.01", "40"),  # negative pay
        ("23.45", "-1"),  # negative hours
        ("23.455", "40"),  # a fraction of a cent
        ("23.45", "37.125"),  # hours beyond hundredths
        ("23.45", "168.01"),  # more hours than a week has
        ("NaN", "40"),
        ("Infinity", "40"),
    ],
)
def test_pay_refuses_values_no_payslip_could_show(rate, hours):
    with pytest.raises(ValueError):
        Pay(D(rate), D(hours))


def test_pay_accepts_a_full_168_hour_week_and_trailing_zeros():
    # 23.450 is 23.45: two decimal places is about the value, not how it is written.
    p = Pay(D("23.450"), D("168"))
    assert p.total_hourly == D("23.45")


def test_a_negative_supplement_is_refused():
    with pytest.raises(ValueError):
        Supplement("deduction", D("-1.00"), SupplementReason.OTHER)


def test_supplement_reasons_arrive_as_strings_and_unknown_reasons_are_refused():
    assert Supplement("x", D("1"), "skills").reason is SupplementReason.SKILLS
    with pytest.raises(ValueError):
        Supplement("x", D("1"), "charm")


def test_supplements_given_as_a_list_are_stored_as_a_tuple_so_pay_stays_hashable():
    s = Supplement("x", D("1.00"), SupplementReason.OTHER)
    p = Pay(D("10.00"), D("40"), [s])  # type: ignore[arg-type]
    assert p.supplements == (s,)
    assert hash(p) == hash(Pay(D("10.00"), D("40"), (s,)))


# --- The floor -----------------------------------------------------------------------------


def test_pay_exactly_at_the_floor_is_within_the_rules():
    assert check_policy({7: pay("13.50")}, policy(floor="13.50")) == []


def test_pay_one_cent_under_the_floor_is_named_with_member_and_amounts():
    assert check_policy({7: pay("13.49")}, policy(floor="13.50")) == [
        Violation(
            rule="pay.floor",
            message="would pay member 7 13.49 an hour; the pay floor is 13.50",
            member_id=7,
        )
    ]


def test_floor_message_writes_amounts_with_two_places():
    assert check_policy({7: pay("12")}, policy(floor="13.5"))[0].message == (
        "would pay member 7 12.00 an hour; the pay floor is 13.50"
    )


def test_every_member_under_the_floor_is_reported_in_member_order():
    table = {9: pay("10.00"), 2: pay("11.00"), 5: pay("20.00")}
    violations = check_policy(table, policy(floor="12.00"))
    assert [v.member_id for v in violations] == [2, 9]


# --- The ratio -----------------------------------------------------------------------------


def test_a_ratio_of_exactly_three_to_one_is_within_a_three_to_one_limit():
    assert check_policy({1: pay("10.00"), 2: pay("30.00")}, policy(max_ratio=3)) == []


def test_a_ratio_of_3_01_to_one_breaks_a_three_to_one_limit_with_the_exact_message():
    assert check_policy({1: pay("10.00"), 2: pay("30.10")}, policy(max_ratio=3)) == [
        Violation(
            rule="pay.max_ratio",
            message="would make the ratio 3.01:1; the rules allow 3:1",
            member_id=None,
        )
    ]


def test_ratio_message_shows_a_fractional_limit_and_trims_trailing_zeros():
    # 34.00 / 10.00 = 3.4 against a limit of 7/2... which it is within; 36.00 / 10.00 = 3.6 is not
    assert check_policy({1: pay("10.00"), 2: pay("34.00")}, policy(max_ratio=Fraction(7, 2))) == []
    [violation] = check_policy(
        {1: pay("10.00"), 2: pay("36.00")}, policy(max_ratio=Fraction(7, 2))
    )
    assert violation.message == "would make the ratio 3.6:1; the rules allow 3.5:1"


def test_a_ratio_just_over_the_limit_is_never_shown_as_equal_to_the_limit():
    # 30.01 / 10.00 = 3.001: rounded to nearest it would read "3:1; the rules allow 3:1".
    [violation] = check_policy({1: pay("10.00"), 2: pay("30.01")}, policy(max_ratio=3))
    assert violation.message == "would make the ratio 3.01:1; the rules allow 3:1"


def test_a_limit_with_more_than_two_decimals_is_shown_rounded_down():
    # Limit 2.335 (467/200); 23.36 / 10.00 = 2.336 breaks it. Rounded to nearest both would
    # read 2.34; the breach is rounded up and the limit down, so they always read apart.
    [violation] = check_policy(
        {1: pay("10.00"), 2: pay("23.36")}, policy(max_ratio=Fraction(467, 200))
    )
    assert violation.message == "would make the ratio 2.34:1; the rules allow 2.33:1"


def test_the_ratio_compares_total_hourly_pay_including_supplements():
    # Base rates 10.00 and 25.00 are 2.5:1, but a 5.10 supplement makes it 30.10 / 10.00.
    top = pay("25.00", "40", Supplement("lead", D("5.10"), SupplementReason.RESPONSIBILITY))
    [violation] = check_policy({1: pay("10.00"), 2: top}, policy(max_ratio=3))
    assert violation.rule == "pay.max_ratio"


def test_the_ratio_ignores_weekly_hours():
    # Part-time at the same hourly pay is not a pay gap.
    table = {1: pay("10.00", "4"), 2: pay("30.00", "40")}
    assert check_policy(table, policy(max_ratio=3)) == []


def test_a_single_paid_member_has_a_ratio_of_one():
    table = {1: pay("55.00")}
    assert statistics(table).ratio == 1
    assert check_policy(table, policy(max_ratio=1)) == []


def test_unpaid_members_are_left_out_of_the_floor_and_the_ratio():
    # Member 3 is departed (total 0): not under the 13.50 floor, and not the "lowest pay",
    # which would otherwise make the ratio infinite.
    table = {1: pay("15.00"), 2: pay("45.00"), 3: pay("0", "0")}
    assert check_policy(table, policy(floor="13.50", max_ratio=3)) == []
    stats = statistics(table)
    assert (stats.count, stats.minimum, stats.ratio) == (3 - 1, D("15.00"), 3)


def test_an_empty_table_breaks_no_rule():
    assert check_policy({}, policy(floor="13.50", max_ratio=1)) == []


def test_floor_and_ratio_violations_are_reported_together_floor_first():
    violations = check_policy({1: pay("10.00"), 2: pay("40.00")}, policy("12.00", 3))
    assert [v.rule for v in violations] == ["pay.floor", "pay.max_ratio"]


@st.composite
def tables_and_limits(draw):
    # Totals in cents, including zeros (unpaid members). Half the time the limit is the
    # ratio of two drawn totals, so ties with the limit (the boundary case) are common.
    cents = draw(st.dictionaries(st.integers(1, 50), st.integers(0, 100_000), max_size=8))
    positive = [c for c in cents.values() if c > 0]
    if positive and draw(st.booleans()):
        limit = Fraction(draw(st.sampled_from(positive)), draw(st.sampled_from(positive)))
    else:
        limit = Fraction(draw(st.integers(1, 1000)), draw(st.integers(1, 1000)))
    return cents, max(limit, 1 / limit)  # a limit is at least 1:1


@given(tables_and_limits())
def test_ratio_verdict_matches_brute_force_cross_multiplication_on_cents(case):
    cents, limit = case
    table = {m: Pay(D(c).scaleb(-2), D("40")) for m, c in cents.items()}
    # Brute force: every ordered pair of paid members, hi/lo <= p/q  <=>  hi*q <= p*lo.
    paid = [c for c in cents.values() if c > 0]
    p, q = limit.numerator, limit.denominator
    within = all(hi * q <= p * lo for hi in paid for lo in paid)
    violations = check_policy(table, PayPolicy(D("0"), limit))
    assert [v.rule for v in violations] == ([] if within else ["pay.max_ratio"])
    if violations:
        # The message never makes a breach look like it is within the rules.
        shown, allowed = re.fullmatch(
            r"would make the ratio ([0-9.]+):1; the rules allow ([0-9.]+):1",
            violations[0].message,
        ).groups()
        assert D(shown) > D(allowed)


# --- format_ratio --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ratio, text",
    [
        (Fraction(3), "3"),
        (Fraction(7, 2), "3.5"),
        (Fraction(17, 5), "3.4"),
        (Fraction(301, 100), "3.01"),
        (Fraction(10, 3), "3.33"),
        (Fraction(11, 3), "3.67"),
        (Fraction(601, 200), "3"),  # 3.005: half to even -> 3.00 -> "3"
        (Fraction(603, 200), "3.02"),  # 3.015: half to even -> 3.02
        (Fraction(1), "1"),
        (Fraction(21, 2), "10.5"),
    ],
)
def test_format_ratio_keeps_at_most_two_decimals_without_trailing_zeros(ratio, text):
    assert format_ratio(ratio) == text


# --- Parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"pay.max_ratio": "3"}, PayPolicy(D("0"), Fraction(3), 52)),
        ({"pay.max_ratio": "7/2"}, PayPolicy(D("0"), Fraction(7, 2), 52)),
        ({"pay.max_ratio": "3.5"}, PayPolicy(D("0"), Fraction(7, 2), 52)),
        ({"pay.max_ratio": "1"}, PayPolicy(D("0"), Fraction(1), 52)),
        (
            {"pay.floor": "13.50", "pay.max_ratio": "10/3", "pay.weeks_per_year": "48"},
            PayPolicy(D("13.50"), Fraction(10, 3), 48),
        ),
        ({"pay.floor": " 12 ", "pay.max_ratio": " 4 "}, PayPolicy(D("12"), Fraction(4), 52)),
        (
            {"pay.max_ratio": "3", "voting.pay_adjustment.threshold": "1/2 of cast, strict"},
            PayPolicy(D("0"), Fraction(3), 52),
        ),
    ],
)
def test_pay_policy_is_read_from_rule_parameters(params, expected):
    assert PayPolicy.from_parameters(params) == expected


@pytest.mark.parametrize(
    "params, key",
    [
        ({}, "pay.max_ratio"),  # the ratio has no default: the rules must say
        ({"pay.max_ratio": ""}, "pay.max_ratio"),
        ({"pay.max_ratio": "three"}, "pay.max_ratio"),
        ({"pay.max_ratio": "0"}, "pay.max_ratio"),
        ({"pay.max_ratio": "0.5"}, "pay.max_ratio"),
        ({"pay.max_ratio": "1/2"}, "pay.max_ratio"),
        ({"pay.max_ratio": "3/0"}, "pay.max_ratio"),
        ({"pay.max_ratio": "-3"}, "pay.max_ratio"),
        ({"pay.max_ratio": "3:1"}, "pay.max_ratio"),
        ({"pay.max_ratio": "1e1"}, "pay.max_ratio"),
        ({"pay.max_ratio": "inf"}, "pay.max_ratio"),
        ({"pay.max_ratio": 3.5}, "pay.max_ratio"),
        ({"pay.max_ratio": "3", "pay.floor": "-1"}, "pay.floor"),
        ({"pay.max_ratio": "3", "pay.floor": "13.505"}, "pay.floor"),
        ({"pay.max_ratio": "3", "pay.floor": "thirteen"}, "pay.floor"),
        ({"pay.max_ratio": "3", "pay.floor": "NaN"}, "pay.floor"),
        ({"pay.max_ratio": "3", "pay.floor": "\u0661\u0663"}, "pay.floor"),  # Arabic-Indic 13
        ({"pay.max_ratio": "3", "pay.weeks_per_year": "0"}, "pay.weeks_per_year"),
        ({"pay.max_ratio": "3", "pay.weeks_per_year": "54"}, "pay.weeks_per_year"),
        ({"pay.max_ratio": "3", "pay.weeks_per_year": "52.0"}, "pay.weeks_per_year"),
        ({"pay.max_ratio": "3", "pay.weeks_per_year": "fifty"}, "pay.weeks_per_year"),
    ],
)
def test_malformed_pay_parameters_are_refused_naming_the_key(params, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        PayPolicy.from_parameters(params)


def test_a_policy_limit_below_one_to_one_is_refused():
    with pytest.raises(ValueError):
        PayPolicy(floor=D("0"), max_ratio=Fraction(9, 10))


# --- Statistics ----------------------------------------------------------------------------


def test_statistics_of_an_odd_count_take_the_middle_value_as_median():
    table = {1: pay("12.00"), 2: pay("30.00"), 3: pay("15.00")}
    stats = statistics(table)
    # sorted 12, 15, 30: median 15.00; mean 57 / 3 = 19.00
    assert (stats.count, stats.minimum, stats.median, stats.mean, stats.maximum) == (
        3,
        D("12.00"),
        D("15.00"),
        D("19.00"),
        D("30.00"),
    )
    assert stats.ratio == Fraction(30, 12)


def test_statistics_of_an_even_count_take_the_mean_of_the_middle_two_as_median():
    table = {1: pay("10.00"), 2: pay("14.00"), 3: pay("11.00"), 4: pay("40.00")}
    # sorted 10, 11, 14, 40: median (11 + 14) / 2 = 12.50; mean 75 / 4 = 18.75
    stats = statistics(table)
    assert (stats.median, stats.mean) == (D("12.50"), D("18.75"))


def test_median_and_mean_are_rounded_to_cents_half_to_even():
    # median and mean of 10.00 and 10.01 are both 10.005: half to even gives 10.00
    assert statistics({1: pay("10.00"), 2: pay("10.01")}).median == D("10.00")
    # of 10.02 and 10.03, 10.025: half to even gives 10.02
    assert statistics({1: pay("10.02"), 2: pay("10.03")}).mean == D("10.02")
    # of 10.03 and 10.04, 10.035: half to even gives 10.04 (truncating would give 10.03)
    assert statistics({1: pay("10.03"), 2: pay("10.04")}).mean == D("10.04")
    # mean of 10.00, 10.00, 10.01 is 10.00333…: 10.00; of 10.00, 10.01, 10.01, 10.00666…: 10.01
    assert statistics({1: pay("10.00"), 2: pay("10.00"), 3: pay("10.01")}).mean == D("10.00")
    assert statistics({1: pay("10.00"), 2: pay("10.01"), 3: pay("10.01")}).mean == D("10.01")


def test_total_payroll_sums_each_members_annualised_pay():
    # 23.45 × 37.5 × 52 = 45,727.50 and 15.00 × 20 × 52 = 15,600.00: 61,327.50
    table = {1: pay("23.45", "37.5"), 2: pay("15.00", "20"), 3: pay("0", "0")}
    assert statistics(table).total_payroll == D("61327.50")
    # 48 weeks: 879.375 × 48 = 42,210.00 and 300 × 48 = 14,400.00: 56,610.00
    assert statistics(table, weeks_per_year=48).total_payroll == D("56610.00")


def test_payroll_rounds_each_member_before_summing():
    # Each of 10.01 × 0.5 × 1 = 5.005 rounds to 5.00 (half to even): payroll 10.00, where
    # rounding the exact sum 10.01 would give 10.01.
    table = {1: pay("10.01", "0.5"), 2: pay("10.01", "0.5")}
    assert statistics(table, weeks_per_year=1).total_payroll == D("10.00")


def test_statistics_of_an_empty_table_have_no_figures_and_no_payroll():
    assert statistics({3: pay("0", "0")}) == PayStatistics(
        count=0,
        minimum=None,
        median=None,
        mean=None,
        maximum=None,
        ratio=None,
        total_payroll=D("0"),
    )


# --- Changes and their impact --------------------------------------------------------------


def test_apply_change_replaces_one_members_pay_and_leaves_the_table_untouched():
    table = {1: pay("10.00"), 2: pay("20.00")}
    changed = apply_change(table, 2, pay("25.00"))
    assert changed == {1: pay("10.00"), 2: pay("25.00")}
    assert table == {1: pay("10.00"), 2: pay("20.00")}


def test_apply_change_adds_a_new_member_and_removes_one_set_to_zero():
    table = {1: pay("10.00"), 2: pay("20.00")}
    assert apply_change(table, 3, pay("15.00")) == {**table, 3: pay("15.00")}
    assert apply_change(table, 2, pay("0", "40")) == {1: pay("10.00")}


def test_impact_reports_statistics_payroll_change_ratios_and_violations():
    table = {1: pay("10.00"), 2: pay("25.00")}
    result = impact(table, 2, pay("31.00"), PayPolicy(D("10.00"), Fraction(3), 52))
    assert isinstance(result, Impact)
    # before: (10 + 25) × 40 × 52 = 72,800.00; after (10 + 31) × 40 × 52 = 85,280.00
    assert (result.before.total_payroll, result.after.total_payroll) == (
        D("72800.00"),
        D("85280.00"),
    )
    assert result.payroll_change == D("12480.00")  # 6.00 × 40 × 52
    assert (result.ratio_before, result.ratio_after) == (Fraction(5, 2), Fraction(31, 10))
    assert list(result.violations) == [
        Violation("pay.max_ratio", "would make the ratio 3.1:1; the rules allow 3:1", None)
    ]


def test_impact_of_a_pay_cut_is_a_negative_payroll_change_judged_by_the_policys_weeks():
    table = {1: pay("10.00"), 2: pay("25.00")}
    result = impact(table, 2, pay("20.00"), PayPolicy(D("0"), Fraction(3), 48))
    # 5.00 × 40 × 48 = 9,600.00 less
    assert result.payroll_change == D("-9600.00")
    assert result.violations == ()


def test_impact_of_a_member_leaving_drops_them_from_the_ratio():
    table = {1: pay("10.00"), 2: pay("20.00"), 3: pay("40.00")}
    result = impact(table, 1, pay("0", "0"), policy(max_ratio=3))
    assert (result.ratio_before, result.ratio_after) == (4, 2)
    assert result.violations == ()
    assert (result.before.count, result.after.count) == (3, 2)
