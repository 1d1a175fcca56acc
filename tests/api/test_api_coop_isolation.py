"""A token acts only in its own co-op, and the check comes before anything is looked up: on
another co-op's routes it gets the same 403 everywhere, and the request reads, locks and
writes nothing of that co-op. Outsiders without a token cannot probe a private co-op's ids."""

from __future__ import annotations

import re

import pytest

import webui.api  # noqa: F401  (registers the operations)
from coop.errors import PermissionDenied
from coop.services import coops, elections, proposals
from coop.services.actor import Actor
from tests.api.conftest import count_queries, make_token
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_coop, make_member
from tests.office_factories import call, found, senior
from webui.api.core import OPERATIONS

#: What deciding "whose token is this, which co-op is this" may read: nothing else.
ALLOWED_TABLES = {"api_tokens", "members", "cooperatives"}
COOP_OPERATIONS = sorted({(op.method.upper(), op.path) for op in OPERATIONS if op.path.startswith("/coops/{slug}")})


@pytest.fixture
def theirs(db, keys):
    """Co-op B: a technical lead's office with an election under way, a member and a token."""
    coop = make_coop(db, keys, name="Other Co-op")
    found(db, coop, "technical_lead", "Technical lead", requires="")
    author = senior(db, coop)
    election = call(db, coop, "technical_lead", author)
    their_token = make_token(db, coop, author)
    return {"coop": coop, "member": author, "election": election, "token": their_token}


@pytest.fixture
def our_token(db, keys, api):
    ours = make_coop(db, keys, name="Our Co-op")
    token = make_token(db, ours, make_member(db, ours, role="admin"))
    assert api.get(f"/api/v1/coops/{ours.slug}/me", token=token).status_code == 200  # sets last_used_at
    return token


def _tables(statements):
    found = set()
    for statement in statements:
        found |= {m.group(2).strip('"').lower() for m in re.finditer(
            r"\b(FROM|JOIN|UPDATE|INTO)\s+(\"?\w+\"?)", statement, flags=re.I)}
    return found


def test_a_token_of_another_coop_cannot_learn_that_an_election_is_under_way(db, api, theirs, our_token, engine):
    before = snapshot(db)
    with count_queries(engine) as statements:
        r = api.post(f"/api/v1/coops/{theirs['coop'].slug}/elections", token=our_token,
                     json={"office_key": "technical_lead"})
    assert r.status_code == 403, r.get_json()
    assert "another co-op" in r.get_json()["detail"] and "proposal" not in r.get_json()["detail"]
    assert _tables(statements) <= ALLOWED_TABLES, statements  # the office's rule row was not locked
    assert not [s for s in statements if "FOR UPDATE" in s.upper()]
    assert_unchanged(db, before)


def _url(path, theirs):
    values = {"slug": theirs["coop"].slug, "proposal_id": theirs["election"].id,
              "election_id": theirs["election"].id, "member_id": theirs["member"].id,
              "key": "office.technical_lead", "office_key": "technical_lead", "index": 0}
    return "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


BODY = {"office_key": "technical_lead", "term_id": 1, "member_id": 1, "choice": "yes", "approvals": [1],
        "kind": "general", "title": "x", "body": "x", "email": "a@example.org", "password": "x" * 12,
        "scopes": ["read"], "url": "https://example.org/hook", "events": ["proposal.opened"]}


@pytest.mark.parametrize(("method", "path"), COOP_OPERATIONS, ids=[f"{m} {p}" for m, p in COOP_OPERATIONS])
def test_every_coop_route_refuses_another_coops_token_before_reading_anything(db, api, theirs, our_token,
                                                                             engine, method, path):
    before = snapshot(db)
    with count_queries(engine) as statements:
        r = api.request(method, _url(path, theirs), token=our_token,
                        json=BODY if method in ("POST", "PUT", "PATCH") else None)
    assert r.status_code == 403, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.get_json()["detail"] == ("this token belongs to another co-op and acts only there; "
                                      "read what this co-op publishes without a token")
    assert _tables(statements) <= ALLOWED_TABLES, statements
    assert_unchanged(db, before)


def test_the_isolation_test_covers_every_coop_route_the_app_serves(app):
    served = {(method, rule.rule) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.") and rule.rule.startswith("/api/v1/coops/<slug>")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    declared = {(m, "/api/v1" + re.sub(r"\{(\w+)\}", lambda x: f"<{x.group(1)}>", p)) for m, p in COOP_OPERATIONS}
    normalised = {(m, re.sub(r"<[\w]+:(\w+)>", r"<\1>", r)) for m, r in served}
    assert normalised == declared


def test_the_coops_own_token_and_visitors_are_not_affected(db, api, theirs):
    base = f"/api/v1/coops/{theirs['coop'].slug}"
    assert api.get(base + "/pay").status_code == 200  # published: no token needed
    r = api.post(base + "/elections", token=theirs["token"], json={"office_key": "technical_lead"})
    assert r.status_code == 409 and "already under way" in r.get_json()["detail"]


# -- outsiders without a token, and the services themselves ------------------------------------

def test_without_a_token_a_private_coop_does_not_say_which_proposals_exist(db, api, theirs):
    coops.update_settings(db, Actor.operator(), theirs["coop"], public_pages=False, now=NOW)
    base = f"/api/v1/coops/{theirs['coop'].slug}/proposals"
    existing, missing = api.get(f"{base}/{theirs['election'].id}"), api.get(f"{base}/987654")
    assert existing.status_code == missing.status_code == 401
    assert existing.get_json() == missing.get_json()


def test_a_portal_visitor_cannot_probe_which_proposals_a_private_coop_has(db, client, theirs):
    coops.update_settings(db, Actor.operator(), theirs["coop"], public_pages=False, now=NOW)
    slug, eid = theirs["coop"].slug, theirs["election"].id
    for page in ("proposals", "elections"):
        existing, missing = client.get(f"/c/{slug}/{page}/{eid}"), client.get(f"/c/{slug}/{page}/987654")
        assert existing.status_code == missing.status_code == 302
        assert "/login" in existing.headers["Location"] and "/login" in missing.headers["Location"]


def test_calling_an_election_in_another_coop_is_refused_before_the_office_is_locked(db, keys, theirs):
    outsider = make_member(db, make_coop(db, keys))
    with pytest.raises(PermissionDenied):  # not "already under way (proposal N)"
        elections.draft_election(db, as_member(outsider), theirs["coop"], "technical_lead", now=NOW)


@pytest.mark.parametrize("step", [proposals.open_deliberation, proposals.open_voting, proposals.withdraw])
def test_a_member_of_another_coop_cannot_tell_which_proposals_exist_by_moving_them_on(db, keys, theirs, step):
    outsider = as_member(make_member(db, make_coop(db, keys)))
    for proposal_id in (theirs["election"].id, 987654):
        with pytest.raises(PermissionDenied):
            step(db, outsider, theirs["coop"], proposal_id, now=NOW)
