"""Founding salaries from a CSV: all or nothing, only for members not yet paid, within policy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from coop.errors import InvalidInput, PermissionDenied, PolicyViolation
from coop.models import PayRecord
from coop.pay import SupplementReason
from coop.services import events, member_import, pay, pay_import, verification
from coop.services.actor import Actor
from coop.services.members import ImportRejected
from coop.services.pay_import import import_founding_pay
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_coop, make_member

OPERATOR = Actor.operator()


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


@pytest.fixture
def staff(db, coop):
    return [make_member(db, coop, name=n) for n in ("Ann", "Bob", "Cy")]


def csv_for(staff, *rows: str, header: str = "email,hourly_rate,weekly_hours,supplements,effective_date") -> str:
    return "\n".join([header, *(r.format(*[m.email for m in staff]) for r in rows)]) + "\n"


def test_founding_pay_becomes_one_founding_ledger_entry_per_member(db, coop, staff):
    text = csv_for(staff, "{0},20.00,37.50,,2026-01-01", "{1},21.5,30,first aid:0.75:skills; nights:1:hours,",
                   "{2},22.00,37.50,,")
    records = import_founding_pay(db, OPERATOR, coop, text, now=NOW)
    assert [r.entry_index for r in records] == [0, 1, 2]
    assert {r.authority for r in records} == {"founding"}
    table = pay.current_table(db, coop.id)
    bob = table[staff[1].id]
    assert (bob.hourly_rate, bob.weekly_hours, bob.total_hourly) == (Decimal("21.50"), Decimal("30.00"), Decimal("23.25"))
    assert [(s.kind, s.amount, s.reason) for s in bob.supplements] == \
        [("first aid", Decimal("0.75"), SupplementReason.SKILLS), ("nights", Decimal("1"), SupplementReason.HOURS)]
    assert records[0].effective_date.isoformat() == "2026-01-01"
    assert verification.verify_coop(db, coop, now=NOW).ok


def test_one_bad_row_imports_nothing_and_every_error_names_its_line_and_column(db, coop, staff):
    staff = [*staff, make_member(db, coop, name="Dee")]
    before = snapshot(db)
    text = csv_for(staff, "{0},20.00,37.50,,", "nobody@example.org,20.00,37.50,,", "{1},twenty,37.50,,",
                   "{2},20.00,37.50,bonus:1.00:luck,", "{0},20.00,37.50,,", "{3},20.00,37.50,,2999-01-01")
    with pytest.raises(ImportRejected) as exc:
        import_founding_pay(db, OPERATOR, coop, text, now=NOW)
    assert [str(e) for e in exc.value.errors] == [
        "line 3, email: no member 'nobody@example.org' in this co-op",
        "line 4, hourly_rate: 'twenty' is not an amount such as 23.50",
        "line 5, supplements: reason 'luck' is not one of hours, skills, responsibility, seniority, other",
        "line 6, email: '" + staff[0].email + "' appears twice",
        "line 7, effective_date: founding pay cannot take effect in the future",
    ]
    assert_unchanged(db, before)


def test_missing_columns_are_named(db, coop, staff):
    with pytest.raises(ImportRejected) as exc:
        import_founding_pay(db, OPERATOR, coop, "email,rate\nx@example.org,1\n", now=NOW)
    assert [(e.row, e.field) for e in exc.value.errors] == [(1, "hourly_rate"), (1, "weekly_hours")]


def test_a_member_already_paid_cannot_be_given_founding_pay(db, coop, staff):
    import_founding_pay(db, OPERATOR, coop, csv_for(staff, "{0},20.00,37.50,,"), now=NOW)
    before = snapshot(db)
    with pytest.raises(ImportRejected, match="already has pay on the ledger"):
        import_founding_pay(db, OPERATOR, coop, csv_for(staff, "{1},20.00,37.50,,", "{0},25.00,37.50,,"), now=NOW)
    assert_unchanged(db, before)


def test_founding_pay_that_breaks_the_ratio_is_refused_naming_the_member_and_numbers(db, coop, staff):
    before = snapshot(db)
    with pytest.raises(PolicyViolation) as exc:
        import_founding_pay(db, OPERATOR, coop, csv_for(staff, "{0},10.00,37.50,,", "{1},31.00,37.50,,"), now=NOW)
    assert "would make the ratio 3.1:1; the rules allow 3:1" in exc.value.message
    assert_unchanged(db, before)


def test_only_the_secretary_imports_founding_pay(db, coop, staff):
    with pytest.raises(PermissionDenied):
        import_founding_pay(db, as_member(staff[0]), coop, csv_for(staff, "{0},20.00,37.50,,"), now=NOW)
    assert db.scalars(select(PayRecord)).first() is None


def test_each_founding_entry_is_announced_once(db, coop, staff, monkeypatch):
    seen = []
    monkeypatch.setattr(events, "_listeners", [*events._listeners,
                                               lambda s, cid, name, payload, now: seen.append((name, payload))])
    records = import_founding_pay(db, OPERATOR, coop, csv_for(staff, "{0},20.00,37.50,,", "{1},21.00,37.50,,"), now=NOW)
    appended = [p["index"] for name, p in seen if name == "ledger.appended"]
    changed = [p["entry_index"] for name, p in seen if name == "pay.changed"]
    assert appended == changed == [r.entry_index for r in records]


def test_a_combined_import_that_fails_after_adding_members_leaves_none(db, coop, staff, monkeypatch):
    # Any error once the members are written (here, from the founding-pay step) must take
    # them back with it, whatever the caller then does with the session.
    def refuse(*args, **kwargs):
        raise InvalidInput("refused for the test")

    monkeypatch.setattr(pay_import, "import_founding_pay", refuse)
    before = snapshot(db)
    with pytest.raises(InvalidInput):
        member_import.import_csv(db, OPERATOR, coop, "name,email,hourly_rate,weekly_hours\n"
                                                     "Eve,eve@example.org,20.00,37.50\n", now=NOW)
    assert_unchanged(db, before)


def test_an_amount_too_large_to_hold_in_cents_is_a_row_error(db, coop, staff):
    before = snapshot(db)
    with pytest.raises(ImportRejected) as exc:
        import_founding_pay(db, OPERATOR, coop, csv_for(staff, "{0},1e30,37.50,,", "{1},20.00,37.50,x:1e40:skills,"),
                            now=NOW)
    assert [str(e) for e in exc.value.errors] == [
        "line 2, hourly_rate: '1e30' is too large an amount",
        "line 3, supplements: '1e40' is too large an amount"]
    assert_unchanged(db, before)
