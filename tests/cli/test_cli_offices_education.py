"""`coop offices …` and `coop education …` on the demo co-op: output, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from coop.models import LearningRecord, Qualification
from coop.services import coops, education
from tests.cli.conftest import Coop
from tests.clock import NOW, TODAY  # noqa: E402


def csv_rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


# -- offices -----------------------------------------------------------------------------------

def test_offices_list_shows_each_office_with_its_requirements_and_vacancies(demo: Coop) -> None:
    out = demo.ok("offices", "list").output
    lines = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert set(lines) == {"treasurer", "safety_officer", "technical_lead"}
    assert "accounting at EQF level 6 or higher" in lines["treasurer"]
    assert "electrical engineering at EQF level 5 or higher" in lines["technical_lead"]
    assert lines["technical_lead"].split()[-3:] == ["2", "0", "1"]  # max 2 terms in a row; vacant
    assert lines["treasurer"].split()[-2:] == ["1", "0"]


def test_offices_holders_names_the_holders_and_the_vacant_seat(demo: Coop) -> None:
    out = demo.ok("offices", "holders").output
    assert "Treasurer       Marisol Ortega" in out and "Safety officer  Tomasz Nowak" in out
    assert "Technical lead  (vacant)" in out
    assert "election #" in out


def test_offices_holders_as_of_a_date_before_any_election_shows_every_seat_vacant(demo: Coop) -> None:
    out = demo.ok("offices", "holders", "--as-of", "2020-01-01").output
    assert out.splitlines()[0] == "office holders on 2020-01-01 23:59 UTC"
    assert out.count("(vacant)") == 3 and "Marisol" not in out


def test_a_bad_as_of_date_or_co_op_is_one_line_and_exit_one(demo: Coop) -> None:
    assert demo.fails("offices", "holders", "--as-of", "next tuesday") == (
        "error: --as-of: 'next tuesday' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)")
    assert demo.fails("offices", "list", "--coop", "nowhere").startswith("error: ")


def test_offices_history_and_candidates_show_the_public_record(demo: Coop) -> None:
    history = demo.ok("offices", "history").output
    assert "Marisol Ortega" in history and "(due)" in history
    listing = demo.ok("proposals", "list", "--status", "voting").output
    [open_election] = [line.split()[0] for line in listing.splitlines() if "Election: Technical lead" in line]
    out = demo.ok("offices", "candidates", open_election.lstrip("#")).output
    for name in ("Rahul Iyer", "Samuel Osei", "Kenji Watanabe"):
        assert name in out
    assert "pale.standing v1" in out


def test_offices_pale_prints_the_boundaries_and_the_text_to_affirm(demo: Coop) -> None:
    out = demo.ok("offices", "pale").output
    assert "minimum tenure as an active member: 6 months" in out
    assert "offices held at once: at most 2" in out


def test_offices_commands_on_a_co_op_without_offices_say_so(coop: Coop) -> None:
    coop.ok("coops", "create", "--slug", "plain", "--name", "Plain Co-op")
    assert "no offices: add one with a rule change" in coop.ok("offices", "list").output


# -- education report --------------------------------------------------------------------------

def test_the_education_report_as_csv_adds_up_to_the_tables_total(demo: Coop) -> None:
    rows = csv_rows(demo.ok("education", "report", "--format", "csv").output)
    assert list(rows[0]) == ["member_id", "name", "status", "completed_hours", "expected_hours",
                             "due_to_date", "note"]
    table = demo.ok("education", "report").output
    [total] = [line for line in table.splitlines() if line.startswith("completed hours this year:")]
    assert sum(Decimal(r["completed_hours"]) for r in rows) == Decimal(total.split(":")[1])
    assert "the rules expect 48 hours a year, of which 48 are paid" in table


def test_the_education_report_csv_quotes_a_member_name_a_spreadsheet_would_run(demo: Coop) -> None:
    evil = "=cmd|' /C calc'!A0"
    demo.ok("members", "add", "--coop", "demo", "--name", evil, "--email", "eve@riverside.example",
            "--status", "active")
    rows = csv_rows(demo.ok("education", "report", "--format", "csv").output)
    [row] = [r for r in rows if r["name"].endswith(evil)]
    assert row["name"] == "'" + evil
    assert row["completed_hours"] == "0.00"


def test_a_bad_year_is_one_line_and_exit_one(demo: Coop) -> None:
    assert demo.fails("education", "report", "--year", "twenty") == (
        "error: --year: 'twenty' is not a year such as 2026")


def test_a_past_year_reports_that_years_hours(demo: Coop) -> None:
    rows = csv_rows(demo.ok("education", "report", "--year", "1999", "--format", "csv").output)
    assert rows and all(r["completed_hours"] == "0.00" for r in rows)


# -- import ------------------------------------------------------------------------------------

def write(tmp: Path, text: str) -> Path:
    path = tmp / "learning.csv"
    path.write_text(text, encoding="utf-8")
    return path


def lena_hours(demo: Coop) -> Decimal:
    rows = csv_rows(demo.ok("education", "report", "--format", "csv").output)
    return Decimal(next(r["completed_hours"] for r in rows if r["name"] == "Lena Fischer"))


def test_imported_hours_add_up_on_the_report(demo: Coop) -> None:
    before = lena_hours(demo)
    path = write(demo.tmp, (
        "email,title,provider,kind,hours,started_on,ended_on,status,qualification_field,qualification_level\n"
        f"lena@riverside.example,Timber frame design,TRADA,course,12.50,{TODAY},{TODAY},completed,,\n"
        f"lena@riverside.example,Finishing oils,,self-study,3.25,{TODAY},{TODAY},completed,,\n"
        f"lena@riverside.example,Boat building,IBTC,course,80,{TODAY},,in_progress,,\n"))
    out = demo.ok("education", "import", str(path)).output
    assert out.strip() == "imported 3 learning record(s), 95.75 hours, into demo"
    assert lena_hours(demo) == before + Decimal("15.75")  # the course in progress counts on completion


def test_a_refused_csv_row_writes_nothing_names_the_line_and_exits_one(demo: Coop) -> None:
    path = write(demo.tmp, (
        "email,title,kind,hours,started_on,ended_on,status\n"
        f"lena@riverside.example,Timber frame design,course,12.50,{TODAY},{TODAY},completed\n"
        f"lena@riverside.example,Finishing oils,course,-3,{TODAY},{TODAY},completed\n"
        f"nobody@riverside.example,Welding,course,3,{TODAY},{TODAY},completed\n"))
    before = demo.counts()
    result = demo.run("education", "import", str(path))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert lines == ["learning.csv: line 3, hours: hours must be more than 0 and at most 8784.00",
                     "learning.csv: line 4, email: no member 'nobody@riverside.example' in this co-op",
                     "error: 2 error(s) in learning.csv; nothing was imported"]
    assert demo.counts() == before


def test_a_csv_missing_a_column_or_not_utf8_is_refused(demo: Coop) -> None:
    path = write(demo.tmp, "email,title,kind,hours\n")
    result = demo.run("education", "import", str(path))
    assert result.exit_code == 1 and "started_on: missing column" in result.stderr
    path.write_bytes("email,title\n\xe9t\xe9".encode("latin-1"))
    assert demo.fails("education", "import", str(path)) == (
        "error: CSV: learning.csv is not UTF-8 text; save it as CSV UTF-8")


# -- verification ------------------------------------------------------------------------------

def gained(demo: Coop, session_for, level: int) -> int:  # type: ignore[no-untyped-def]
    path = write(demo.tmp, (
        "email,title,kind,hours,started_on,ended_on,status,qualification_field,qualification_level\n"
        f"lena@riverside.example,Wiring course,course,40,{TODAY},{TODAY},completed,electrical engineering,{level}\n"))
    demo.ok("education", "import", str(path))
    with session_for() as s:
        return s.scalars(select(LearningRecord.id).where(LearningRecord.title == "Wiring course")).one()


def test_a_peer_verified_at_the_level_verifies_a_records_qualification(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    record = gained(demo, session_for, 5)
    out = demo.ok("education", "verify", str(record), "--by", "rahul@riverside.example").output
    assert out.startswith("verified: qualification ") and out.strip().endswith(
        "electrical engineering at EQF level 5, by Rahul Iyer")
    with session_for() as s:
        q = s.scalars(select(Qualification).where(Qualification.title == "Wiring course")).one()
        assert q.verified and q.level == 5
    assert demo.fails("education", "verify", str(record)) == "error: this record's qualification is verified already"


def test_a_peer_below_the_level_cannot_verify_and_nothing_changes(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    record = gained(demo, session_for, 6)
    assert demo.fails("education", "verify", str(record), "--by", "rahul@riverside.example") == (
        "error: only a secretary or a member verified in electrical engineering at EQF level 6 or higher "
        "may verify this")
    assert demo.fails("education", "verify", str(record), "--by", "lena@riverside.example") == (
        "error: members cannot verify their own qualifications")
    out = demo.ok("education", "verify", str(record), "--by", "grace@riverside.example").output
    assert out.strip().endswith("electrical engineering at EQF level 6, by Grace Mensah")


def test_verifying_an_unknown_record_is_one_line(demo: Coop) -> None:
    assert demo.fails("education", "verify", "9999").startswith("error: record: no learning record 9999")


# -- reminders ---------------------------------------------------------------------------------

def test_remind_reports_who_is_behind_and_reminds_only_who_chose(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    from coop.services import members, notifications
    from coop.services.actor import Actor

    with session_for() as s:
        c = coops.get_by_slug(s, "demo")
        ada = members.find_member(s, c.id, "ada@riverside.example")
        prefs = notifications.preferences(s, ada.id)
        prefs[education.REMINDER] = {"portal": True, "email": False}
        notifications.set_preferences(s, Actor.of(ada), ada, prefs, now=NOW)
    out = demo.ok("education", "remind").output
    assert "Ada Okafor: 0.00 of" in out and "(reminded)" in out.splitlines()[0]
    assert out.count("(reminded)") == 1
    assert "reminded the 1 who chose education reminders" in out.splitlines()[-1]
