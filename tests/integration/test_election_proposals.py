"""Elections: nominations, approval ballots, seats, vacancies and a lot anyone can recompute."""

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select

from coop.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from coop.ledger.canonical import decode
from coop.models import BallotChange, Candidacy, LedgerEntry
from coop.services import elections, ledger, offices, proofs, proposals
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.docsnippets import python_snippet, run_snippet
from tests.factories import as_member, set_founding_pay
from tests.office_factories import (
    T0,
    affirmation,
    approve,
    call,
    close,
    office_coop,
    open_vote,
    qualify,
    senior,
    stand,
)


@pytest.fixture
def coop(db, keys):
    return office_coop(db, keys, council=True)  # council (2 seats) and treasurer (1 seat)


@pytest.fixture
def people(db, coop):
    return [senior(db, coop) for _ in range(6)]


def record(db, coop, p):
    return decode(db.get(LedgerEntry, (coop.id, p.decision_entry_index)).body)


def test_a_tie_at_the_last_seat_is_broken_by_a_lot_anyone_can_recompute_from_the_record(db, coop, people):
    a, b, c = people[:3]
    p = call(db, coop, "council", people[0])
    for m in (a, b, c):
        stand(db, coop, p, m)
    open_vote(db, coop, p, people[0])
    approve(db, coop, p, people[0], a, b)
    approve(db, coop, p, people[1], a, c)
    approve(db, coop, p, people[2], a, b, c)
    approve(db, coop, p, people[3], b, c)
    approve(db, coop, p, people[4])  # abstains
    root_at_close = ledger.lock_head(db, coop.id).root
    close(db, coop, p)
    assert (p.outcome, p.yes_count, p.abstain_count) == ("passed", 4, 1)
    body = record(db, coop, p)["election"]
    assert {x["member_id"]: x["approvals"] for x in body["candidates"]} == {a.id: 3, b.id: 3, c.id: 3}
    # Everyone ties, and the tie crosses the last seat: the lot orders all three.
    assert body["ledger_root"] == root_at_close.hex() == body["lot"]["root"]
    root = bytes.fromhex(body["lot"]["root"])
    keys = {m: hashlib.sha256(root + str(m).encode("ascii")).hexdigest() for m in (a.id, b.id, c.id)}
    assert [t["member_id"] for t in body["lot"]["tied"]] == sorted(keys, key=keys.get)
    assert [t["key"] for t in body["lot"]["tied"]] == sorted(keys.values())
    assert body["elected"] == sorted(keys, key=keys.get)[:2]
    assert "broken by lot" in p.outcome_reason
    started = {t.member_id for t in offices.current_terms(db, coop.id, p.closed_at, office_key="council")}
    assert started == set(body["elected"])


def test_the_docs_recompute_the_lot_from_the_ledger_record_and_catch_a_forged_key(db, coop, people):
    """docs/offices.md tells readers to pipe `coop ledger show N` into a short program: it
    must reproduce the recorded order of a real tie, and refuse a record whose key was forged."""
    a, b, c = people[:3]
    for m in people[3:]:
        set_founding_pay(db, coop, m, "24.00")  # entries before the election: a root worth checking
    p = call(db, coop, "council", people[0])
    for m in (a, b, c):
        stand(db, coop, p, m)
    open_vote(db, coop, p, people[0])
    for voter, approved in zip(people, [(a, b), (a, c), (b, c), ()]):
        approve(db, coop, p, voter, *approved)
    close(db, coop, p)
    body = record(db, coop, p)
    lot = body["election"]["lot"]
    assert lot is not None and len(lot["tied"]) == 3
    # The root the lot used is the ledger's root just before the decision was appended, as the
    # docs say anyone can check with `coop ledger proof <index - 1> --size <index>`.
    idx = p.decision_entry_index
    assert idx >= 3
    assert proofs.inclusion(db, coop, idx - 1, idx).root.hex() == lot["root"] == body["election"]["ledger_root"]

    program = python_snippet("offices.md", "coop ledger show 17 | tail -n +3")
    shown = json.dumps(body, indent=2, ensure_ascii=False)  # what `coop ledger show` prints after 2 lines
    done = run_snippet(program, shown)
    order = [t["member_id"] for t in lot["tied"]]
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"lot order recomputed: {order} recorded: {order}"
    root = bytes.fromhex(lot["root"])
    assert order == sorted(order, key=lambda m: hashlib.sha256(root + str(m).encode("ascii")).digest())

    lot["tied"][0]["key"] = "0" * 64
    forged = run_snippet(program, json.dumps(body))
    assert forged.returncode != 0 and "a recorded key is wrong" in forged.stderr


def test_a_tie_below_the_last_seat_draws_no_lot(db, coop, people):
    a, b, c = people[:3]
    p = call(db, coop, "council", people[0])
    for m in (a, b, c):
        stand(db, coop, p, m)
    open_vote(db, coop, p, people[0])
    for voter, approved in zip(people, [(a, b), (a, b), (a, b, c), (a, b), (c,), ()]):
        approve(db, coop, p, voter, *approved)
    body = record(db, coop, p)["election"]
    assert body["elected"] == sorted([a.id, b.id]) and body["lot"] is None


