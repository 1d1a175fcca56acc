"""Pure pay policy: pay records, the co-op's guardrails on pay, and what a change would do.

The co-op's members decide pay by vote, but within guardrails the co-op has set itself in its
rules: a pay *floor* (the least total hourly pay a paid member may receive) and a *maximum
ratio* between the highest and the lowest total hourly pay. This module answers, without a
database, "would this pay table break those guardrails?" and "what would this change do?".

Exactness. Pay is public and is audited against the ledger, so a cent must never appear or
vanish through rounding nobody asked for:

- money and hours are ``decimal.Decimal`` with at most two decimal places; floats are refused
  with ``TypeError`` (0.1 is not a tenth in binary floating point);
- internally every amount is turned into an integer count of hundredths (cents, or hundredths
  of an hour), so sums and products are Python integers and cannot overflow or round;
- ratios are ``fractions.Fraction`` and compared exactly (``Fraction`` compares by integer
  cross-multiplication);
- the only rounding is the one the ledger states: annual amounts, means and medians are
  rounded to cents half-to-even (banker's rounding, ``ROUND_HALF_EVEN``), which does not drift
  upwards when many amounts are rounded.

We deliberately do not do the arithmetic in ``Decimal`` itself: the default decimal context
rounds silently to 28 significant digits, so exactness would depend on a global setting.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from fractions import Fraction

__all__ = [
    "Impact",
    "Pay",
    "PayPolicy",
    "PayStatistics",
    "Supplement",
    "SupplementReason",
    "Violation",
    "apply_change",
    "check_policy",
    "format_money",
    "format_ratio",
    "impact",
    "statistics",
]

#: The most hours there are in a week. Anything above is a typing error, not a contract.
MAX_WEEKLY_HOURS = Decimal(168)

#: ISO 8601 years have 52 or 53 weeks; a co-op may count fewer paid weeks, never more.
MAX_WEEKS_PER_YEAR = 53

#: Rule parameter keys read by ``PayPolicy.from_parameters``.
FLOOR_KEY = "pay.floor"
MAX_RATIO_KEY = "pay.max_ratio"
WEEKS_KEY = "pay.weeks_per_year"


# --------------------------------------------------------------------------------------------
# Exact conversions
# --------------------------------------------------------------------------------------------


def hundredths(value: object, what: str) -> int:
    """``value`` (a Decimal with at most two places, not negative) as an integer count of
    hundredths: Decimal("23.45") -> 2345.

    :raise TypeError: if ``value`` is not a Decimal (floats and ints alike: money and hours
        are Decimal throughout coop, so an int here is a caller that skipped parsing).
    :raise ValueError: if it is not finite, is negative, or has more than two places.
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__} ({value!r})")
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite amount, not {value}")
    # The integer ratio is exact whatever the decimal context, so this check cannot round;
    # it is also several times cheaper than a Fraction, and a salary page makes thousands.
    numerator, denominator = value.as_integer_ratio()
    scaled, rest = divmod(numerator * 100, denominator)
    if rest:
        raise ValueError(f"{what} has more than two decimal places: {value}")
    if scaled < 0:
        raise ValueError(f"{what} must not be negative: {value}")
    return scaled


def from_hundredths(n: int) -> Decimal:
    """Integer hundredths back to a two-place Decimal: 2345 -> Decimal("23.45").

    Built from a string, which Decimal converts exactly (arithmetic would use the context)."""
    return Decimal(f"{n}E-2")


def _round_to_cents(amount: Fraction) -> int:
    """Round an exact amount (in currency units) to whole cents, half to even.

    ``round()`` on a Fraction with no digits argument rounds half to even, which is the
    ROUND_HALF_EVEN the ledger documents: 5.005 -> 500 cents, 5.015 -> 502 cents.
    """
    return round(amount * 100)


def _check_weeks(weeks: object, what: str = "weeks_per_year") -> int:
    # bool is a subclass of int; True weeks a year is a bug, not a value.
    if isinstance(weeks, bool) or not isinstance(weeks, int):
        raise TypeError(f"{what} must be an int, not {type(weeks).__name__} ({weeks!r})")
    if not 1 <= weeks <= MAX_WEEKS_PER_YEAR:
        raise ValueError(f"{what} must be between 1 and {MAX_WEEKS_PER_YEAR}, not {weeks}")
    return weeks


