"""Pay and the ledger through the API: tables, history, statistics, entries, caching, and
proofs checked with an independent RFC 6962 verifier."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

from coop.models import Member
from coop.pay import Pay
from coop.services import checkpoints, ledger
from tests.api import rfc6962
from tests.api.conftest import make_token
from tests.clock import NOW, TODAY
from tests.factories import make_coop, make_member, set_founding_pay


def _coop_with_entries(db, keys, n=7):
    coop = make_coop(db, keys)
    members = [make_member(db, coop, hourly_rate=f"{20 + i}.00") for i in range(n)]
    return coop, members


def test_the_pay_table_statistics_and_history_are_public_with_money_as_strings(db, keys, api):
    coop, members = _coop_with_entries(db, keys, 3)
    base = f"/api/v1/coops/{coop.slug}"
    table = api.get(base + "/pay").get_json()
    assert table["count"] == 3 and {x["hourly_rate"] for x in table["lines"]} == {"20.00", "21.00", "22.00"}
    stats = api.get(base + "/pay/statistics").get_json()
    assert (stats["minimum"], stats["maximum"], stats["ratio"], stats["ratio_display"]) == ("20.00", "22.00", "11/10", "1.1:1")
    set_founding_pay(db, coop, members[0], "20.50")
    history = api.get(f"{base}/members/{members[0].id}/pay").get_json()["items"]
    assert [h["hourly_rate"] for h in history] == ["20.00", "20.50"]
    assert history[1]["previous_total_hourly"] == "20.00"


def test_the_pay_table_as_of_a_date_shows_the_pay_in_force_then(db, keys, api):
    coop = make_coop(db, keys)
    a, b = make_member(db, coop, hourly_rate="20.00"), make_member(db, coop)
    today = TODAY
    tomorrow = today + dt.timedelta(days=1)
    ledger.append_pay_record(db, coop, b.id, b.name, Pay(Decimal("25.00"), Decimal("30.00")), 52,
                             authority="founding", effective_date=tomorrow, now=NOW)
    url = f"/api/v1/coops/{coop.slug}/pay?as_of="
    assert api.get(url + str(today - dt.timedelta(days=1))).get_json()["count"] == 0
    assert [x["member_id"] for x in api.get(url + str(today)).get_json()["lines"]] == [a.id]
    assert api.get(url + str(tomorrow)).get_json()["count"] == 2


def test_ledger_entries_filter_by_range_and_kind_and_page_with_link_headers(db, keys, api):
    coop, _ = _coop_with_entries(db, keys, 7)
    base = f"/api/v1/coops/{coop.slug}/ledger/entries"
    got = api.get(base + "?start=2&end=5").get_json()["items"]
    assert [e["index"] for e in got] == [2, 3, 4]
    assert api.get(base + "?kind=decision").get_json()["items"] == []
    seen, url = [], base + "?limit=3&start=1"
    while url:
        r = api.get(url)
        seen += [e["index"] for e in r.get_json()["items"]]
        link = r.headers.get("Link")
        url = link[1:link.index(">")] if link else None
        assert (link is None) == (r.get_json()["next_cursor"] is None)
    assert seen == [1, 2, 3, 4, 5, 6]


def test_an_entry_has_its_canonical_bytes_whose_hash_is_the_leaf_hash(db, keys, api):
    coop, _ = _coop_with_entries(db, keys, 2)
    e = api.get(f"/api/v1/coops/{coop.slug}/ledger/entries/1").get_json()
    raw = base64.b64decode(e["body_base64"])
    assert rfc6962.leaf_hash(raw).hex() == e["leaf_hash_hex"] == base64.b64decode(e["leaf_hash"]).hex()
    assert e["body"]["index"] == 1 and e["body"]["hourly_rate"] == "21.00"


def test_entries_and_checkpoints_are_immutable_with_strong_etags_and_304(db, keys, api):
    coop, _ = _coop_with_entries(db, keys, 2)
    cp = checkpoints.sign(db, keys, coop, now=NOW)
    for url in (f"/api/v1/coops/{coop.slug}/ledger/entries/0", f"/api/v1/coops/{coop.slug}/ledger/checkpoints/{cp.id}"):
        r = api.get(url)
        etag = r.headers["ETag"]
        assert not etag.startswith("W/")
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        again = api.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
        assert api.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_an_inclusion_proof_verifies_with_an_independent_rfc6962_verifier(db, keys, api):
    coop, _ = _coop_with_entries(db, keys, 7)
    base = f"/api/v1/coops/{coop.slug}/ledger"
    cp = api.post(base + "/checkpoints", token=make_token(db, coop, make_member(db, coop, role="secretary")))
    assert cp.status_code == 201
    size = cp.get_json()["tree_size"]
    signed_root = base64.b64decode(cp.get_json()["root_hash"])
    for index in range(size):
        entry = api.get(f"{base}/entries/{index}").get_json()
        proof = api.get(f"{base}/entries/{index}/inclusion-proof?size={size}").get_json()
        leaf = rfc6962.leaf_hash(base64.b64decode(entry["body_base64"]))
        path = [base64.b64decode(h) for h in proof["audit_path"]]
        assert [h.hex() for h in path] == proof["audit_path_hex"]
        assert rfc6962.root_from_inclusion(leaf, index, size, path) == signed_root
        # A wrong position does not verify.
        assert rfc6962.root_from_inclusion(leaf, (index + 1) % size, size, path) != signed_root
    all_entries = [base64.b64decode(e["body_base64"]) for e in api.get(f"{base}/entries").get_json()["items"]]
    assert rfc6962.mth(all_entries) == signed_root


def test_a_consistency_proof_verifies_with_an_independent_rfc6962_verifier(db, keys, api):
    coop, _ = _coop_with_entries(db, keys, 3)
    old = checkpoints.sign(db, keys, coop, now=NOW)
    for i in range(6):
        make_member(db, coop, hourly_rate="30.00")
    new = checkpoints.sign(db, keys, coop, now=NOW)
    r = api.get(f"/api/v1/coops/{coop.slug}/ledger/consistency-proof?first={old.size}&second={new.size}").get_json()
    proof = [base64.b64decode(h) for h in r["consistency"]]
    assert rfc6962.verify_consistency(old.size, new.size, bytes(old.root), bytes(new.root), proof)
    assert not rfc6962.verify_consistency(old.size, new.size, bytes(new.root), bytes(new.root), proof)
    assert base64.b64decode(r["first_root_hash"]) == bytes(old.root)


def test_the_public_key_verifies_the_checkpoint_note(db, keys, api):
    from coop.ledger.checkpoint import parse_and_verify, parse_verifier_key

    coop, _ = _coop_with_entries(db, keys, 2)
    cp = checkpoints.sign(db, keys, coop, now=NOW)
    key = api.get(f"/api/v1/coops/{coop.slug}/ledger/public-key").get_json()
    origin, raw = parse_verifier_key(key["verifier_key"])
    assert raw == base64.b64decode(key["public_key"])
    note = api.get(f"/api/v1/coops/{coop.slug}/ledger/checkpoints/{cp.id}").get_json()["note"]
    assert parse_and_verify(note, origin, raw).size == 2
    head = api.get(f"/api/v1/coops/{coop.slug}/ledger").get_json()
    assert head["latest_checkpoint"]["id"] == cp.id and head["tree_size"] == 2


def test_only_the_secretary_signs_checkpoints(db, keys, api):
    coop, (a, _) = _coop_with_entries(db, keys, 2)
    r = api.post(f"/api/v1/coops/{coop.slug}/ledger/checkpoints", token=make_token(db, coop, a))
    assert r.status_code == 403


def test_the_audit_report_traces_pay_and_verifies_the_ledger(db, keys, api):
    coop, (a, _) = _coop_with_entries(db, keys, 2)
    report = api.get(f"/api/v1/coops/{coop.slug}/audit-report", token=make_token(db, coop, a, "read")).get_json()
    assert report["ok"] is True and report["ledger"]["entries"] == 2
    assert [t["authority"] for t in report["without_vote"]] == ["founding", "founding"]
    assert api.get(f"/api/v1/coops/{coop.slug}/audit-report").status_code == 401


def test_the_audit_trail_is_for_the_secretary(db, keys, api):
    coop, (a, _) = _coop_with_entries(db, keys, 2)
    secretary = make_member(db, coop, role="secretary")
    url = f"/api/v1/coops/{coop.slug}/audit-events"
    assert api.get(url, token=make_token(db, coop, a)).status_code == 403
    events = api.get(url + "?action=member.added", token=make_token(db, coop, secretary)).get_json()["items"]
    assert len(events) == 3 and events[0]["object_id"] == secretary.id  # newest first


def test_the_served_pay_table_equals_the_pay_reports_table_dumped_by_its_schema(db, keys, api):
    """The API's lean pay-table read and hand-built JSON must say exactly what the core's
    ``pay_reports.pay_table`` dumped through ``PayTableOut`` says, on every date."""
    from coop.schemas.ledger import PayTableOut
    from coop.services import pay_reports
    from coop.services.demo import seed_demo
    from webui.api.views_ledger import _pay_line

    seeded = seed_demo(db, keys, slug="demo-eq", now=NOW)
    assert seeded is not None
    coop = seeded.coop
    # A departure appends a zero-pay record: that member leaves the table.
    from coop.services import members as members_service
    from coop.services.actor import Actor

    leaver = next(line for line in pay_reports.pay_table(db, coop) if not line.pay.supplements)
    members_service.change_status(db, Actor.operator(), coop, db.get(Member, leaver.member_id), "departed", now=NOW)
    assert any(not x.pay.is_paid for x in pay_reports.pay_table(db, coop, include_unpaid=True))
    with_supplements = [line for line in pay_reports.pay_table(db, coop) if line.pay.supplements]
    assert with_supplements, "the demo should pay a supplement, or this test proves less"
    dates = sorted({line.effective_date for line in pay_reports.pay_table(db, coop, include_unpaid=True)})
    for as_of in [None, dates[0] - dt.timedelta(days=1), *dates]:
        lines = pay_reports.pay_table(db, coop, as_of)
        expected = PayTableOut().dump({"as_of": as_of, "currency": coop.currency, "count": len(lines),
                                       "lines": [_pay_line(x) for x in lines]})
        got = api.get("/api/v1/coops/demo-eq/pay" + (f"?as_of={as_of}" if as_of else "")).get_json()
        assert got == expected, as_of
