"""Proposals through the API: drafting each kind, deliberation, voting, ballots, outcomes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from coop.models import Ballot, BallotChange, Proposal, RuleVersion
from coop.services import proposals, rules
from tests.api.conftest import make_token
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_coop, make_member, open_for_voting


def _setup(db, keys, n=3, **kw):
    coop = make_coop(db, keys)
    members = [make_member(db, coop, hourly_rate="20.00", **kw) for _ in range(n)]
    return coop, members, [make_token(db, coop, m) for m in members]


def _end_notice(db, proposal_id):
    """Move the notice period into the past (the API has no clock parameter)."""
    p = db.get(Proposal, proposal_id)
    p.deliberation_ends_at = NOW - dt.timedelta(seconds=1)
    db.flush()


def test_a_pay_adjustment_drafted_and_voted_through_the_api_appends_its_pay_entry(db, keys, api):
    coop, (alice, bob, carol), (ta, tb, tc) = _setup(db, keys)
    base = f"/api/v1/coops/{coop.slug}"
    r = api.post(base + "/proposals", token=ta, json={
        "kind": "pay_adjustment", "title": "Raise for Carol", "subject_member_id": carol.id,
        "pay_change": {"hourly_rate": "24.50", "reason": "skills"}})
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    assert r.get_json()["details"]["new"]["hourly_rate"] == "24.50"
    assert api.post(f"{base}/proposals/{pid}/open-deliberation", token=ta).get_json()["status"] == "deliberation"
    _end_notice(db, pid)
    opened = api.post(f"{base}/proposals/{pid}/open-voting", token=ta, json={}).get_json()
    assert opened["status"] == "voting" and opened["electorate_size"] == 2  # Carol is recused

    r = api.put(f"{base}/proposals/{pid}/ballot", token=ta, json={"choice": "no"})
    assert r.status_code == 200 and r.get_json()["choice"] == "no"
    r = api.put(f"{base}/proposals/{pid}/ballot", token=ta, json={"choice": "yes"})
    assert r.get_json()["changes"] == 1
    assert api.get(f"{base}/proposals/{pid}", token=tb).get_json()["ballots_cast"] == 1
    api.put(f"{base}/proposals/{pid}/ballot", token=tb, json={"choice": "yes"})  # all voted: closes

    outcome = api.get(f"{base}/proposals/{pid}/outcome").get_json()
    assert outcome["outcome"] == "passed" and outcome["tally"] == {"yes": 2, "no": 0, "abstain": 0}
    pay = api.get(f"{base}/pay").get_json()
    carol_line = next(x for x in pay["lines"] if x["member_id"] == carol.id)
    assert carol_line["hourly_rate"] == "24.50" and carol_line["proposal_id"] == pid
    entry = api.get(f"{base}/ledger/entries/{carol_line['entry_index']}").get_json()
    assert entry["body"]["proposal_id"] == pid and entry["body"]["hourly_rate"] == "24.50"
    assert len(db.scalars(select(BallotChange).where(BallotChange.proposal_id == pid)).all()) == 3


def test_the_subject_of_a_pay_adjustment_cannot_vote_on_it(db, keys, api):
    coop, (alice, bob, carol), (ta, tb, tc) = _setup(db, keys)
    p = proposals.draft_pay_adjustment(db, as_member(alice), coop, "Raise", "", carol,
                                       {"weekly_hours": Decimal("30.00"), "reason": "hours"}, now=NOW)
    open_for_voting(db, coop, p, alice)
    before = snapshot(db)
    r = api.put(f"/api/v1/coops/{coop.slug}/proposals/{p.id}/ballot", token=tc, json={"choice": "yes"})
    assert r.status_code == 403 and "electorate" in r.get_json()["detail"]
    assert_unchanged(db, before)


def test_a_pay_adjustment_that_breaks_the_pay_policy_is_refused_naming_the_field(db, keys, api):
    coop, (alice, bob, carol), (ta, _, _) = _setup(db, keys)
    before = snapshot(db)
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals", token=ta, json={
        "kind": "pay_adjustment", "title": "Huge raise", "subject_member_id": carol.id,
        "pay_change": {"hourly_rate": "99.00", "reason": "skills"}})
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "hourly_rate"
    assert_unchanged(db, before)


def test_a_rule_change_passed_through_the_api_creates_the_new_rule_version(db, keys, api):
    coop, members, toks = _setup(db, keys)
    base = f"/api/v1/coops/{coop.slug}"
    r = api.post(base + "/proposals", token=toks[0], json={
        "kind": "rule_change", "title": "Tools rule", "body": "why",
        "rule_change": {"action": "add", "rule_key": "tools.sharing", "title": "Sharing tools",
                        "text": "Tools are shared."}})
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    api.post(f"{base}/proposals/{pid}/open-deliberation", token=toks[0])
    _end_notice(db, pid)
    api.post(f"{base}/proposals/{pid}/open-voting", token=toks[0])
    for t in toks:
        api.put(f"{base}/proposals/{pid}/ballot", token=t, json={"choice": "yes"})
    rule = api.get(f"{base}/rules/tools.sharing").get_json()
    assert rule["version"] == 1 and rule["proposal_id"] == pid
    assert db.scalars(select(RuleVersion).where(RuleVersion.proposal_id == pid)).one()


def test_proposals_list_filters_by_status_and_kind(db, keys, api):
    coop, (alice, bob, _), (ta, tb, _) = _setup(db, keys)
    g1 = proposals.draft_general(db, as_member(alice), coop, "One", "", now=NOW)
    proposals.open_deliberation(db, as_member(alice), coop, g1.id, now=NOW)
    g2 = proposals.draft_general(db, as_member(alice), coop, "Two", "", now=NOW)
    proposals.open_deliberation(db, as_member(alice), coop, g2.id, now=NOW)
    proposals.withdraw(db, as_member(alice), coop, g2.id, now=NOW)
    base = f"/api/v1/coops/{coop.slug}/proposals"
    assert [p["id"] for p in api.get(base, token=tb).get_json()["items"]] == [g2.id, g1.id]
    assert [p["id"] for p in api.get(base + "?status=withdrawn", token=tb).get_json()["items"]] == [g2.id]
    assert api.get(base + "?kind=pay_adjustment", token=tb).get_json()["items"] == []
    r = api.get(base + "?status=nonsense", token=tb)
    assert r.status_code == 400 and r.get_json()["errors"][0]["field"] == "status"


def test_a_draft_is_seen_only_by_its_author_and_the_secretary(db, keys, api):
    coop, (alice, bob, _), (ta, tb, _) = _setup(db, keys)
    secretary = make_member(db, coop, role="secretary")
    ts = make_token(db, coop, secretary)
    draft = proposals.draft_general(db, as_member(alice), coop, "Private draft", "", now=NOW)
    base = f"/api/v1/coops/{coop.slug}/proposals"
    assert [p["id"] for p in api.get(base, token=ta).get_json()["items"]] == [draft.id]
    assert api.get(base, token=tb).get_json()["items"] == []
    assert api.get(f"{base}/{draft.id}", token=tb).status_code == 404
    assert api.get(f"{base}/{draft.id}", token=ts).status_code == 200


def test_only_the_author_or_secretary_may_open_voting_and_nothing_changes_when_refused(db, keys, api):
    coop, (alice, bob, _), (ta, tb, _) = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    proposals.open_deliberation(db, as_member(alice), coop, p.id, now=NOW)
    _end_notice(db, p.id)
    before = snapshot(db)
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals/{p.id}/open-voting", token=tb)
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json"
    assert_unchanged(db, before)


def test_voting_cannot_open_before_the_notice_period_ends(db, keys, api):
    coop, (alice, _, _), (ta, _, _) = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    proposals.open_deliberation(db, as_member(alice), coop, p.id, now=NOW)
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals/{p.id}/open-voting", token=ta)
    assert r.status_code == 409 and "notice period" in r.get_json()["detail"]


def test_a_token_without_the_vote_scope_cannot_vote(db, keys, api):
    coop, (alice, bob, _), _ = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    open_for_voting(db, coop, p, alice)
    reader = make_token(db, coop, bob, "read")
    before = snapshot(db)
    r = api.put(f"/api/v1/coops/{coop.slug}/proposals/{p.id}/ballot", token=reader, json={"choice": "yes"})
    assert r.status_code == 403 and "vote" in r.get_json()["detail"]
    assert_unchanged(db, before)


def test_a_ballot_after_close_is_refused_with_409(db, keys, api):
    coop, (alice, bob, carol), (ta, tb, tc) = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    open_for_voting(db, coop, p, alice)
    for m in (alice, bob, carol):
        proposals.cast_ballot(db, as_member(m), coop, p.id, "yes", now=p.voting_opened_at)
    r = api.put(f"/api/v1/coops/{coop.slug}/proposals/{p.id}/ballot", token=ta, json={"choice": "no"})
    assert r.status_code == 409


def test_comments_and_expert_opinions(db, keys, api):
    coop, (alice, bob, _), (ta, tb, _) = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    proposals.open_deliberation(db, as_member(alice), coop, p.id, now=NOW)
    base = f"/api/v1/coops/{coop.slug}/proposals/{p.id}/comments"
    r = api.post(base, token=tb, json={"body": "Good idea"})
    assert r.status_code == 201 and r.get_json()["kind"] == "comment"
    r = api.post(base, token=tb, json={"body": "As an engineer", "qualification_id": 999999})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "qualification_id"
    assert [c["body"] for c in api.get(base, token=ta).get_json()["items"]] == ["Good idea"]


def test_withdrawing_a_proposal_in_deliberation(db, keys, api):
    coop, (alice, _, _), (ta, _, _) = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals/{p.id}/withdraw", token=ta)
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"


def test_ballots_are_secret_unless_the_rules_make_them_public(db, keys, api):
    coop, (alice, bob, carol), (ta, tb, tc) = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    open_for_voting(db, coop, p, alice)
    proposals.cast_ballot(db, as_member(bob), coop, p.id, "no", now=p.voting_opened_at)
    url = f"/api/v1/coops/{coop.slug}/proposals/{p.id}/ballots"
    r = api.get(url, token=ta)
    assert r.status_code == 403 and "voting.ballots_public" in r.get_json()["detail"]
    # The co-op's rules say otherwise (as a passed rule change would record it).
    _, version = rules.get_rule(db, coop.id, "voting.general")
    version.parameters = {**version.parameters, "voting.ballots_public": "true"}
    db.flush()
    items = api.get(url, token=ta).get_json()["items"]
    assert [(b["member_id"], b["choice"]) for b in items] == [(bob.id, "no")]


def test_my_ballot_is_404_before_voting_and_mine_after(db, keys, api):
    coop, (alice, bob, _), (ta, tb, _) = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    open_for_voting(db, coop, p, alice)
    url = f"/api/v1/coops/{coop.slug}/proposals/{p.id}/ballot"
    assert api.get(url, token=tb).status_code == 404
    api.put(url, token=tb, json={"choice": "abstain"})
    assert api.get(url, token=tb).get_json()["choice"] == "abstain"
    assert db.scalars(select(Ballot).where(Ballot.proposal_id == p.id)).one().member_id == bob.id


def test_the_outcome_of_an_open_proposal_is_a_409(db, keys, api):
    coop, (alice, _, _), (ta, _, _) = _setup(db, keys)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    open_for_voting(db, coop, p, alice)
    assert api.get(f"/api/v1/coops/{coop.slug}/proposals/{p.id}/outcome", token=ta).status_code == 409


def test_the_audit_trail_says_a_ballot_was_cast_never_how_even_from_rows_written_before(db, keys, api):
    """The secretary reads the audit trail while the vote is open; ballots are secret."""
    from coop.models import AuditEvent

    coop, (alice, bob, carol), (ta, tb, _) = _setup(db, keys)
    secretary = make_member(db, coop, role="secretary")
    p = open_for_voting(db, coop, proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW), alice)
    base = f"/api/v1/coops/{coop.slug}"
    assert api.put(f"{base}/proposals/{p.id}/ballot", token=tb, json={"choice": "no"}).status_code == 200
    stored = db.scalars(select(AuditEvent).where(AuditEvent.action == "ballot.cast")).one()
    assert stored.actor_id == bob.id and stored.object_id == p.id and stored.details == {}
    # A row an older release wrote, with the choice in it: the trail is append-only, so it
    # stays in the table, and is never served.
    db.add(AuditEvent(coop_id=coop.id, actor_id=carol.id, action="ballot.cast", object_type="proposal",
                      object_id=p.id, at=NOW, details={"choice": "yes", "approvals": [alice.id]}))
    db.flush()
    r = api.get(f"{base}/audit-events?action=ballot.cast", token=make_token(db, coop, secretary))
    assert [(e["actor_id"], e["details"]) for e in r.get_json()["items"]] == [(carol.id, {}), (bob.id, {})]
    assert '"yes"' not in r.get_data(as_text=True) and '"no"' not in r.get_data(as_text=True)
    assert db.get(Proposal, p.id).status == "voting"
    assert api.get(f"{base}/audit-events", token=ta).status_code == 403  # and members never read it


def test_a_line_break_in_a_proposal_title_is_refused_and_writes_nothing(db, keys, api):
    """A title goes into mail subjects: "Harmless\\r\\nBcc: …" would add a header (and jammed
    the mail outbox)."""
    coop, _, (ta, _, _) = _setup(db, keys)
    before = snapshot(db)
    for title in ("Harmless\r\nBcc: attacker@evil.example", "Tab\there", "Escape\x1b[31m", "Sep\u2028arator"):
        r = api.post(f"/api/v1/coops/{coop.slug}/proposals", token=ta, json={"kind": "general", "title": title})
        assert r.status_code == 422, r.get_json()
        assert r.get_json()["errors"][0]["field"] == "title"
        assert "single line" in r.get_json()["errors"][0]["message"]
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals", token=ta, json={
        "kind": "rule_change", "title": "New rule", "rule_change": {
            "action": "add", "rule_key": "work.remote", "title": "Remote\nwork", "text": "Allowed."}})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "rule_change.title"
    assert_unchanged(db, before)


def test_a_rule_change_with_more_parameters_than_one_rule_may_carry_is_refused(db, keys, api):
    coop, _, (ta, _, _) = _setup(db, keys)
    before = snapshot(db)
    change = {"action": "add", "rule_key": "work.notes", "title": "Notes", "text": "Notes.",
              "parameters": {f"work.note_{i}": str(i) for i in range(101)}}
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals", token=ta,
                 json={"kind": "rule_change", "title": "Many notes", "rule_change": change})
    assert r.status_code == 422, r.get_json()
    assert "at most 100 parameters in one rule" in r.get_data(as_text=True)
    assert_unchanged(db, before)
    # The service refuses it too, for any face that reaches it without the schema.
    from coop.errors import InvalidInput
    from coop.services import rule_changes

    with pytest.raises(InvalidInput, match="at most 100 parameters") as refused:
        rule_changes.prepare(db, coop, change)
    assert refused.value.field == "parameters"
