"""Lifelong education: learning records, CSV import, the report, reminders, cited qualifications."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import event

from coop.errors import Conflict, InvalidInput, PermissionDenied
from coop.pay import Supplement, SupplementReason
from coop.services import education, events, proposals
from coop.services.education_import import import_records
from coop.services.members import ImportRejected
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import OPERATOR, as_member, make_coop, make_member
from tests.office_factories import qualify

NOW = dt.datetime(2026, 7, 2, 12, 0)  # day 183 of 365: half the year has passed
SINCE = dt.datetime(2020, 1, 1)

CSV = """email,title,provider,kind,hours,started_on,ended_on,status,qualification_field,qualification_level
{e},Bookkeeping for co-ops,Open University,course,12.50,2026-01-10,2026-02-20,completed,,
{e},First aid at work,Red Cross,certification,6.25,2026-03-03,2026-03-03,completed,first aid,3
{e},Reading group: Ostrom,,self_study,4,2025-11-01,2025-12-15,completed,,
{e},CNC programming,Haas,course,30,2026-09-01,,planned,,
"""


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


def record(db, coop, member, actor=None, **kw):
    data = {"title": "Welding inspection", "provider": "TWI", "kind": "course", "hours": "8.00",
            "started_on": "2026-02-01", "ended_on": "2026-02-03", "status": "completed", **kw}
    return education.add_record(db, actor or as_member(member), coop, member, data, now=NOW)


def test_a_members_imported_hours_add_up_on_the_report(db, coop):
    lena = make_member(db, coop, active_since=SINCE)
    other = make_member(db, coop, active_since=SINCE)
    added = import_records(db, as_member(lena), coop, CSV.format(e=lena.email), now=NOW)
    assert [r.hours for r in added] == [Decimal("12.50"), Decimal("6.25"), Decimal("4.00"), Decimal("30.00")]
    rep = education.report(db, coop, 2026, now=NOW)
    rows = {r.member_id: r for r in rep.members}
    assert rows[lena.id].completed == Decimal("18.75")  # this year's completed records only
    assert rows[other.id].completed == Decimal("0.00")
    assert (rows[lena.id].expected, rows[lena.id].due_to_date) == (Decimal("40.00"), Decimal("20.05"))
    assert rows[lena.id].behind and rep.total_hours == Decimal("18.75")
    assert [(y.year, y.hours, y.records, y.members) for y in rep.years] == [
        (2025, Decimal("4.00"), 1, 1), (2026, Decimal("18.75"), 2, 1)]
    last_year = {r.member_id: r for r in education.report(db, coop, 2025, now=NOW).members}
    assert (last_year[lena.id].completed, last_year[lena.id].due_to_date) == (Decimal("4.00"), Decimal("40.00"))
    assert last_year[lena.id].behind


def test_a_refused_csv_row_writes_nothing_and_every_error_is_named(db, coop):
    lena = make_member(db, coop, active_since=SINCE)
    bad = CSV.format(e=lena.email) + (
        f"{lena.email},Lathe safety,Makerspace,course,2.505,2026-04-01,2026-04-01,completed,,\n"
        f"nobody@example.org,Welding,TWI,course,3,2026-04-01,2026-04-02,completed,,\n"
        f"{lena.email},Soldering,,seminar,3,2026-04-01,2026-04-02,completed,,\n")
    before = snapshot(db)
    with pytest.raises(ImportRejected) as refused:
        import_records(db, OPERATOR, coop, bad, now=NOW)
    assert [(e.row, e.field) for e in refused.value.errors] == [(6, "hours"), (7, "email"), (8, "kind")]
    assert "nothing was imported" in str(refused.value)
    assert_unchanged(db, before)


def test_a_member_imports_only_their_own_records_and_a_secretary_anyones(db, coop):
    lena, owen = make_member(db, coop, active_since=SINCE), make_member(db, coop, active_since=SINCE)
    with pytest.raises(ImportRejected, match="only their own"):
        import_records(db, as_member(owen), coop, CSV.format(e=lena.email), now=NOW)
    secretary = make_member(db, coop, role="secretary")
    assert len(import_records(db, as_member(secretary), coop, CSV.format(e=lena.email), now=NOW)) == 4


def test_a_csv_missing_a_column_is_refused_naming_it(db, coop):
    with pytest.raises(ImportRejected, match="line 1, hours: missing column"):
        import_records(db, OPERATOR, coop, "email,title,kind,started_on,status\n", now=NOW)


@pytest.mark.parametrize("changes, field", [
    ({"hours": 2.5}, "hours"), ({"hours": "0"}, "hours"), ({"hours": "1.234"}, "hours"),
    ({"kind": "seminar"}, "kind"), ({"status": "done"}, "status"),
    ({"ended_on": None}, "ended_on"), ({"ended_on": "2026-01-01"}, "ended_on"),
    ({"ended_on": "2026-12-01"}, "ended_on"), ({"qualification_field": "welding"}, "qualification_level"),
    ({"qualification_field": "welding", "qualification_level": 9}, "qualification_level"),
    ({"title": ""}, "title"),
])
def test_a_bad_learning_record_is_refused_naming_the_field_and_nothing_is_written(db, coop, changes, field):
    m = make_member(db, coop, active_since=SINCE)
    before = snapshot(db)
    with pytest.raises(InvalidInput) as refused:
        record(db, coop, m, **changes)
    assert refused.value.field == field
    assert_unchanged(db, before)


@pytest.mark.parametrize("changes, field, message", [
    ({"started_on": "0001-01-01", "ended_on": "0001-01-02"}, "started_on", "a date from 1900-01-01 on"),
    ({"started_on": "1899-12-31"}, "started_on", "a date from 1900-01-01 on"),
    ({"status": "planned", "started_on": "2036-07-03", "ended_on": None}, "started_on",
     "at most 10 years ahead (until 2036-07-02)"),
    ({"status": "planned", "started_on": "2027-01-01", "ended_on": "9999-12-31"}, "ended_on",
     "at most 10 years ahead (until 2036-07-02)"),
    ({"title": "Welding\x1b[2J inspection"}, "title", "single line"),
    ({"qualification_field": "weld\x00ing", "qualification_level": 3}, "qualification_field", "single line"),
])
def test_learning_record_dates_and_lines_outside_the_limits_are_refused_whichever_face_sends_them(
        db, coop, changes, field, message):
    """The portal form, the CSV import and the API all reach this check, with the request's now."""
    m = make_member(db, coop, active_since=SINCE)
    before = snapshot(db)
    with pytest.raises(InvalidInput, match=re.escape(message)) as refused:
        record(db, coop, m, **changes)
    assert refused.value.field == field
    assert_unchanged(db, before)
    # The edge of the window is accepted: a course planned exactly ten years ahead.
    assert record(db, coop, m, status="planned", started_on="2036-07-02", ended_on=None).status == "planned"