def _money(amount: Decimal) -> str:
    """Two places always, as pay is written on a payslip: 12 -> "12.00"."""
    return f"{amount:.2f}"


def format_money(amount: object) -> str:
    """Money as members read it, in mail and in the portal alike: two places and a comma
    between thousands, "49,920.00". Decimal formatting is exact (no binary rounding); a
    float is refused like everywhere in pay, and a string is read as a Decimal first."""
    if isinstance(amount, str):
        amount = Decimal(amount)
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__} ({amount!r})")
    return f"{amount:,.2f}"


# --------------------------------------------------------------------------------------------
# Pay records
# --------------------------------------------------------------------------------------------


class SupplementReason(str, enum.Enum):
    """Why a member is paid more than the base rate. The design lets the co-op pay more for
    hours, skills, responsibility or other factors; the reason is public with the amount."""

    HOURS = "hours"
    SKILLS = "skills"
    RESPONSIBILITY = "responsibility"
    SENIORITY = "seniority"
    OTHER = "other"


@dataclass(frozen=True)
class Supplement:
    """An addition to the hourly rate, e.g. ``Supplement("first aid", Decimal("0.75"),
    SupplementReason.SKILLS, qualification_id=12)``."""

    kind: str
    #: Per hour, on top of the base hourly rate.
    amount: Decimal
    reason: SupplementReason
    #: A skills supplement may cite the member's verified qualification.
    qualification_id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind.strip():
            raise ValueError("a supplement needs a kind, e.g. 'first aid'")
        hundredths(self.amount, f"supplement {self.kind!r} amount")
        # Reasons arrive as plain strings from forms, the API and the database; accept the
        # enum's values and nothing else.
        object.__setattr__(self, "reason", SupplementReason(self.reason))
        qid = self.qualification_id
        if qid is not None and (isinstance(qid, bool) or not isinstance(qid, int)):
            raise TypeError(f"qualification_id must be an int or None, not {qid!r}")

    @property
    def amount_cents(self) -> int:
        return hundredths(self.amount, "amount")


@dataclass(frozen=True)
class Pay:
    """One member's pay: a base hourly rate, contracted weekly hours, and supplements."""

    hourly_rate: Decimal
    weekly_hours: Decimal
    supplements: tuple[Supplement, ...] = field(default=())

    def __post_init__(self) -> None:
        hundredths(self.hourly_rate, "hourly_rate")
        if hundredths(self.weekly_hours, "weekly_hours") > MAX_WEEKLY_HOURS * 100:
            raise ValueError(
                f"weekly_hours must be at most {MAX_WEEKLY_HOURS}, not {self.weekly_hours}"
            )
        # A list is a natural thing to pass; store a tuple so Pay stays immutable and hashable.
        if not isinstance(self.supplements, (tuple, list)):
            raise TypeError("supplements must be a tuple of Supplement")
        supplements = tuple(self.supplements)
        for s in supplements:
            if not isinstance(s, Supplement):
                raise TypeError(f"supplements must be Supplement objects, not {s!r}")
        object.__setattr__(self, "supplements", supplements)

    @property
    def total_hourly_cents(self) -> int:
        """Total hourly pay in integer cents: the figure every policy check compares."""
        return hundredths(self.hourly_rate, "hourly_rate") + sum(
            s.amount_cents for s in self.supplements
        )

    @property
    def total_hourly(self) -> Decimal:
        """Base rate plus every supplement, per hour. Exact: a sum of two-place amounts."""
        return from_hundredths(self.total_hourly_cents)

    @property
    def is_paid(self) -> bool:
        """A total of zero marks a member who is unpaid or has departed."""
        return self.total_hourly_cents != 0

    def annualised(self, weeks_per_year: int = 52) -> Decimal:
        """total_hourly × weekly_hours × weeks, rounded to cents half to even."""
        return from_hundredths(self.annualised_cents(weeks_per_year))

    def annualised_cents(self, weeks_per_year: int = 52) -> int:
        """``annualised`` as integer cents, for exact sums across members."""
        return annual_cents(self.total_hourly_cents, hundredths(self.weekly_hours, "weekly_hours"),
                            _check_weeks(weeks_per_year))


