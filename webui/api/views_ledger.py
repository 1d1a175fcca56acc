"""The public record: pay (table, as of a date, history, statistics) and the ledger
(entries, checkpoints, the signing key, RFC 6962 inclusion and consistency proofs)."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from typing import Any

from flask import Response

from coop.ledger import canonical
from coop.ledger.checkpoint import verifier_key
from coop.pay import format_ratio
from coop.schemas import ledger as s
from coop.schemas.common import Empty, PageQuery, page_of
from coop.services import listings, public_record
from coop.services.paging import in_memory
from webui.api.core import (
    current_actor,
    dump,
    immutable,
    json_response,
    load_body,
    load_coop,
    load_query,
    operation,
    page_response,
    require_actor,
)
from webui.request_db import get_session, keys, request_now

P = "/coops/{slug}"
READ_ERRORS = (401, 403, 404)


def b64(raw: bytes) -> str:
    return base64.b64encode(bytes(raw)).decode("ascii")


# -- pay -------------------------------------------------------------------------------------

def _pay_line(line: Any) -> dict[str, Any]:
    p = line.pay
    return {
        "member_id": line.member_id, "member_name": line.member_name,
        "hourly_rate": p.hourly_rate, "weekly_hours": p.weekly_hours,
        "supplements": [{"kind": x.kind, "amount": x.amount, "reason": x.reason.value,
                         "qualification_id": x.qualification_id} for x in p.supplements],
        "total_hourly": p.total_hourly, "annualised": line.annualised, "currency": line.currency,
        "effective_date": line.effective_date, "entry_index": line.entry_index,
        "authority": line.authority, "proposal_id": line.proposal_id,
    }


@operation(P + "/pay", "GET", "The pay table: every paid member's pay in force", tag="pay",
           access="public", query=s.AsOfQuery, response=s.PayTableOut, errors=READ_ERRORS)
def pay_table(slug: str) -> Response:
    """`?as_of=YYYY-MM-DD` gives the table in force on that date. A snapshot, not paged: the
    table is one consistent statement of pay."""
    q = load_query(s.AsOfQuery)
    coop = load_coop(slug)
    rows = listings.pay_table(get_session(), current_actor(), coop, q.get("as_of"))
    as_of = q.get("as_of")
    # Built by hand, not by PayTableOut().dump: this is the integrators' hottest read, and
    # marshmallow's per-field walk was a third of its time. PayTableOut still documents it;
    # the tests check every answer against the spec, and one holds it equal to the dump.
    return json_response({"as_of": None if as_of is None else as_of.isoformat(), "currency": coop.currency,
                          "count": len(rows), "lines": [_pay_row(r) for r in rows]})


def _money(value: Any) -> str:
    return f"{Decimal(value):.2f}"


def _pay_row(r: listings.PayRow) -> dict[str, Any]:
    return {
        "member_id": r.member_id, "member_name": r.member_name, "hourly_rate": _money(r.hourly_rate),
        "weekly_hours": _money(r.weekly_hours),
        "supplements": [{"kind": x["kind"], "amount": _money(x["amount"]), "reason": x["reason"],
                         "qualification_id": x.get("qualification_id")} for x in r.supplements],
        "total_hourly": _money(r.total_hourly), "annualised": _money(r.annualised), "currency": r.currency,
        "effective_date": r.effective_date.isoformat(), "entry_index": r.entry_index,
        "authority": r.authority, "proposal_id": r.proposal_id,
    }


@operation(P + "/pay/statistics", "GET", "Pay statistics: min, median, mean, max, ratio, payroll",
           tag="pay", access="public", query=s.AsOfQuery, response=s.PayStatisticsOut, errors=READ_ERRORS)
def pay_statistics(slug: str) -> Response:
    q = load_query(s.AsOfQuery)
    coop = load_coop(slug)
    st, weeks = public_record.pay_statistics(get_session(), current_actor(), coop, q.get("as_of"))
    ratio = st.ratio
    return dump(s.PayStatisticsOut, {
        "as_of": q.get("as_of"), "currency": coop.currency, "count": st.count,
        "minimum": st.minimum, "median": st.median, "mean": st.mean, "maximum": st.maximum,
        "ratio": None if ratio is None else f"{ratio.numerator}/{ratio.denominator}",
        "ratio_display": None if ratio is None else f"{format_ratio(ratio)}:1",
        "total_payroll": st.total_payroll, "weeks_per_year": weeks,
    })


@operation(P + "/members/{member_id}/pay", "GET", "One member's pay history, oldest first", tag="pay",
           access="public", query=PageQuery, response=page_of(s.PayHistoryLineOut), paginated=True,
           errors=READ_ERRORS)
def pay_history(slug: str, member_id: int) -> Response:
    """Each change with the decision that authorised it (null for founding and departure)."""
    q = load_query(PageQuery)
    coop = load_coop(slug)
    _, history = public_record.pay_history(get_session(), current_actor(), coop, member_id)
    items = []
    for h in history:
        d = h.decision
        items.append({**_pay_line(h.line), "previous_total_hourly": h.previous_total, "decision": None if d is None else {
            "proposal_id": d.proposal_id, "title": d.title, "outcome": d.outcome,
            "tally": None if d.yes is None else {"yes": d.yes, "no": d.no, "abstain": d.abstain},
            "electorate_size": d.electorate_size, "threshold": d.threshold, "quorum": d.quorum,
            "closed_at": d.closed_at, "decision_entry_index": d.decision_entry_index}})
    page = in_memory(items, lambda x: x["entry_index"], cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.PayHistoryLineOut, page)


# -- the ledger ------------------------------------------------------------------------------

def _checkpoint(cp: Any) -> dict[str, Any]:
    return {"id": cp.id, "size": cp.size, "root_hash": b64(cp.root), "root_hash_hex": bytes(cp.root).hex(),
            "signed_at": cp.signed_at, "note": cp.note}


@operation(P + "/ledger", "GET", "The ledger's size, root and latest checkpoint", tag="ledger",
           access="public", response=s.LedgerHeadOut, errors=READ_ERRORS)
def ledger_head(slug: str) -> Response:
    coop = load_coop(slug)
    head, latest = public_record.head(get_session(), current_actor(), coop)
    return dump(s.LedgerHeadOut, {
        "origin": coop.origin, "tree_size": head.size, "root_hash": b64(head.root),
        "root_hash_hex": bytes(head.root).hex(),
        "latest_checkpoint": None if latest is None else _checkpoint(latest)})


def _entry(e: Any) -> dict[str, Any]:
    try:
        body = canonical.decode(bytes(e.body))
    except ValueError:
        body = None  # not canonical JSON: `coop ledger verify` names the entry
    return {"index": e.index, "kind": e.kind, "appended_at": e.appended_at, "body": body,
            "body_base64": b64(e.body), "leaf_hash": b64(e.leaf_hash), "leaf_hash_hex": bytes(e.leaf_hash).hex()}


@operation(P + "/ledger/entries", "GET", "Ledger entries, oldest first", tag="ledger", access="public",
           query=s.EntryListQuery, response=page_of(s.LedgerEntryOut), paginated=True, errors=READ_ERRORS)
def list_entries(slug: str) -> Response:
    """`start` (inclusive) and `end` (exclusive) bound the indices; `kind` is `pay` or `decision`."""
    q = load_query(s.EntryListQuery)
    coop = load_coop(slug)
    page = listings.entries_page(get_session(), current_actor(), coop, start=q.get("start"),
                                 end=q.get("end"), kind=q.get("kind"), cursor=q.get("cursor"),
                                 limit=q.get("limit"))
    return page_response(s.LedgerEntryOut, page, _entry)


@operation(P + "/ledger/entries/{index}", "GET", "One entry with its canonical body", tag="ledger",
           access="public", response=s.LedgerEntryOut, errors=READ_ERRORS, immutable=True)
def get_entry(slug: str, index: int) -> Response:
    """`body_base64` holds the exact bytes hashed into the tree: SHA-256(0x00 || bytes) is
    the leaf hash. Immutable: cached for good, with a strong ETag."""
    coop = load_coop(slug)
    e = listings.entry(get_session(), current_actor(), coop, index)
    return immutable(dump(s.LedgerEntryOut, _entry(e)), f"e{e.index}-{bytes(e.leaf_hash).hex()}", coop.public_pages)


@operation(P + "/ledger/checkpoints", "GET", "Signed checkpoints, oldest first", tag="ledger",
           access="public", query=PageQuery, response=page_of(s.CheckpointOut), paginated=True,
           errors=READ_ERRORS)
def list_checkpoints(slug: str) -> Response:
    q = load_query(PageQuery)
    coop = load_coop(slug)
    page = listings.checkpoints_page(get_session(), current_actor(), coop, cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.CheckpointOut, page, _checkpoint)


@operation(P + "/ledger/checkpoints", "POST", "Sign a checkpoint of the ledger now", tag="ledger",
           access="secretary", body=Empty, body_required=False, response=s.CheckpointOut, status=201,
           errors=(401, 403, 404, 409, 415, 422))
def sign_checkpoint(slug: str) -> Response:
    """Returns the latest checkpoint unchanged when the ledger has not grown since."""
    load_body(Empty, required=False)
    coop = load_coop(slug)
    cp = public_record.sign_checkpoint(get_session(), require_actor(), keys(), coop, now=request_now())
    return dump(s.CheckpointOut, _checkpoint(cp), status=201)


@operation(P + "/ledger/checkpoints/{checkpoint_id}", "GET", "One signed checkpoint", tag="ledger",
           access="public", response=s.CheckpointOut, errors=READ_ERRORS, immutable=True)
def get_checkpoint(slug: str, checkpoint_id: int) -> Response:
    coop = load_coop(slug)
    cp = listings.checkpoint(get_session(), current_actor(), coop, checkpoint_id)
    etag = f"c{cp.id}-{hashlib.sha256(cp.note.encode('utf-8')).hexdigest()[:32]}"
    return immutable(dump(s.CheckpointOut, _checkpoint(cp)), etag, coop.public_pages)


@operation(P + "/ledger/public-key", "GET", "The key that signs checkpoints", tag="ledger",
           access="public", response=s.PublicKeyOut, errors=READ_ERRORS)
def get_public_key(slug: str) -> Response:
    coop = load_coop(slug)
    pk = public_record.public_key(current_actor(), coop)
    return dump(s.PublicKeyOut, {
        "origin": coop.origin, "algorithm": "Ed25519",
        "public_key": None if pk is None else b64(pk), "public_key_hex": None if pk is None else pk.hex(),
        "verifier_key": None if pk is None else verifier_key(coop.origin, pk)})


@operation(P + "/ledger/entries/{index}/inclusion-proof", "GET", "RFC 6962 inclusion proof of an entry",
           tag="ledger", access="public", query=s.InclusionQuery, response=s.InclusionProofOut,
           errors=(400, 401, 403, 404, 422))
def inclusion_proof(slug: str, index: int) -> Response:
    """Proves entry `index` is in the tree of `size` entries (default: the whole ledger
    now; pass a checkpoint's size to check against its signed root). With `size`, the
    answer never changes and is cached for good."""
    q = load_query(s.InclusionQuery)
    coop = load_coop(slug)
    proof = public_record.inclusion(get_session(), current_actor(), coop, index, q.get("size"))
    response = dump(s.InclusionProofOut, {
        "leaf_index": proof.index, "tree_size": proof.size,
        "leaf_hash": b64(proof.leaf_hash), "leaf_hash_hex": proof.leaf_hash.hex(),
        "root_hash": b64(proof.root), "root_hash_hex": proof.root.hex(),
        "audit_path": [b64(h) for h in proof.path], "audit_path_hex": [h.hex() for h in proof.path]})
    if q.get("size") is not None:
        return immutable(response, f"i{proof.index}-{proof.size}-{proof.root.hex()[:32]}", coop.public_pages)
    return response


@operation(P + "/ledger/consistency-proof", "GET", "RFC 6962 consistency proof between two sizes",
           tag="ledger", access="public", query=s.ConsistencyQuery, response=s.ConsistencyProofOut,
           errors=(400, 401, 403, 404, 422))
def consistency_proof(slug: str) -> Response:
    """Proves the ledger at `second` entries (default: now) only appended to the one at
    `first`: ask for it with the size of a checkpoint you saved."""
    q = load_query(s.ConsistencyQuery)
    coop = load_coop(slug)
    proof = public_record.consistency(get_session(), current_actor(), coop, q["first"], q.get("second"))
    return json_response({
        "first": proof.old_size, "second": proof.new_size,
        "first_root_hash": b64(proof.old_root), "first_root_hash_hex": proof.old_root.hex(),
        "second_root_hash": b64(proof.new_root), "second_root_hash_hex": proof.new_root.hex(),
        "consistency": [b64(h) for h in proof.path], "consistency_hex": [h.hex() for h in proof.path]})