def test_members_enter_their_own_records_and_a_secretary_anyones(db, coop):
    a, b = make_member(db, coop), make_member(db, coop)
    assert record(db, coop, a).created_by_id == a.id
    with pytest.raises(PermissionDenied):
        record(db, coop, b, actor=as_member(a))
    secretary = make_member(db, coop, role="secretary")
    assert record(db, coop, b, actor=as_member(secretary)).created_by_id == secretary.id


def test_a_records_qualification_becomes_a_qualification_when_a_peer_verifies_it(db, coop):
    learner, peer, novice = (make_member(db, coop) for _ in range(3))
    qualify(db, coop, peer, "welding", 5)
    qualify(db, coop, novice, "welding", 2)
    r = record(db, coop, learner, qualification_field="Welding", qualification_level=4)
    for who, why in ((learner, "own"), (novice, "EQF level 4 or higher")):
        before = snapshot(db)
        with pytest.raises(PermissionDenied, match=why):
            education.verify_record(db, as_member(who), coop, r.id, now=NOW)
        assert_unchanged(db, before)
    q = education.verify_record(db, as_member(peer), coop, r.id, now=NOW)
    assert (q.member_id, q.field, q.level, q.verified_by_id, q.awarded_on) == (
        learner.id, "welding", 4, peer.id, dt.date(2026, 2, 3))
    assert r.qualification_id == q.id
    with pytest.raises(Conflict, match="verified already"):
        education.verify_record(db, OPERATOR, coop, r.id, now=NOW)
    with pytest.raises(Conflict, match="cannot change"):
        education.update_record(db, as_member(learner), coop, r.id, {"hours": "9.00"}, now=NOW)