def annual_cents(total_hourly_cents: int, weekly_hundredths: int, weeks_per_year: int) -> int:
    """Annual pay in cents, rounded half to even, from the total hourly pay in cents and the
    weekly hours in hundredths. ``Pay.annualised_cents`` for callers that hold the integers."""
    # Cents × hundredths of an hour counts ten-thousandths of a currency unit: /10_000.
    return _round_to_cents(Fraction(total_hourly_cents * weekly_hundredths * weeks_per_year, 10_000))


# --------------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------------

# The grammar of rule parameters is deliberately narrower than what Decimal() and Fraction()
# accept: no exponents, signs, underscores, "nan" or "inf", and ASCII digits only (Decimal
# would read Arabic-Indic digits). A rule is read by people as well as by the engine.
_DECIMAL_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_FRACTION_RE = re.compile(r"[0-9]+/[0-9]+", re.ASCII)
_INT_RE = re.compile(r"[0-9]+", re.ASCII)


@dataclass(frozen=True)
class PayPolicy:
    """The guardrails, read from the co-op's rules. Checked when a pay adjustment is proposed
    and again when it is executed (the rules may have changed in between)."""

    #: Minimum total hourly pay of every paid member.
    floor: Decimal
    #: Highest total hourly pay divided by lowest may not exceed this.
    max_ratio: Fraction
    weeks_per_year: int = 52

    def __post_init__(self) -> None:
        hundredths(self.floor, "pay floor")
        ratio = self.max_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, (Fraction, int)):
            raise TypeError(
                f"max_ratio must be a Fraction (or int), not {type(ratio).__name__} ({ratio!r})"
            )
        ratio = Fraction(ratio)
        # highest / lowest is at least 1 for any table, so a limit below 1 would forbid
        # paying anybody at all: certainly a mistake in the rule.
        if ratio < 1:
            raise ValueError(f"max_ratio must be at least 1, not {format_ratio(ratio)}")
        object.__setattr__(self, "max_ratio", ratio)
        _check_weeks(self.weeks_per_year)

    @classmethod
    def from_parameters(cls, params: Mapping[str, str]) -> PayPolicy:
        """Read the policy from rule parameters (all strings, as rules store them).

        ``pay.floor``: decimal amount, default "0" (no floor). ``pay.max_ratio``: required,
        "3", "3.5" or "7/2", at least 1. ``pay.weeks_per_year``: default "52". Other keys are
        ignored, so the whole parameter set of the rules can be passed.

        :raise ValueError: naming the key and the value, for any malformed value, including
            one that is not a string: parameters are written by members in a rule change,
            so one exception type lets the caller report every mistake the same way.
        """
        floor_text = _parameter(params, FLOOR_KEY, "0")
        if not _DECIMAL_RE.fullmatch(floor_text):
            raise ValueError(
                f"{FLOOR_KEY} must be an amount such as 13.50, not {floor_text!r}"
            )
        floor = Decimal(floor_text)
        hundredths(floor, FLOOR_KEY)  # ValueError beyond two decimal places

        ratio_text = _parameter(params, MAX_RATIO_KEY, None)
        if _DECIMAL_RE.fullmatch(ratio_text):
            max_ratio = Fraction(Decimal(ratio_text))
        elif _FRACTION_RE.fullmatch(ratio_text):
            numerator, denominator = (int(part) for part in ratio_text.split("/"))
            if denominator == 0:
                raise ValueError(f"{MAX_RATIO_KEY} divides by zero: {ratio_text!r}")
            max_ratio = Fraction(numerator, denominator)
        else:
            raise ValueError(
                f"{MAX_RATIO_KEY} must be a ratio such as 3, 3.5 or 7/2, not {ratio_text!r}"
            )
        if max_ratio < 1:
            raise ValueError(
                f"{MAX_RATIO_KEY} must be at least 1 (highest pay over lowest), "
                f"not {ratio_text!r}"
            )

        weeks_text = _parameter(params, WEEKS_KEY, "52")
        if not _INT_RE.fullmatch(weeks_text) or not (
            1 <= int(weeks_text) <= MAX_WEEKS_PER_YEAR
        ):
            raise ValueError(
                f"{WEEKS_KEY} must be a whole number of weeks from 1 to "
                f"{MAX_WEEKS_PER_YEAR}, not {weeks_text!r}"
            )

        return cls(floor=floor, max_ratio=max_ratio, weeks_per_year=int(weeks_text))