def test_one_candidate_for_two_seats_leaves_a_vacancy(db, coop, people):
    only = people[1]
    p = call(db, coop, "council", people[0])
    stand(db, coop, p, only)
    open_vote(db, coop, p, people[0])
    for v in people[:4]:
        approve(db, coop, p, v, only)
    close(db, coop, p)
    assert p.outcome == "passed"
    body = record(db, coop, p)["election"]
    assert (body["elected"], body["vacant_seats"]) == ([only.id], 1)
    assert "1 seat remains vacant" in p.outcome_reason
    council = next(s for s in offices.holders(db, coop.id, p.closed_at) if s.key == "council")
    assert ([t.member_id for t in council.holders], council.vacancies) == ([only.id], 1)


def test_quorum_met_only_by_abstentions_elects_nobody(db, coop, people):
    p = call(db, coop, "council", people[0])
    stand(db, coop, p, people[1])
    open_vote(db, coop, p, people[0])
    for v in people[:3]:  # 3 of 6 take part: exactly the quorum of 1/2
        approve(db, coop, p, v)
    close(db, coop, p)
    assert (p.outcome, p.failed_test, p.yes_count, p.abstain_count) == ("failed", "no_base", 0, 3)
    assert "no ballot approved any candidate" in p.outcome_reason
    body = record(db, coop, p)["election"]
    assert (body["elected"], body["vacant_seats"]) == ([], 2)
    assert offices.current_terms(db, coop.id, p.closed_at, office_key="council") == []


def test_an_election_below_quorum_elects_nobody_and_the_sitting_holders_stay(db, coop, people):
    p = call(db, coop, "council", people[0])
    stand(db, coop, p, people[1])
    open_vote(db, coop, p, people[0])
    approve(db, coop, p, people[0], people[1])
    approve(db, coop, p, people[2], people[1])
    close(db, coop, p)
    assert (p.outcome, p.failed_test) == ("failed", "quorum")
    assert "2 of 6" in p.outcome_reason and p.executed_at is None


def test_a_candidate_short_of_the_threshold_is_not_elected_even_with_a_seat_free(db, coop, people):
    a, b = people[1], people[2]
    p = call(db, coop, "council", people[0])
    stand(db, coop, p, a)
    stand(db, coop, p, b)
    open_vote(db, coop, p, people[0])
    for voter, approved in zip(people, [(a,), (a,), (a, b), (a,), (b,)]):
        approve(db, coop, p, voter, *approved)
    close(db, coop, p)
    body = record(db, coop, p)["election"]
    assert body["elected"] == [a.id] and body["vacant_seats"] == 1  # b had 2 of 5: not more than half


def test_approval_ballots_name_standing_candidates_once_each_and_nothing_else(db, coop, people):
    p = call(db, coop, "council", people[0])
    stand(db, coop, p, people[1])
    open_vote(db, coop, p, people[0])
    before = snapshot(db)
    for choice, approvals, says in [
        ("approve", [], "approve at least one candidate"),
        ("approve", None, "approve at least one candidate"),
        ("approve", [people[1].id, people[1].id], "at most once"),
        ("approve", [people[2].id], "not standing in this election"),
        ("approve", ["1"], "member ids"),
        ("yes", None, "choose one of abstain, approve"),
    ]:
        with pytest.raises(InvalidInput, match=says):
            proposals.cast_ballot(db, as_member(people[3]), coop, p.id, choice, approvals=approvals,
                                  now=p.voting_opened_at)
    assert_unchanged(db, before)


def test_an_approval_ballot_can_be_changed_until_close_and_the_last_counts(db, coop, people):
    a, b = people[1], people[2]
    p = call(db, coop, "treasurer", people[0])
    for m in (a, b):
        qualify(db, coop, m, "accounting", 6)
        stand(db, coop, p, m)
    open_vote(db, coop, p, people[0])
    approve(db, coop, p, people[3], a)
    approve(db, coop, p, people[3], b)
    for v in people[:3]:
        approve(db, coop, p, v, b)
    close(db, coop, p)
    history = db.scalars(select(BallotChange).where(BallotChange.proposal_id == p.id,
                                                    BallotChange.member_id == people[3].id)
                         .order_by(BallotChange.id)).all()
    assert [h.approvals for h in history] == [[a.id], [b.id]]
    assert record(db, coop, p)["election"]["elected"] == [b.id]


def test_a_nominee_stands_only_on_accepting_and_affirming_the_pale(db, coop, people):
    nominee = people[1]
    p = call(db, coop, "council", people[0])
    c = elections.nominate(db, as_member(people[0]), coop, p.id, nominee, now=T0)
    assert (c.status, c.nominated_by_id, c.affirmed_pale_version) == ("nominated", people[0].id, None)
    with pytest.raises(InvalidInput, match="tick the box to affirm the pale"):
        elections.stand(db, as_member(nominee), coop, p.id, None, now=T0)
    with pytest.raises(Conflict, match="the pale has changed"):
        elections.stand(db, as_member(nominee), coop, p.id, "pale.standing v0", now=T0)
    c = stand(db, coop, p, nominee)
    assert (c.status, c.affirmed_pale_version) == ("standing", "pale.standing v1")
    assert "no conflict of interest" in c.affirmed_pale_text
    assert affirmation(db, coop) == "pale.standing v1"