def test_a_planned_record_completed_later_counts_then(db, coop):
    m = make_member(db, coop, active_since=SINCE)
    r = record(db, coop, m, status="planned", started_on="2026-09-01", ended_on=None, hours="10")
    assert education.report(db, coop, 2026, now=NOW).members[0].completed == Decimal("0.00")
    later = dt.datetime(2026, 10, 1)
    education.update_record(db, as_member(m), coop, r.id, {"status": "completed", "ended_on": "2026-09-30"},
                            now=later)
    assert education.report(db, coop, 2026, now=later).members[0].completed == Decimal("10.00")


def test_the_expectation_is_pro_rata_for_a_member_active_for_part_of_the_year(db, coop):
    m = make_member(db, coop, active_since=dt.datetime(2026, 7, 2, 8, 0))
    [row] = education.report(db, coop, 2026, now=NOW).members
    assert row.member_id == m.id
    # Active from 2 July: 183 of the year's 365 days remain, on the first of which it is now.
    assert (row.expected, row.due_to_date) == (Decimal("20.05"), Decimal("0.11"))


def test_members_behind_the_pace_are_reminded_through_an_event(db, coop):
    keen, behind = make_member(db, coop, active_since=SINCE), make_member(db, coop, active_since=SINCE)
    record(db, coop, keen, hours="25.00")
    record(db, coop, behind, hours="5.00")
    seen = []
    listener = events.subscribe(lambda s, c, e, p, now: seen.append((e, p)) if e == "education.behind" else None)
    try:
        reminded = education.remind_behind(db, coop, now=NOW)
    finally:
        events._listeners.remove(listener)
    assert [r.member_id for r in reminded] == [behind.id]
    assert seen == [("education.behind", {"member_id": behind.id, "hours": "5.00", "expected": "20.05",
                                          "expected_per_year": "40.00", "year": 2026})]


def test_the_education_report_takes_a_constant_number_of_queries(db, coop, engine):
    counts = []
    for n in (2, 8):
        for _ in range(n):
            record(db, coop, make_member(db, coop, active_since=SINCE))
        db.expunge_all()
        queries = []
        listener = lambda *a: queries.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            education.report(db, coop, 2026, now=NOW)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_pay_adjustment_can_cite_only_a_verified_qualification_of_its_subject(db, coop):
    subject, other, author = (make_member(db, coop, hourly_rate="20.00") for _ in range(3))
    own = qualify(db, coop, subject, "electrical engineering", 5)
    unverified = qualify(db, coop, subject, "welding", 3, verified=False)
    theirs = qualify(db, coop, other, "accounting", 6)

    def draft(q):
        change = {"supplements": [Supplement("installations", Decimal("1.25"), SupplementReason.SKILLS,
                                             qualification_id=q.id)], "reason": "skills"}
        return proposals.draft_pay_adjustment(db, as_member(author), coop, "Skills", "", subject, change, now=NOW)

    before = snapshot(db)
    with pytest.raises(InvalidInput, match=f"qualification {theirs.id} is not one of"):
        draft(theirs)
    with pytest.raises(InvalidInput, match="not verified"):
        draft(unverified)
    assert_unchanged(db, before)
    assert draft(own).details["new"]["supplements"][0]["qualification_id"] == own.id


def test_the_education_policy_is_read_from_the_rules_and_changed_by_vote(db, coop):
    from tests.factories import open_for_voting

    assert education.policy(db, coop.id) == education.Policy(Decimal("40"), Decimal("40"))
    voters = [make_member(db, coop) for _ in range(3)]
    p = proposals.draft_rule_change(db, as_member(voters[0]), coop, "More study", "", {
        "action": "amend", "rule_key": "education.policy",
        "parameters": {"education.expected_hours_per_year": "48", "education.paid_hours_per_year": "44"}}, now=NOW)
    open_for_voting(db, coop, p, voters[0])
    for v in voters:
        proposals.cast_ballot(db, as_member(v), coop, p.id, "yes", now=p.voting_opened_at)
    assert p.outcome == "passed"
    assert education.policy(db, coop.id) == education.Policy(Decimal("48"), Decimal("44"))