def _parameter(params: Mapping[str, str], key: str, default: str | None) -> str:
    if key not in params:
        if default is None:
            raise ValueError(f"the rules do not set {key}")
        return default
    value = params[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} must be written as text, not {value!r}")
    return value.strip()


@dataclass(frozen=True)
class Violation:
    """One way a pay table breaks the policy, worded for the members who will read it."""

    #: "pay.floor" or "pay.max_ratio": the rule parameter that is broken.
    rule: str
    message: str
    #: The member paid below the floor; None for the ratio, which concerns the whole table.
    member_id: int | None


def _paid_cents(table: Mapping[int, Pay]) -> dict[int, int]:
    """Total hourly pay in cents of the members who are paid.

    Members at zero are unpaid or have departed: the floor does not protect them (they do no
    paid work) and they must not count as "the lowest pay", which would make every ratio
    infinite.
    """
    paid: dict[int, int] = {}
    for member_id, pay in table.items():
        if not isinstance(pay, Pay):
            raise TypeError(f"member {member_id}: expected Pay, not {pay!r}")
        if pay.is_paid:
            paid[member_id] = pay.total_hourly_cents
    return paid


def check_policy(table: Mapping[int, Pay], policy: PayPolicy) -> list[Violation]:
    """Every violation of ``policy`` in ``table`` (member id -> pay).

    Floor violations come first, in member id order, then the ratio violation if any, so
    the result is the same however the table was built. An empty list means the table is
    within the rules.
    """
    paid = _paid_cents(table)
    violations: list[Violation] = []

    floor_cents = hundredths(policy.floor, "pay floor")
    for member_id in sorted(paid):
        if paid[member_id] < floor_cents:
            violations.append(
                Violation(
                    rule=FLOOR_KEY,
                    message=(
                        f"would pay member {member_id} "
                        f"{_money(from_hundredths(paid[member_id]))} an hour; "
                        f"the pay floor is {_money(policy.floor)}"
                    ),
                    member_id=member_id,
                )
            )

    ratio = _ratio(paid.values())
    if ratio is not None and ratio > policy.max_ratio:
        # Round the offending ratio up and the allowed one down, so the message can never
        # read "the ratio 3:1; the rules allow 3:1" for a ratio of 3.001 against a limit of 3.
        violations.append(
            Violation(
                rule=MAX_RATIO_KEY,
                message=(
                    f"would make the ratio {format_ratio(ratio, rounding=ROUND_CEILING)}:1; "
                    f"the rules allow {format_ratio(policy.max_ratio, rounding=ROUND_FLOOR)}:1"
                ),
                member_id=None,
            )
        )
    return violations


def _ratio(cents: Iterable[int]) -> Fraction | None:
    """Highest over lowest of positive cent amounts; None when there are none."""
    values = list(cents)
    if not values:
        return None
    return Fraction(max(values), min(values))


def apply_change(
    table: Mapping[int, Pay], member_id: int, new_pay: Pay
) -> dict[int, Pay]:
    """A new table with ``member_id`` paid ``new_pay``; ``table`` is left as it was.

    Pay with a total of zero removes the member, matching how unpaid members are treated by
    ``check_policy`` and ``statistics``.
    """
    if not isinstance(new_pay, Pay):
        raise TypeError(f"new_pay must be Pay, not {new_pay!r}")
    result = dict(table)
    if new_pay.is_paid:
        result[member_id] = new_pay
    else:
        result.pop(member_id, None)
    return result


_ROUNDINGS = {
    ROUND_HALF_EVEN: round,  # Fraction.__round__ rounds half to even
    ROUND_CEILING: math.ceil,
    ROUND_FLOOR: math.floor,
}


