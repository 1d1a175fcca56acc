"""Whatever a client sends, the answer is a 4xx problem+json (never a 500) and a refused
request changes nothing."""

from __future__ import annotations

import pytest

from tests.api.conftest import make_token
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import make_coop, make_member


@pytest.fixture
def setup(db, keys):
    coop = make_coop(db, keys)
    m = make_member(db, coop, hourly_rate="20.00")
    other = make_member(db, coop, hourly_rate="22.00")
    return coop, m, other, make_token(db, coop, m)


BAD_BODIES = [
    ("not json", b"{not json", "application/json", 400),
    ("a list", b"[1, 2]", "application/json", 422),
    ("NaN", b'{"kind": "general", "title": NaN}', "application/json", 400),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    ("huge int", b'{"kind": "general", "title": "x", "subject_member_id": ' + b"9" * 5000 + b"}", "application/json", 400),
    ("bad utf-8", b'{"kind": "general", "title": "\xff\xfe"}', "application/json", 400),
    ("form", b"kind=general&title=x", "application/x-www-form-urlencoded", 415),
    ("unknown field", b'{"kind": "general", "title": "x", "admin": true}', "application/json", 422),
    ("wrong type", b'{"kind": "general", "title": 5}', "application/json", 422),
    ("empty title", b'{"kind": "general", "title": ""}', "application/json", 422),
    ("NUL", b'{"kind": "general", "title": "a\\u0000b"}', "application/json", 422),
    ("lone surrogate", b'{"kind": "general", "title": "a\\ud800b"}', "application/json", 422),
    ("big id", b'{"kind": "pay_adjustment", "title": "x", "subject_member_id": 99999999999, '
               b'"pay_change": {"hourly_rate": "1.00", "reason": "hours"}}', "application/json", 422),
    ("float money", b'{"kind": "pay_adjustment", "title": "x", "subject_member_id": 1, '
                    b'"pay_change": {"hourly_rate": 21.5, "reason": "hours"}}', "application/json", 422),
    ("money with 3 places", b'{"kind": "pay_adjustment", "title": "x", "subject_member_id": 1, '
                            b'"pay_change": {"hourly_rate": "21.505", "reason": "hours"}}', "application/json", 422),
    ("kind part missing", b'{"kind": "pay_adjustment", "title": "x"}', "application/json", 422),
]


@pytest.mark.parametrize("name,body,content_type,status", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_a_bad_body_gets_a_problem_and_writes_nothing(db, api, setup, name, body, content_type, status):
    coop, m, other, token = setup
    before = snapshot(db)
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals", token=token, data=body,
                 headers={"Content-Type": content_type})
    assert r.status_code == status, r.get_data()[:300]
    problem = r.get_json(force=True)
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert_unchanged(db, before)


def test_validation_problems_name_each_field(db, api, setup):
    coop, m, other, token = setup
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals", token=token, json={
        "kind": "pay_adjustment", "title": "x", "subject_member_id": other.id,
        "pay_change": {"hourly_rate": 21.5, "reason": "vibes"}})
    fields = {e["field"] for e in r.get_json()["errors"]}
    assert fields == {"pay_change.hourly_rate", "pay_change.reason"}


@pytest.mark.parametrize("path,status", [
    ("/proposals/99999999999999999999", 404),
    ("/members/2147483648", 404),
    ("/ledger/entries/-1", 404),
    ("/ledger/entries?start=99999999999999", 400),
    ("/ledger/entries?limit=0", 400),
    ("/ledger/entries?limit=abc", 400),
    ("/ledger/entries?cursor=%00%ff", 400),
    ("/ledger/entries?cursor=WyJ4Il0", 422),
    ("/ledger/entries?start=5&end=2", 422),
    ("/ledger/entries?kind=a%00b", 400),
    ("/ledger/entries/0/inclusion-proof?size=100", 422),
    ("/ledger/consistency-proof", 400),
    ("/ledger/consistency-proof?first=5&second=1", 422),
    ("/pay?as_of=2026-13-45", 400),
    ("/rules/no.such.rule", 404),
    ("/rules/%00", 404),
])
def test_bad_paths_and_queries_get_problems(api, setup, path, status):
    coop, m, other, token = setup
    r = api.get(f"/api/v1/coops/{coop.slug}{path}", token=token)
    assert r.status_code == status, r.get_data()[:300]
    assert r.headers["Content-Type"] == "application/problem+json"


def test_an_unknown_coop_path_or_method_is_a_problem(api, setup):
    coop, m, other, token = setup
    assert api.get("/api/v1/coops/NOPE%00/pay").status_code == 404
    assert api.get("/api/v1/coops/no-such-coop/pay").status_code == 404
    r = api.get("/api/v1/no/such/thing")
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    r = api.request("PATCH", f"/api/v1/coops/{coop.slug}/pay", token=token)
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    assert r.headers["Content-Type"] == "application/problem+json"


def test_an_oversized_body_is_refused(api, setup, app):
    coop, m, other, token = setup
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = api.post(f"/api/v1/coops/{coop.slug}/proposals", token=token, data=b"{" + b" " * 2000 + b"}",
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["Content-Type"] == "application/problem+json"
