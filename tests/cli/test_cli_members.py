"""`coop members`: adding, importing (all or nothing), listing, status verbs, qualifications."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from coop.models import Member, PayRecord
from tests.cli.conftest import Coop
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot


@pytest.fixture
def acme(coop: Coop) -> Coop:
    coop.ok("coops", "create", "--slug", "acme", "--name", "Acme Workers")
    return coop


def _csv(tmp: Path, text: str, name: str = "members.csv") -> str:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_adding_a_member_prints_it_and_lists_it(acme: Coop) -> None:
    out = acme.ok("members", "add", "--name", "Rosa Luxemburg", "--email", "Rosa@Example.org",
                  "--role", "secretary", "--status", "active").output
    assert "added member 1: Rosa Luxemburg <rosa@example.org>, active, secretary" in out
    listing = acme.ok("members", "list").output.splitlines()
    assert listing[0].split() == ["id", "name", "email", "status", "role", "qualifications"]
    assert "rosa@example.org" in listing[2] and "secretary" in listing[2]


def test_a_new_member_is_an_applicant_unless_said_otherwise(acme: Coop) -> None:
    acme.ok("members", "add", "--name", "Ann", "--email", "ann@example.org")
    assert "applicant" in acme.ok("members", "list", "--status", "applicant").output
    assert acme.ok("members", "list", "--status", "active").output.strip() == "no members"


def test_adding_a_member_with_a_bad_email_is_refused(acme: Coop) -> None:
    assert acme.fails("members", "add", "--name", "Ann", "--email", "not-an-email").startswith("error: email:")


def test_adding_the_same_email_twice_is_refused(acme: Coop) -> None:
    acme.ok("members", "add", "--name", "Ann", "--email", "ann@example.org")
    assert "already exists" in acme.fails("members", "add", "--name", "Ann B", "--email", "ANN@example.org")


def test_importing_a_good_csv_adds_every_row(acme: Coop) -> None:
    path = _csv(acme.tmp, "name,email,role,status\nAnn,ann@example.org,,\nBo,bo@example.org,secretary,applicant\n"
                          "Cy,cy@example.org,admin,active\n")
    out = acme.ok("members", "import", path, "--coop", "acme").output
    assert "imported 3 member(s) and 0 founding pay record(s) into acme" in out
    out = acme.ok("members", "list").output
    assert "bo@example.org" in out and "applicant" in out and "admin" in out


def test_importing_a_csv_with_bad_rows_imports_nothing_and_names_every_bad_row(acme: Coop) -> None:
    acme.ok("members", "add", "--name", "Existing", "--email", "old@example.org")
    path = _csv(acme.tmp, "name,email,role\nAnn,ann@example.org,member\n,nobody@example.org,member\n"
                          "Bo,not-an-email,member\nCy,cy@example.org,king\nDee,old@example.org,member\n")
    before = acme.counts()
    result = acme.run("members", "import", path)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "members.csv: line 3, name: a member needs a name",
        "members.csv: line 4, email: 'not-an-email' is not an email address",
        "members.csv: line 5, role: role must be one of member, secretary, admin; got 'king'",
        "members.csv: line 6, email: 'old@example.org' appears twice or is already a member",
        "error: 4 error(s) in members.csv; nothing was imported",
    ]
    assert acme.counts() == before  # Ann, on a good line, was not imported either


PAID = ("name,email,status,hourly_rate,weekly_hours,supplements,effective_date\n"
        "Ann,ann@example.org,active,21.00,37.50,first aid:0.75:skills,2026-01-05\n"
        "Bo,bo@example.org,applicant,,,,\n")


def test_a_dry_run_says_what_importing_would_do_and_writes_nothing(acme: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    path = _csv(acme.tmp, PAID)
    with session_for() as s:
        before = snapshot(s)
    out = acme.ok("members", "import", path, "--dry-run").output
    assert "would import 2 member(s) and 1 founding pay record(s) into acme" in out
    with session_for() as s:
        assert_unchanged(s, before)


def test_importing_members_with_an_hourly_rate_records_their_founding_pay(acme: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    out = acme.ok("members", "import", _csv(acme.tmp, PAID)).output
    assert "imported 2 member(s) and 1 founding pay record(s) into acme" in out
    with session_for() as s:
        record = s.scalars(select(PayRecord)).one()
        ann = s.scalars(select(Member).where(Member.email == "ann@example.org")).one()
    assert (record.member_id, str(record.hourly_rate), record.authority) == (ann.id, "21.00", "founding")
    assert str(record.effective_date) == "2026-01-05"


def test_one_run_lists_every_member_and_pay_error_of_every_row_and_writes_nothing(acme: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    # Line 2 is wrong in a member column and a pay column, line 4 only in a pay column: all
    # three are reported at once, not the pay errors after the member errors are fixed.
    path = _csv(acme.tmp, "name,email,hourly_rate,weekly_hours\n"
                          "Ann,not-an-email,lots,37.50\n"
                          "Bo,bo@example.org,20.00,30.00\n"
                          "Cy,cy@example.org,20.00,-4\n")
    with session_for() as s:
        before = snapshot(s)
    result = acme.run("members", "import", path)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "members.csv: line 2, email: 'not-an-email' is not an email address",
        "members.csv: line 2, hourly_rate: 'lots' is not an amount such as 23.50",
        "members.csv: line 4, weekly_hours: '-4' must be a non-negative amount with at most two decimals",
        "error: 3 error(s) in members.csv; nothing was imported",
    ]
    with session_for() as s:
        assert_unchanged(s, before)
    assert acme.run("members", "import", path, "--dry-run").stderr == result.stderr


def test_founding_pay_for_an_applicant_is_refused_on_its_status_column(acme: Coop) -> None:
    path = _csv(acme.tmp, "name,email,status,hourly_rate,weekly_hours\nBo,bo@example.org,applicant,20.00,30.00\n")
    result = acme.run("members", "import", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("members.csv: line 2, status: founding pay is for active members: "
                                             "make the row active or leave its pay columns empty")


def test_founding_pay_that_breaks_the_pay_policy_is_refused_for_the_whole_file(acme: Coop) -> None:
    path = _csv(acme.tmp, "name,email,hourly_rate,weekly_hours\nAnn,ann@example.org,20.00,30\n"
                          "Bo,bo@example.org,900.00,30\n")
    before = acme.counts()
    result = acme.run("members", "import", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        "members.csv: whole file, hourly_rate: the founding pay breaks the pay policy: would make the ratio 45:1")
    assert acme.counts() == before


def test_importing_a_csv_without_an_email_column_is_refused(acme: Coop) -> None:
    path = _csv(acme.tmp, "name,mail\nAnn,ann@example.org\n")
    result = acme.run("members", "import", path)
    assert result.exit_code == 1
    assert "line 1, email: missing column" in result.stderr


def test_importing_a_file_that_is_not_utf8_is_refused_readably(acme: Coop) -> None:
    path = acme.tmp / "latin1.csv"
    path.write_bytes("name,email\nJosé,jose@example.org\n".encode("latin-1"))
    assert "not UTF-8" in acme.fails("members", "import", str(path))


def test_importing_a_missing_file_is_a_usage_error_without_a_traceback(acme: Coop) -> None:
    result = acme.run("members", "import", str(acme.tmp / "nope.csv"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.output


def test_a_member_goes_from_applicant_to_departed_through_the_verbs(acme: Coop) -> None:
    acme.ok("members", "add", "--name", "Ann", "--email", "ann@example.org")
    assert "Ann is now active" in acme.ok("members", "admit", "ann@example.org").output
    assert "Ann is now suspended" in acme.ok("members", "suspend", "1").output
    assert "Ann is now active" in acme.ok("members", "reinstate", "ann@example.org").output
    assert "Ann is now departed" in acme.ok("members", "depart", "ann@example.org").output


def test_a_departure_ends_pay_with_a_ledger_entry(acme: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from coop.pay import Pay
    from coop.services import coops, ledger

    acme.ok("members", "add", "--name", "Ann", "--email", "ann@example.org", "--status", "active")
    with session_for() as s:
        c = coops.get_by_slug(s, "acme")
        ledger.append_pay_record(s, c, 1, "Ann", Pay(Decimal("20.00"), Decimal("40.00")), 52,
                                 authority="founding", effective_date=c.created_at.date(), now=NOW)
    acme.ok("members", "depart", "ann@example.org")
    with session_for() as s:
        records = list(s.scalars(select(PayRecord).order_by(PayRecord.entry_index)))
    assert [r.authority for r in records] == ["founding", "departure"]


@pytest.mark.parametrize(("verb", "status", "message"), [
    ("admit", "active", "only applicant members can be admitted; Ann is active"),
    ("reinstate", "active", "only suspended members can be reinstated; Ann is active"),
    ("suspend", "applicant", "only active members can be suspended; Ann is applicant"),
])
def test_a_verb_that_does_not_fit_the_members_status_is_refused(acme: Coop, verb: str, status: str,
                                                                message: str) -> None:
    acme.ok("members", "add", "--name", "Ann", "--email", "ann@example.org", "--status", status)
    assert acme.fails("members", verb, "ann@example.org") == f"error: status: {message}"


def test_a_departed_member_cannot_come_back(acme: Coop) -> None:
    acme.ok("members", "add", "--name", "Ann", "--email", "ann@example.org", "--status", "active")
    acme.ok("members", "depart", "1")
    assert "cannot become departed" in acme.fails("members", "depart", "1")


def test_an_unknown_member_is_named_in_the_error(acme: Coop) -> None:
    assert acme.fails("members", "admit", "ghost@example.org") == "error: member: no member 'ghost@example.org' in this co-op"
    assert acme.fails("members", "suspend", "42") == "error: member: no member 42 in this co-op"


def test_a_qualification_is_recorded_then_verified_and_listed(acme: Coop) -> None:
    acme.ok("members", "add", "--name", "Ann", "--email", "ann@example.org", "--status", "active")
    out = acme.ok("members", "qualify", "ann@example.org", "--field", "Accounting", "--level", "6",
                  "--issuer", "Open University", "--awarded-on", "2019-06-30").output
    assert "qualification 1: Ann, accounting EQF 6 (Open University), unverified" in out
    assert "accounting EQF 6" in acme.ok("members", "list").output
    assert "(verified)" not in acme.ok("members", "list").output
    assert "qualification 1 (accounting EQF 6) verified" in acme.ok("members", "verify-qualification", "1").output
    assert "accounting EQF 6 (verified)" in acme.ok("members", "list").output
    assert "already verified" in acme.fails("members", "verify-qualification", "1")


def test_bad_qualifications_are_refused(acme: Coop) -> None:
    acme.ok("members", "add", "--name", "Ann", "--email", "ann@example.org", "--status", "active")
    assert "cannot be awarded in the future" in acme.fails(
        "members", "qualify", "1", "--field", "x", "--level", "3", "--issuer", "y", "--awarded-on", "2999-01-01")
    assert "no qualification 7 in this co-op" in acme.fails("members", "verify-qualification", "7")
    result = acme.run("members", "qualify", "1", "--field", "x", "--level", "9", "--issuer", "y",
                      "--awarded-on", "2020-01-01")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_qualification_of_another_coop_cannot_be_verified_from_this_one(acme: Coop) -> None:
    acme.ok("coops", "create", "--slug", "other", "--name", "Other")
    acme.ok("members", "add", "--coop", "other", "--name", "Bo", "--email", "bo@example.org", "--status", "active")
    acme.ok("members", "qualify", "bo@example.org", "--coop", "other", "--field", "x", "--level", "3",
            "--issuer", "y", "--awarded-on", "2020-01-01")
    assert "no qualification 1 in this co-op" in acme.fails("members", "verify-qualification", "1", "--coop", "acme")


def test_members_of_another_coop_are_not_found_by_email(acme: Coop) -> None:
    acme.ok("coops", "create", "--slug", "other", "--name", "Other")
    acme.ok("members", "add", "--coop", "other", "--name", "Bo", "--email", "bo@example.org")
    assert "no member" in acme.fails("members", "admit", "bo@example.org", "--coop", "acme")
    with_coop = acme.ok("members", "list", "--coop", "other").output
    assert "bo@example.org" in with_coop


def test_listing_members_issues_the_same_number_of_queries_for_2_or_12_members(acme: Coop) -> None:
    for i in range(2):
        acme.ok("members", "add", "--name", f"M{i}", "--email", f"m{i}@example.org", "--status", "active")
    small = acme.count_queries("members", "list")
    for i in range(2, 12):
        acme.ok("members", "add", "--name", f"M{i}", "--email", f"m{i}@example.org", "--status", "active")
        acme.ok("members", "qualify", f"m{i}@example.org", "--field", "welding", "--level", "3",
                "--issuer", "TWI", "--awarded-on", "2020-01-01")
    assert acme.count_queries("members", "list") == small