def format_ratio(r: Fraction, *, rounding: str = ROUND_HALF_EVEN) -> str:
    """A ratio as people write it before ":1": at most two decimals, no trailing zeros.

    Fraction(3) -> "3", Fraction(7, 2) -> "3.5", Fraction(10, 3) -> "3.33".
    ``rounding`` is one of decimal's ROUND_HALF_EVEN (default), ROUND_CEILING, ROUND_FLOOR.
    """
    if isinstance(r, bool) or not isinstance(r, (Fraction, int)):
        raise TypeError(f"a ratio must be a Fraction, not {type(r).__name__} ({r!r})")
    if r < 0:
        raise ValueError(f"a ratio cannot be negative: {r}")
    try:
        to_int = _ROUNDINGS[rounding]
    except KeyError:
        raise ValueError(f"unsupported rounding {rounding!r}") from None
    whole, hundredths = divmod(to_int(Fraction(r) * 100), 100)
    if hundredths == 0:
        return str(whole)
    return f"{whole}.{hundredths:02d}".rstrip("0")


# --------------------------------------------------------------------------------------------
# Statistics and impact
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayStatistics:
    """Figures over the total hourly pay of paid members, as shown on the public pay page."""

    count: int
    minimum: Decimal | None
    #: Rounded to cents half to even; of an even count, the mean of the middle two.
    median: Decimal | None
    #: Rounded to cents half to even.
    mean: Decimal | None
    maximum: Decimal | None
    #: maximum / minimum, exact.
    ratio: Fraction | None
    #: Sum of every member's annualised pay (each rounded to cents first, as each is paid).
    total_payroll: Decimal


def statistics(table: Mapping[int, Pay], weeks_per_year: int = 52) -> PayStatistics:
    """Summary of ``table``; unpaid members (total zero) are left out, as in check_policy."""
    _check_weeks(weeks_per_year)
    paid = _paid_cents(table)
    # Summing each member's rounded annual figure, not rounding the sum, so the payroll
    # equals what the co-op actually owes member by member.
    payroll = sum(table[m].annualised_cents(weeks_per_year) for m in paid)
    return statistics_of(paid.values(), payroll)


def statistics_of(totals_cents: Iterable[int], payroll_cents: int) -> PayStatistics:
    """``statistics`` from paid members' total hourly pay in cents (all positive) and the
    payroll in cents (the sum of each member's rounded annual pay): for callers that already
    hold the integers, such as a salary page of thousands of rows."""
    payroll = from_hundredths(payroll_cents)
    values = sorted(totals_cents)
    if not values:
        return PayStatistics(0, None, None, None, None, None, payroll)
    n = len(values)
    middle = n // 2
    median = (
        Fraction(values[middle])
        if n % 2
        else Fraction(values[middle - 1] + values[middle], 2)
    )
    return PayStatistics(
        count=n,
        minimum=from_hundredths(values[0]),
        median=from_hundredths(_round_to_cents(median / 100)),
        mean=from_hundredths(_round_to_cents(Fraction(sum(values), n) / 100)),
        maximum=from_hundredths(values[-1]),
        ratio=_ratio(values),
        total_payroll=payroll,
    )


@dataclass(frozen=True)
class Impact:
    """What a proposed pay change would do, shown beside a pay-adjustment proposal."""

    before: PayStatistics
    after: PayStatistics
    #: Change in annual payroll (after minus before); negative when pay goes down.
    payroll_change: Decimal
    ratio_before: Fraction | None
    ratio_after: Fraction | None
    #: Every violation of the policy by the table *after* the change.
    violations: tuple[Violation, ...]


def impact(
    table: Mapping[int, Pay], member_id: int, new_pay: Pay, policy: PayPolicy
) -> Impact:
    """The effect of paying ``member_id`` ``new_pay``, judged against ``policy``."""
    after_table = apply_change(table, member_id, new_pay)
    before = statistics(table, policy.weeks_per_year)
    after = statistics(after_table, policy.weeks_per_year)
    return Impact(
        before=before,
        after=after,
        # Through Fraction: Decimal subtraction would round in the default context.
        payroll_change=from_hundredths(
            int((Fraction(after.total_payroll) - Fraction(before.total_payroll)) * 100)
        ),
        ratio_before=before.ratio,
        ratio_after=after.ratio,
        violations=tuple(check_policy(after_table, policy)),
    )
