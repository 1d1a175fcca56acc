"""Replies, reactions and search through the API, each answer checked against the spec."""

from __future__ import annotations

from sqlalchemy import func, select

from coop.models import CommentReaction
from coop.services import proposals
from tests.api.conftest import make_token
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, general_vote, make_coop, make_member


def _setup(db, keys):
    coop = make_coop(db, keys)
    alice, bob = make_member(db, coop), make_member(db, coop)
    p = proposals.draft_general(db, as_member(alice), coop, "Lathe", "", now=NOW)
    proposals.open_deliberation(db, as_member(alice), coop, p.id, now=NOW)
    return coop, p, alice, bob, make_token(db, coop, alice), make_token(db, coop, bob)


def test_a_reply_through_the_api_names_its_thread_root_and_the_list_shows_reaction_counts(db, keys, api):
    coop, p, alice, bob, ta, tb = _setup(db, keys)
    base = f"/api/v1/coops/{coop.slug}/proposals/{p.id}/comments"
    root = api.post(base, token=ta, json={"body": "Which model?"}).get_json()
    reply = api.post(base, token=tb, json={"body": "Mid-priced.", "parent_id": root["id"]}).get_json()
    nested = api.post(base, token=ta, json={"body": "Why?", "parent_id": reply["id"]})
    assert nested.status_code == 201 and nested.get_json()["parent_id"] == root["id"]
    assert nested.get_json()["reactions"] == {"agree": 0, "disagree": 0, "question": 0}
    r = api.put(f"{base}/{root['id']}/reaction", token=tb, json={"kind": "agree"})
    assert r.status_code == 200 and r.get_json() == {
        "comment_id": root["id"], "kind": "agree", "reactions": {"agree": 1, "disagree": 0, "question": 0}}
    items = api.get(base, token=ta).get_json()["items"]
    assert [(c["body"], c["parent_id"], c["reactions"]["agree"]) for c in items] == [
        ("Which model?", None, 1), ("Mid-priced.", root["id"], 0), ("Why?", root["id"], 0)]
    gone = api.delete(f"{base}/{root['id']}/reaction", token=tb)
    assert gone.status_code == 200 and gone.get_json()["kind"] is None
    assert gone.get_json()["reactions"]["agree"] == 0


def test_a_bad_reaction_or_a_reply_to_an_unknown_comment_is_refused_naming_the_field(db, keys, api):
    coop, p, alice, bob, ta, tb = _setup(db, keys)
    base = f"/api/v1/coops/{coop.slug}/proposals/{p.id}/comments"
    c = api.post(base, token=ta, json={"body": "Which model?"}).get_json()
    read_only = make_token(db, coop, bob, "read")
    before = snapshot(db)
    r = api.put(f"{base}/{c['id']}/reaction", token=tb, json={"kind": "love"})
    assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "kind"
    r = api.put(f"{base}/999999/reaction", token=tb, json={"kind": "agree"})
    assert r.status_code == 404
    r = api.post(base, token=tb, json={"body": "Hm", "parent_id": 999999})
    assert r.status_code == 404 and r.get_json()["errors"][0]["field"] == "parent_id"
    r = api.put(f"{base}/{c['id']}/reaction", token=read_only, json={"kind": "agree"})
    assert r.status_code == 403
    assert_unchanged(db, before)
    assert db.scalar(select(func.count()).select_from(CommentReaction)) == 0


def test_reacting_on_a_closed_proposal_is_a_conflict(db, keys, api):
    coop = make_coop(db, keys)
    alice = make_member(db, coop)
    p = general_vote(db, coop, alice)
    c = proposals.comment(db, as_member(alice), coop, p.id, "Late thought", now=p.voting_opened_at)
    proposals.close(db, p, p.voting_closes_at)
    r = api.put(f"/api/v1/coops/{coop.slug}/proposals/{p.id}/comments/{c.id}/reaction",
                token=make_token(db, coop, alice), json={"kind": "agree"})
    assert r.status_code == 409


def test_search_through_the_api_pages_grouped_results_and_hides_others_drafts(db, keys, api):
    coop, p, alice, bob, ta, tb = _setup(db, keys)
    draft = proposals.draft_general(db, as_member(bob), coop, "Bob's lathe draft", "", now=NOW)
    url = f"/api/v1/coops/{coop.slug}/search"
    r = api.get(url + "?q=LATHE", token=ta)
    assert r.status_code == 200
    assert [(h["type"], h["proposal_id"]) for h in r.get_json()["items"]] == [("proposal", p.id)]
    assert [h["proposal_id"] for h in api.get(url + "?q=lathe", token=tb).get_json()["items"]] == [draft.id, p.id]
    first = api.get(url + "?q=the&limit=2", token=ta)
    assert first.status_code == 200 and first.get_json()["next_cursor"] and 'rel="next"' in first.headers["Link"]
    second = api.get(url + f"?q=the&limit=2&cursor={first.get_json()['next_cursor']}", token=ta).get_json()
    assert not {h["rule_key"] for h in second["items"]} & {h["rule_key"] for h in first.get_json()["items"]}
    # A visitor (the co-op publishes) finds rules, never proposals under discussion.
    anonymous = api.get(url + "?q=lathe").get_json()["items"]
    assert anonymous == []


def test_a_search_query_too_short_too_long_or_of_an_unknown_type_is_refused_naming_the_field(db, keys, api):
    coop, p, alice, bob, ta, tb = _setup(db, keys)
    url = f"/api/v1/coops/{coop.slug}/search"
    # The query's shape (length, control characters) is the schema's: 400, as for every query
    # string; a cursor this API never handed out is the service's to refuse (422).
    for query, field, status in (("q=a", "q", 400), ("q=" + "x" * 101, "q", 400), ("", "q", 400),
                                 ("q=pay&type=member", "type", 400), ("q=%25%00", "q", 400),
                                 ("q=pay%07", "q", 400), ("q=pay&cursor=WyJ4Il0", "cursor", 422)):
        r = api.get(f"{url}?{query}", token=ta)
        assert r.status_code == status, (query, r.get_json())
        assert r.get_json()["errors"][0]["field"] == field, (query, r.get_json())