def test_accepting_without_a_nomination_is_refused_and_changes_nothing(db, coop, people):
    p = call(db, coop, "council", people[0])
    before = snapshot(db)
    with pytest.raises(Conflict, match="no nomination to accept"):
        elections.accept_nomination(db, as_member(people[1]), coop, p.id, "pale.standing v1", now=T0)
    assert_unchanged(db, before)
    elections.nominate(db, as_member(people[0]), coop, p.id, people[1], now=T0)
    c = elections.accept_nomination(db, as_member(people[1]), coop, p.id, "pale.standing v1", now=T0)
    assert (c.status, c.nominated_by_id) == ("standing", people[0].id)
    with pytest.raises(Conflict, match="your candidacy is standing"):
        elections.accept_nomination(db, as_member(people[1]), coop, p.id, "pale.standing v1", now=T0)


def test_a_nominee_may_decline_and_a_candidate_may_withdraw_until_voting_opens(db, coop, people):
    p = call(db, coop, "council", people[0])
    elections.nominate(db, as_member(people[0]), coop, p.id, people[1], now=T0)
    assert elections.decline(db, as_member(people[1]), coop, p.id, now=T0).status == "declined"
    with pytest.raises(Conflict, match="already"):
        elections.nominate(db, as_member(people[2]), coop, p.id, people[1], now=T0)
    stand(db, coop, p, people[2])
    stand(db, coop, p, people[3])
    assert elections.withdraw_candidacy(db, as_member(people[3]), coop, p.id, now=T0).status == "withdrawn"
    open_vote(db, coop, p, people[0])
    with pytest.raises(Conflict, match="candidacies are fixed"):
        elections.withdraw_candidacy(db, as_member(people[2]), coop, p.id, now=p.voting_opened_at)
    statuses = {c.member.id: c.status for c in elections.candidacies(db, p.id)}
    assert statuses == {people[1].id: "declined", people[2].id: "standing", people[3].id: "withdrawn"}
    assert p.details["candidates"] == [people[2].id]


def test_nominations_close_with_the_nomination_period(db, coop, people):
    p = call(db, coop, "council", people[0])
    assert p.deliberation_ends_at == T0 + dt.timedelta(days=7)
    with pytest.raises(Conflict, match="nominations closed"):
        stand(db, coop, p, people[1], at=p.deliberation_ends_at)
    with pytest.raises(InvalidInput, match="stand"):
        elections.nominate(db, as_member(people[1]), coop, p.id, people[1], now=T0)


def test_candidates_vote_like_any_member(db, coop, people):
    p = call(db, coop, "council", people[0])
    stand(db, coop, p, people[1])
    open_vote(db, coop, p, people[0])
    assert p.electorate_size == 6
    approve(db, coop, p, people[1], people[1])


def test_only_one_election_per_office_is_under_way_at_a_time(db, coop, people):
    p = call(db, coop, "council", people[0])
    with pytest.raises(Conflict, match=f"already under way \\(proposal {p.id}\\)"):
        elections.draft_election(db, as_member(people[1]), coop, "council", now=NOW)
    with pytest.raises(InvalidInput, match="has 1 seat\\(s\\): an election fills at least 1 and at most 1"):
        elections.draft_election(db, as_member(people[1]), coop, "treasurer", seats=2, now=NOW)
    with pytest.raises(NotFound, match="no office 'mayor'"):
        elections.draft_election(db, as_member(people[1]), coop, "mayor", now=NOW)


def test_a_by_election_fills_vacancies_and_replaces_nobody(db, coop, people):
    first = call(db, coop, "council", people[0])
    stand(db, coop, first, people[1])
    open_vote(db, coop, first, people[0])
    for v in people:
        approve(db, coop, first, v, people[1])
    at = first.closed_at + dt.timedelta(days=30)
    by = call(db, coop, "council", people[0], at=at, seats=1)
    assert by.title == "By-election: Works council" and by.details["regular"] is False
    with pytest.raises(PolicyViolation, match="holds Works council already"):
        stand(db, coop, by, people[1], at=at)
    stand(db, coop, by, people[2], at=at)
    open_vote(db, coop, by, people[0])
    for v in people:
        approve(db, coop, by, v, people[2])
    council = next(s for s in offices.holders(db, coop.id, by.closed_at) if s.key == "council")
    assert sorted(t.member_id for t in council.holders) == [people[1].id, people[2].id]
    assert council.vacancies == 0


def test_candidacies_are_unique_per_member_per_election_in_the_database(db, coop, people):
    from sqlalchemy.exc import IntegrityError

    p = call(db, coop, "council", people[0])
    stand(db, coop, p, people[1])
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Candidacy(proposal_id=p.id, member_id=people[1].id, nominated_by_id=people[2].id,
                         status="nominated", nominated_at=T0))
        db.flush()
