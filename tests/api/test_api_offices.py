"""Offices, terms, elections, recalls, learning records and the education report through the
API: every answer is checked against the published spec by the ``api`` client."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select

from coop.governance.offices import add_months
from coop.models import BallotChange, Proposal
from coop.services import education, elections, offices, pale, proposals
from tests.api.conftest import make_token
from tests.clock import NOW, TODAY
from tests.dbstate import assert_unchanged, snapshot
from tests.docsnippets import python_snippet, run_snippet
from tests.factories import as_member, make_coop, make_member
from tests.office_factories import found, qualify, senior
from tests.querycount import count_queries


@pytest.fixture
def coop(db, keys):
    c = make_coop(db, keys)
    found(db, c, "council", "Works council", seats=2, term_months=12, requires="")
    found(db, c)  # treasurer: one seat, accounting:6
    return c


@pytest.fixture
def people(db, coop):
    return [senior(db, coop) for _ in range(5)]


@pytest.fixture
def tokens(db, coop, people):
    return [make_token(db, coop, m) for m in people]


def base(coop):
    return f"/api/v1/coops/{coop.slug}"


def _end_nominations(db, election_id):
    """Move the nomination period into the past (the API has no clock parameter)."""
    p = db.get(Proposal, election_id)
    p.deliberation_ends_at = NOW - dt.timedelta(seconds=1)
    db.flush()


def _called(api, coop, token, office_key="council", **body):
    r = api.post(base(coop) + "/elections", token=token, json={"office_key": office_key, **body})
    assert r.status_code == 201, r.get_json()
    eid = r.get_json()["id"]
    assert api.post(f"{base(coop)}/proposals/{eid}/open-deliberation", token=token).status_code == 200
    return eid


def _pale_version(api, coop, token, eid):
    return api.get(f"{base(coop)}/elections/{eid}", token=token).get_json()["pale"]["version"]


def _stand(api, coop, token, eid):
    r = api.post(f"{base(coop)}/elections/{eid}/candidacies", token=token,
                 json={"affirmed_pale_version": _pale_version(api, coop, token, eid)})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _open_voting(db, api, coop, token, eid):
    _end_nominations(db, eid)
    r = api.post(f"{base(coop)}/proposals/{eid}/open-voting", token=token)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# -- offices and terms -------------------------------------------------------------------------

def test_offices_are_public_with_requirements_seats_term_length_and_holders(db, coop, people, api):
    t = offices.start_term(db, coop.id, offices.get_office(db, coop.id, "treasurer"), people[0].id, NOW, None)
    r = api.get(base(coop) + "/offices")  # no token: the co-op publishes
    assert r.status_code == 200
    by_key = {o["key"]: o for o in r.get_json()["items"]}
    assert set(by_key) == {"council", "treasurer"}
    tr = by_key["treasurer"]
    assert (tr["name"], tr["seats"], tr["term_months"], tr["rule_key"]) == ("Treasurer", 1, 24, "office.treasurer")
    assert tr["requires"] == [{"field": "accounting", "level": 6}]
    assert [(h["member_id"], h["member_name"], h["id"]) for h in tr["holders"]] == [(people[0].id, people[0].name, t.id)]
    assert tr["vacancies"] == 0 and by_key["council"]["vacancies"] == 2
    one = api.get(base(coop) + "/offices/treasurer").get_json()
    assert one["holders"][0]["ends_at"] == tr["holders"][0]["ends_at"]
    # Before the term started, the seat was vacant.
    yesterday = (NOW - dt.timedelta(days=1)).date().isoformat()
    old = {o["key"]: o for o in api.get(base(coop) + f"/offices?as_of={yesterday}").get_json()["items"]}
    assert old["treasurer"]["holders"] == [] and old["treasurer"]["vacancies"] == 1


def test_offices_page_with_a_cursor_and_a_link_header(db, coop, api):
    found(db, coop, "auditor", "Auditor", requires="")
    first = api.get(base(coop) + "/offices?limit=2")
    assert [o["key"] for o in first.get_json()["items"]] == ["auditor", "council"]
    cursor = first.get_json()["next_cursor"]
    assert cursor and 'rel="next"' in first.headers["Link"]
    second = api.get(base(coop) + f"/offices?limit=2&cursor={cursor}").get_json()
    assert [o["key"] for o in second["items"]] == ["treasurer"] and second["next_cursor"] is None


def test_an_unknown_office_or_a_bad_query_is_a_problem(coop, api):
    r = api.get(base(coop) + "/offices/chancellor")
    assert r.status_code == 404 and r.get_json()["errors"][0]["field"] == "office_key"
    r = api.get(base(coop) + "/terms?as_of=yesterday")
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "as_of"
    r = api.get(base(coop) + "/offices?cursor=not-a-cursor")
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "cursor"


def test_a_coop_that_does_not_publish_shows_offices_and_terms_to_members_only(db, coop, people, tokens, api):
    coop.public_pages = False
    db.flush()
    for path in ("/offices", "/offices/treasurer", "/terms"):
        assert api.get(base(coop) + path).status_code == 401
        assert api.get(base(coop) + path, token=tokens[0]).status_code == 200


def test_terms_keep_past_holders_filter_by_office_and_date_and_show_how_they_ended(db, coop, people, api):
    council = offices.get_office(db, coop.id, "council")
    long_ago = add_months(NOW, -30)
    old = offices.start_term(db, coop.id, council, people[0].id, long_ago, None)  # ran out 18 months ago
    offices.expire_due(db, coop.id, NOW)
    cur = offices.start_term(db, coop.id, council, people[1].id, NOW - dt.timedelta(days=3), None)
    tre = offices.start_term(db, coop.id, offices.get_office(db, coop.id, "treasurer"), people[2].id, NOW, None)

    every = api.get(base(coop) + "/terms").get_json()["items"]
    assert [t["id"] for t in every] == [tre.id, cur.id, old.id]  # newest first
    past = next(t for t in every if t["id"] == old.id)
    assert past["end_reason"] == "expiry" and past["ended_at"] == past["ends_at"]
    council_terms = api.get(base(coop) + "/terms?office_key=council").get_json()["items"]
    assert [t["id"] for t in council_terms] == [cur.id, old.id]
    then = add_months(NOW, -24).date().isoformat()
    assert [t["member_id"] for t in api.get(base(coop) + f"/terms?as_of={then}").get_json()["items"]] == [people[0].id]
    assert [t["id"] for t in api.get(base(coop) + f"/terms?member_id={people[2].id}").get_json()["items"]] == [tre.id]
    one = api.get(base(coop) + f"/terms/{old.id}").get_json()
    assert (one["member_name"], one["office_key"]) == (people[0].name, "council")
    assert api.get(base(coop) + "/terms/999999").status_code == 404
    page = api.get(base(coop) + "/terms?limit=2").get_json()
    rest = api.get(base(coop) + f"/terms?limit=2&cursor={page['next_cursor']}").get_json()
    assert [t["id"] for t in page["items"] + rest["items"]] == [tre.id, cur.id, old.id]


# -- elections -----------------------------------------------------------------------------------

def test_an_election_from_call_to_outcome_through_the_api(db, coop, people, tokens, api):
    a, b, c, d, e = people
    ta, tb, tc, td, te = tokens
    eid = _called(api, coop, ta)
    election = api.get(f"{base(coop)}/elections/{eid}", token=tb).get_json()
    assert (election["office_key"], election["seats"], election["regular"]) == ("council", 2, True)
    assert election["nominations_open"] is True and election["pale"]["version"].startswith("pale.")

    mine = _stand(api, coop, ta, eid)
    assert (mine["member_id"], mine["status"], mine["nominated_by_id"]) == (a.id, "standing", a.id)
    assert mine["affirmed_pale_version"] == election["pale"]["version"]
    r = api.post(f"{base(coop)}/elections/{eid}/nominations", token=ta, json={"member_id": b.id})
    assert r.status_code == 201 and r.get_json()["status"] == "nominated"
    api.post(f"{base(coop)}/elections/{eid}/nominations", token=ta, json={"member_id": c.id})
    r = api.post(f"{base(coop)}/elections/{eid}/candidacy/accept", token=tb,
                 json={"affirmed_pale_version": election["pale"]["version"]})
    assert r.status_code == 200 and r.get_json()["status"] == "standing"
    r = api.post(f"{base(coop)}/elections/{eid}/candidacy/decline", token=tc)
    assert r.status_code == 200 and r.get_json()["status"] == "declined"
    listed = api.get(f"{base(coop)}/elections/{eid}/candidacies", token=te).get_json()["items"]
    assert [(x["member_id"], x["status"]) for x in listed] == [(a.id, "standing"), (b.id, "standing"),
                                                               (c.id, "declined")]

    opened = _open_voting(db, api, coop, ta, eid)
    assert opened["status"] == "voting"
    assert sorted(api.get(f"{base(coop)}/elections/{eid}", token=ta).get_json()["candidates"]) == sorted([a.id, b.id])
    assert api.get(f"{base(coop)}/elections/{eid}/outcome", token=tc).status_code == 409  # not closed yet
    assert api.get(f"{base(coop)}/elections/{eid}/outcome").status_code == 401  # still members' business

    r = api.put(f"{base(coop)}/elections/{eid}/ballot", token=ta, json={"abstain": True})
    assert r.status_code == 200 and r.get_json()["choice"] == "abstain"
    r = api.put(f"{base(coop)}/elections/{eid}/ballot", token=ta, json={"approvals": [a.id, b.id]})
    ballot = r.get_json()
    assert (ballot["choice"], ballot["approvals"]) == ("approve", sorted([a.id, b.id]))
    assert [h["choice"] for h in ballot["history"]] == ["abstain", "approve"]
    assert api.get(f"{base(coop)}/elections/{eid}/ballot", token=ta).get_json()["history"] == ballot["history"]
    assert api.get(f"{base(coop)}/elections/{eid}/ballot", token=tb).status_code == 404  # not voted yet
    for t in (tb, tc):
        api.put(f"{base(coop)}/elections/{eid}/ballot", token=t, json={"approvals": [a.id]})
    api.put(f"{base(coop)}/elections/{eid}/ballot", token=td, json={"approvals": [b.id]})
    api.put(f"{base(coop)}/elections/{eid}/ballot", token=te, json={"abstain": True})  # all voted: closes

    out = api.get(f"{base(coop)}/elections/{eid}/outcome").get_json()  # public, no token
    assert out["outcome"] == "passed" and (out["ballots_cast"], out["abstentions"]) == (4, 1)
    assert [(x["member_id"], x["approvals"], x["elected"]) for x in out["candidates"]] == [
        (a.id, 3, True), (b.id, 2, False)]  # b's 2 of 4 is not more than half
    assert out["elected"] == [a.id] and out["vacant_seats"] == 1 and out["lot"] is None
    assert "vacant" in out["reason"]
    terms = api.get(base(coop) + "/terms?office_key=council").get_json()["items"]
    assert [(t["member_id"], t["election_id"]) for t in terms] == [(a.id, eid)]
    council = api.get(base(coop) + "/offices/council").get_json()
    assert council["vacancies"] == 1


def test_a_candidacy_outside_the_pale_is_refused_naming_the_boundary_and_the_numbers(db, coop, people, tokens, api):
    junior = make_member(db, coop, active_since=add_months(NOW, -5) - dt.timedelta(days=1))
    tj = make_token(db, coop, junior)
    eid = _called(api, coop, tokens[0])
    version = _pale_version(api, coop, tj, eid)
    before = snapshot(db)
    r = api.post(f"{base(coop)}/elections/{eid}/candidacies", token=tj, json={"affirmed_pale_version": version})
    assert r.status_code == 422
    assert r.get_json()["errors"] == [{"field": "pale.min_tenure_months",
                                       "message": "active for 5 months; the rules require 6"}]
    r = api.post(f"{base(coop)}/elections/{eid}/nominations", token=tokens[0], json={"member_id": junior.id})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "pale.min_tenure_months"
    assert_unchanged(db, before)
    elig = api.get(f"{base(coop)}/elections/{eid}/eligibility", token=tj).get_json()
    assert elig["eligible"] is False
    assert elig["breaches"] == [{"boundary": "pale.min_tenure_months", "message": "active for 5 months; the rules require 6"}]
    assert api.get(f"{base(coop)}/elections/{eid}/eligibility", token=tokens[1]).get_json()["eligible"] is True


def test_the_treasurers_requirement_names_the_qualification_and_the_level_held(db, coop, people, tokens, api):
    qualify(db, coop, people[1], "accounting", 5)
    eid = _called(api, coop, tokens[0], "treasurer")
    r = api.post(f"{base(coop)}/elections/{eid}/candidacies", token=tokens[1],
                 json={"affirmed_pale_version": _pale_version(api, coop, tokens[1], eid)})
    assert r.status_code == 422
    (err,) = r.get_json()["errors"]
    assert err["field"] == "office.treasurer.requires" and "accounting at EQF level 6" in err["message"]
    assert "level 5" in err["message"]


@pytest.mark.parametrize("body, field", [
    ({}, "affirmed_pale_version"),
    ({"affirmed_pale_version": ""}, "affirmed_pale_version"),
    ({"affirmed_pale_version": 5}, "affirmed_pale_version"),
])
def test_standing_without_affirming_the_pale_is_refused_and_writes_nothing(db, coop, people, tokens, api, body, field):
    eid = _called(api, coop, tokens[0])
    before = snapshot(db)
    r = api.post(f"{base(coop)}/elections/{eid}/candidacies", token=tokens[1], json=body)
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == field
    assert_unchanged(db, before)


def test_a_candidate_stands_with_a_statement_and_one_over_the_limit_is_refused_and_writes_nothing(
        db, coop, people, tokens, api):
    eid = _called(api, coop, tokens[0])
    version = _pale_version(api, coop, tokens[1], eid)
    before = snapshot(db)
    long = api.post(f"{base(coop)}/elections/{eid}/candidacies", token=tokens[1],
                    json={"affirmed_pale_version": version, "statement": "x" * 1001})
    assert long.status_code == 422 and long.get_json()["errors"][0]["field"] == "statement"
    assert_unchanged(db, before)
    r = api.post(f"{base(coop)}/elections/{eid}/candidacies", token=tokens[1],
                 json={"affirmed_pale_version": version, "statement": "Minutes within a week."})
    assert r.status_code == 201 and r.get_json()["statement"] == "Minutes within a week."
    listed = api.get(f"{base(coop)}/elections/{eid}/candidacies", token=tokens[0]).get_json()["items"]
    assert [c["statement"] for c in listed] == ["Minutes within a week."]


def test_affirming_an_outdated_pale_version_is_a_conflict(db, coop, people, tokens, api):
    eid = _called(api, coop, tokens[0])
    r = api.post(f"{base(coop)}/elections/{eid}/candidacies", token=tokens[1],
                 json={"affirmed_pale_version": "pale.standing v0"})
    assert r.status_code == 409 and r.get_json()["errors"][0]["field"] == "affirmed_pale_version"


def test_accepting_without_a_nomination_and_scopes_are_refused(db, coop, people, tokens, api):
    eid = _called(api, coop, tokens[0])
    version = _pale_version(api, coop, tokens[1], eid)
    read_only = make_token(db, coop, people[2], "read")
    before = snapshot(db)
    r = api.post(f"{base(coop)}/elections/{eid}/candidacy/accept", token=tokens[1],
                 json={"affirmed_pale_version": version})
    assert r.status_code == 409
    r = api.post(f"{base(coop)}/elections/{eid}/candidacies", token=read_only, json={"affirmed_pale_version": version})
    assert r.status_code == 403 and "propose" in r.get_json()["detail"]
    assert api.post(f"{base(coop)}/elections/{eid}/candidacies", json={"affirmed_pale_version": version}).status_code == 401
    r = api.post(f"{base(coop)}/elections/{eid}/nominations", token=tokens[0], json={"member_id": 999999})
    assert r.status_code == 404
    assert_unchanged(db, before)


def test_a_general_proposal_is_not_an_election(db, coop, people, tokens, api):
    p = proposals.draft_general(db, as_member(people[0]), coop, "Buy a lathe", "", now=NOW)
    proposals.open_deliberation(db, as_member(people[0]), coop, p.id, now=NOW)
    for path in ("", "/candidacies", "/eligibility"):
        r = api.get(f"{base(coop)}/elections/{p.id}{path}", token=tokens[0])
        assert r.status_code == 404, path


def test_a_bad_approval_ballot_is_refused_and_writes_nothing(db, coop, people, tokens, api):
    eid = _called(api, coop, tokens[0])
    _stand(api, coop, tokens[0], eid)
    _open_voting(db, api, coop, tokens[0], eid)
    before = snapshot(db)
    for body, field in [({}, "approvals"), ({"approvals": []}, "approvals"),
                        ({"approvals": [people[3].id]}, "approvals"),
                        ({"approvals": [people[0].id, people[0].id]}, "approvals"),
                        ({"approvals": ["x"]}, "approvals.0"),
                        ({"approvals": [people[0].id], "abstain": True}, "abstain")]:
        r = api.put(f"{base(coop)}/elections/{eid}/ballot", token=tokens[1], json=body)
        assert r.status_code == 422, body
        assert r.get_json()["errors"][0]["field"] == field, (body, r.get_json())
    assert_unchanged(db, before)
    assert db.scalars(select(BallotChange).where(BallotChange.proposal_id == eid)).all() == []


def test_a_tie_at_the_last_seat_shows_the_lots_inputs_and_anyone_can_recompute_it(db, coop, people, tokens, api):
    a, b, c, d, e = people
    eid = _called(api, coop, tokens[0])
    for t in tokens[:3]:
        _stand(api, coop, t, eid)
    _open_voting(db, api, coop, tokens[0], eid)
    for t, approved in zip(tokens, [(a, b), (a, c), (a, b, c), (b, c), ()]):
        body = {"approvals": [m.id for m in approved]} if approved else {"abstain": True}
        assert api.put(f"{base(coop)}/elections/{eid}/ballot", token=t, json=body).status_code == 200
    out = api.get(f"{base(coop)}/elections/{eid}/outcome").get_json()
    assert {x["member_id"]: x["approvals"] for x in out["candidates"]} == {a.id: 3, b.id: 3, c.id: 3}
    lot = out["lot"]
    assert lot["root"] == out["ledger_root"]
    root = bytes.fromhex(lot["root"])
    keys = {m.id: hashlib.sha256(root + str(m.id).encode("ascii")).hexdigest() for m in (a, b, c)}
    assert [t["member_id"] for t in lot["tied"]] == sorted(keys, key=keys.get)
    assert [t["key"] for t in lot["tied"]] == sorted(keys.values())
    assert out["elected"] == sorted(keys, key=keys.get)[:2] and out["vacant_seats"] == 0
    assert "SHA-256" in out["lot_method"]
    # The program docs/api-offices.md gives readers, run on this outcome as the API sent it.
    program = python_snippet("api-offices.md", 'curl -s "$API/elections/7/outcome" | python3')
    order = [t["member_id"] for t in lot["tied"]]
    done = run_snippet(program, json.dumps(out))
    assert done.returncode == 0 and done.stdout.strip() == f"lot order recomputed: {order} recorded: {order}", done
    closed = api.get(f"{base(coop)}/elections/{eid}")  # a decision: public, no token
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    coop.public_pages = False
    db.flush()
    assert api.get(f"{base(coop)}/elections/{eid}/outcome").status_code == 401
    assert api.get(f"{base(coop)}/elections/{eid}/outcome", token=tokens[4]).status_code == 200


def test_the_outcome_of_a_proposal_that_is_no_election_is_not_found(db, coop, people, tokens, api):
    p = proposals.draft_general(db, as_member(people[0]), coop, "Buy a lathe", "", now=NOW)
    proposals.open_deliberation(db, as_member(people[0]), coop, p.id, now=NOW)
    r = api.get(f"{base(coop)}/elections/{p.id}/outcome", token=tokens[0])
    assert r.status_code == 404 and r.get_json()["errors"][0]["field"] == "election"


def test_an_open_election_is_for_members_and_a_draft_for_its_author(db, coop, people, tokens, api):
    r = api.post(base(coop) + "/elections", token=tokens[0], json={"office_key": "council", "seats": 1})
    eid = r.get_json()["id"]
    assert r.get_json()["details"]["regular"] is False  # one of two seats: a by-election
    assert api.get(f"{base(coop)}/elections/{eid}", token=tokens[1]).status_code == 404  # someone else's draft
    assert api.get(f"{base(coop)}/elections/{eid}", token=tokens[0]).status_code == 200
    api.post(f"{base(coop)}/proposals/{eid}/open-deliberation", token=tokens[0])
    assert api.get(f"{base(coop)}/elections/{eid}").status_code == 401
    assert api.get(f"{base(coop)}/elections/{eid}/candidacies").status_code == 401


@pytest.mark.parametrize("body, status, field", [
    ({"office_key": "chancellor"}, 404, "office_key"),
    ({"office_key": "council", "seats": 3}, 422, "seats"),
    ({"office_key": "council", "seats": "2"}, 422, "seats"),
    ({"office_key": "Not A Key"}, 422, "office_key"),
    ({}, 422, "office_key"),
])
def test_calling_a_bad_election_is_refused_and_writes_nothing(db, coop, people, tokens, api, body, status, field):
    before = snapshot(db)
    r = api.post(base(coop) + "/elections", token=tokens[0], json=body)
    assert r.status_code == status and r.get_json()["errors"][0]["field"] == field
    assert_unchanged(db, before)


def test_a_second_election_for_an_office_under_way_is_a_conflict(db, coop, people, tokens, api):
    _called(api, coop, tokens[0])
    before = snapshot(db)
    r = api.post(base(coop) + "/elections", token=tokens[1], json={"office_key": "council"})
    assert r.status_code == 409
    assert_unchanged(db, before)


# -- recalls -------------------------------------------------------------------------------------

def test_a_recalled_treasurers_term_ends_and_the_office_shows_the_vacancy(db, coop, people, tokens, api):
    holder = people[0]
    qualify(db, coop, holder, "accounting", 6)
    t = offices.start_term(db, coop.id, offices.get_office(db, coop.id, "treasurer"), holder.id, NOW, None)
    r = api.post(base(coop) + "/recalls", token=tokens[1], json={"term_id": t.id, "body": "Books unkept."})
    assert r.status_code == 201
    rid = r.get_json()["id"]
    assert (r.get_json()["kind"], r.get_json()["subject_member_id"]) == ("recall", holder.id)
    api.post(f"{base(coop)}/proposals/{rid}/open-deliberation", token=tokens[1])
    _end_nominations(db, rid)
    opened = api.post(f"{base(coop)}/proposals/{rid}/open-voting", token=tokens[1]).get_json()
    assert opened["electorate_size"] == 4  # the holder is recused
    for tok in tokens[1:]:
        api.put(f"{base(coop)}/proposals/{rid}/ballot", token=tok, json={"choice": "yes"})
    assert api.get(f"{base(coop)}/proposals/{rid}/outcome").get_json()["outcome"] == "passed"
    term = api.get(f"{base(coop)}/terms/{t.id}").get_json()
    assert (term["end_reason"], term["recall_id"]) == ("recall", rid)
    treasurer = api.get(base(coop) + "/offices/treasurer").get_json()
    assert treasurer["holders"] == [] and treasurer["vacancies"] == 1


def test_recalling_an_unknown_or_ended_term_is_refused_and_writes_nothing(db, coop, people, tokens, api):
    t = offices.start_term(db, coop.id, offices.get_office(db, coop.id, "council"), people[0].id,
                           add_months(NOW, -13), None)
    before = snapshot(db)
    assert api.post(base(coop) + "/recalls", token=tokens[1], json={"term_id": 999999}).status_code == 404
    r = api.post(base(coop) + "/recalls", token=tokens[1], json={"term_id": t.id})
    assert r.status_code == 409 and r.get_json()["errors"][0]["field"] == "term_id"
    assert api.post(base(coop) + "/recalls", token=tokens[1], json={"term_id": "1"}).status_code == 422
    assert_unchanged(db, before)


# -- learning records and the education report ----------------------------------------------------

def _record(**kw):
    return {"title": "Cost accounting", "provider": "Open University", "kind": "course", "hours": "12.50",
            "started_on": (TODAY - dt.timedelta(days=30)).isoformat(),
            "ended_on": TODAY.isoformat(), "status": "completed", **kw}


def test_members_record_their_learning_and_the_report_adds_it_up(db, coop, people, tokens, api):
    r = api.post(base(coop) + "/learning-records", token=tokens[0], json=_record())
    assert r.status_code == 201
    rec = r.get_json()
    assert (rec["member_id"], rec["hours"], rec["created_by_id"]) == (people[0].id, "12.50", people[0].id)
    api.post(base(coop) + "/learning-records", token=tokens[0], json=_record(hours="7.5", kind="self-study"))
    api.post(base(coop) + "/learning-records", token=tokens[1], json=_record(hours="3"))
    api.post(base(coop) + "/learning-records", token=tokens[1],
             json=_record(status="planned", ended_on=None, hours="40"))  # planned: counts for nothing yet
    report = api.get(base(coop) + "/education/report", token=tokens[2]).get_json()
    assert report["year"] == NOW.year and report["policy"]["expected_hours_per_year"] == "40.00"
    hours = {m["member_id"]: m["completed"] for m in report["members"]}
    assert hours[people[0].id] == "20.00" and hours[people[1].id] == "3.00" and hours[people[2].id] == "0.00"
    assert report["total_hours"] == "23.00"
    assert report["years"][-1] == {"year": NOW.year, "hours": "23.00", "records": 3, "members": 2}
    mine = api.get(base(coop) + f"/learning-records?member_id={people[1].id}", token=tokens[0]).get_json()["items"]
    assert [x["hours"] for x in mine] == ["40.00", "3.00"]  # newest first
    done = api.get(base(coop) + "/learning-records?status=completed&limit=2", token=tokens[0]).get_json()
    rest = api.get(base(coop) + f"/learning-records?status=completed&limit=2&cursor={done['next_cursor']}",
                   token=tokens[0]).get_json()
    assert len(done["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert api.get(base(coop) + "/education/report?year=1999", token=tokens[0]).get_json()["total_hours"] == "0.00"
    assert api.get(base(coop) + "/education/report").status_code == 401
    assert api.get(base(coop) + "/learning-records").status_code == 401


@pytest.mark.parametrize("changes, field", [
    ({"hours": 12.5}, "hours"),
    ({"hours": "0"}, "hours"),
    ({"hours": "9000"}, "hours"),
    ({"hours": "1.234"}, "hours"),
    ({"ended_on": None}, "ended_on"),
    ({"kind": "seminar"}, "kind"),
    ({"title": ""}, "title"),
    ({"started_on": "2026-13-01"}, "started_on"),
    ({"qualification_field": "accounting"}, "qualification_level"),
    ({"qualification_field": "accounting", "qualification_level": 9}, "qualification_level"),
    ({"member_id": 999999}, "member"),
    # The same date window on every face; year 1 and year 9999 used to be accepted.
    ({"started_on": "0001-01-01"}, "started_on"),
    ({"ended_on": "9999-12-31"}, "ended_on"),
    ({"status": "planned", "ended_on": None,
      "started_on": (TODAY + dt.timedelta(days=366 * 20)).isoformat()}, "started_on"),
    ({"title": "Cost\r\naccounting"}, "title"),
    ({"provider": "Open\x1bUniversity"}, "provider"),
])
def test_a_bad_learning_record_is_refused_naming_the_field_and_writes_nothing(db, coop, people, tokens, api,
                                                                             changes, field):
    before = snapshot(db)
    r = api.post(base(coop) + "/learning-records", token=tokens[0], json=_record(**changes))
    assert r.status_code in (404, 422), r.get_json()
    assert r.get_json()["errors"][0]["field"] == field, r.get_json()
    assert_unchanged(db, before)


def test_a_secretary_records_anyones_learning_but_a_member_only_their_own(db, coop, people, tokens, api):
    sec = make_member(db, coop, role="secretary", active_since=add_months(NOW, -24))
    ts = make_token(db, coop, sec)
    r = api.post(base(coop) + "/learning-records", token=ts, json=_record(member_id=people[0].id))
    assert r.status_code == 201
    assert (r.get_json()["member_id"], r.get_json()["created_by_id"]) == (people[0].id, sec.id)
    before = snapshot(db)
    r = api.post(base(coop) + "/learning-records", token=tokens[1], json=_record(member_id=people[0].id))
    assert r.status_code == 403
    assert_unchanged(db, before)


def test_a_records_qualification_is_verified_by_the_secretary_and_then_meets_the_requirement(db, coop, people,
                                                                                           tokens, api):
    sec = make_member(db, coop, role="secretary", active_since=add_months(NOW, -24))
    ts = make_token(db, coop, sec)
    rec = api.post(base(coop) + "/learning-records", token=tokens[1],
                   json=_record(title="MSc Accounting", kind="degree", hours="900",
                                qualification_field="accounting", qualification_level=7)).get_json()
    narrow = make_token(db, coop, sec, "read", "propose")
    before = snapshot(db)
    assert api.post(f"{base(coop)}/learning-records/{rec['id']}/verify", token=narrow).status_code == 403
    assert api.post(f"{base(coop)}/learning-records/{rec['id']}/verify", token=tokens[1]).status_code == 403
    assert api.post(f"{base(coop)}/learning-records/{rec['id']}/verify", token=tokens[2]).status_code == 403
    assert_unchanged(db, before)
    r = api.post(f"{base(coop)}/learning-records/{rec['id']}/verify", token=ts)
    assert r.status_code == 200 and r.get_json()["qualification_id"] is not None
    assert api.post(f"{base(coop)}/learning-records/{rec['id']}/verify", token=ts).status_code == 409
    r = api.request("PATCH", f"{base(coop)}/learning-records/{rec['id']}", token=tokens[1], json={"hours": "901"})
    assert r.status_code == 409  # verified: final
    eid = _called(api, coop, tokens[0], "treasurer")
    assert api.get(f"{base(coop)}/elections/{eid}/eligibility", token=tokens[1]).get_json()["eligible"] is True


def test_a_learning_record_is_changed_by_its_member(db, coop, people, tokens, api):
    rec = api.post(base(coop) + "/learning-records", token=tokens[0],
                   json=_record(status="in_progress", ended_on=None)).get_json()
    r = api.request("PATCH", f"{base(coop)}/learning-records/{rec['id']}", token=tokens[0],
                    json={"status": "completed", "ended_on": TODAY.isoformat()})
    assert r.status_code == 200 and r.get_json()["status"] == "completed"
    before = snapshot(db)
    r = api.request("PATCH", f"{base(coop)}/learning-records/{rec['id']}", token=tokens[1], json={"hours": "1"})
    assert r.status_code == 403
    r = api.request("PATCH", f"{base(coop)}/learning-records/{rec['id']}", token=tokens[0], json={"ended_on": None})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "ended_on"
    assert_unchanged(db, before)
    assert api.get(f"{base(coop)}/learning-records/{rec['id']}", token=tokens[3]).get_json()["ended_on"]


# -- constant query counts ---------------------------------------------------------------------

def _world(db, keys, n):
    """A co-op with n offices, n terms, an election with n candidacies and n learning records."""
    c = make_coop(db, keys)
    ms = [senior(db, c) for _ in range(n + 1)]
    for i in range(n):
        found(db, c, f"office_{i}", f"Office {i}", seats=2, requires="")
    for i, m in enumerate(ms[:n]):
        offices.start_term(db, c.id, offices.get_office(db, c.id, f"office_{i}"), m.id, NOW, None)
        education.add_record(db, as_member(m), c, m, {k: v for k, v in _record(hours=str(i + 1)).items()}, now=NOW)
    p = elections.draft_election(db, as_member(ms[0]), c, "office_0", now=NOW)
    proposals.open_deliberation(db, as_member(ms[0]), c, p.id, now=NOW)
    for m in ms[1:n + 1]:
        elections.stand(db, as_member(m), c, p.id, pale.statement(db, c.id).version, now=NOW)
    return c, make_token(db, c, ms[0]), p.id


@pytest.mark.parametrize("path", ["/offices?limit=100", "/terms?limit=100", "/elections/{eid}/candidacies?limit=100",
                                  "/learning-records?limit=100", "/education/report", "/elections/{eid}",
                                  "/elections/{eid}/eligibility"])
def test_lists_take_a_constant_number_of_queries(db, keys, api, path):
    counts = []
    for n in (3, 12):
        c, token, eid = _world(db, keys, n)
        url = base(c) + path.format(eid=eid)
        with count_queries(db) as q:
            r = api.get(url, token=token)
        assert r.status_code == 200, r.get_json()
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_the_spec_documents_every_new_operation_with_its_tag(api):
    spec = api.spec
    tags = {op["tags"][0] for ops in spec["paths"].values() for op in ops.values()}
    assert {"offices", "elections", "education"} <= tags
    assert {"offices", "elections", "education"} <= {t["name"] for t in spec["tags"]}
    assert "patch" in spec["paths"]["/api/v1/coops/{slug}/learning-records/{record_id}"]
    stand_op = spec["paths"]["/api/v1/coops/{slug}/elections/{election_id}/candidacies"]["post"]
    assert "422" in stand_op["responses"] and "409" in stand_op["responses"]


def test_expert_opinions_of_qualified_members_are_shown_with_the_election(db, coop, people, tokens, api):
    q = qualify(db, coop, people[3], "accounting", 7)
    eid = _called(api, coop, tokens[0], "treasurer")
    r = api.post(f"{base(coop)}/proposals/{eid}/comments", token=tokens[3],
                 json={"body": "The books need a level-6 accountant.", "qualification_id": q.id})
    assert r.status_code == 201 and r.get_json()["kind"] == "expert_opinion"
    (opinion,) = api.get(f"{base(coop)}/elections/{eid}", token=tokens[1]).get_json()["expert_opinions"]
    assert opinion["author"] == people[3].name and opinion["expertise"].startswith("accounting, EQF 7")
    assert opinion["body"] == "The books need a level-6 accountant."
