"""Checkpoints, proofs from the node store, and verification of the ledger in the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from coop.errors import Conflict, InvalidInput
from coop.ledger import checkpoint as notes
from coop.ledger import merkle
from coop.ledger.keys import KeyStore
from coop.models import LedgerEntry
from coop.services import checkpoints, events, ledger, proofs, verification
from tests.clock import NOW
from tests.factories import make_coop, make_member
from tests.querycount import count_queries


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


def bodies(db, coop) -> list[bytes]:
    return [bytes(b) for b in db.scalars(
        select(LedgerEntry.body).where(LedgerEntry.coop_id == coop.id).order_by(LedgerEntry.index))]


def fill(db, coop, n: int) -> None:
    for i in range(n):
        make_member(db, coop, hourly_rate=f"{20 + i % 5}.00")


@pytest.fixture
def captured():
    seen = []

    def listener(session, coop_id, event, payload, now):
        seen.append((event, payload))

    events.subscribe(listener)
    yield seen
    events._listeners.remove(listener)


def test_signing_a_checkpoint_states_the_heads_size_and_root_and_verifies_with_the_published_key(db, keys, coop, captured):
    fill(db, coop, 5)
    cp = checkpoints.sign(db, keys, coop, now=NOW)
    stated = notes.parse_and_verify(cp.note, coop.origin, coop.public_key)
    assert (stated.size, stated.root) == (5, merkle.root(bodies(db, coop)))
    assert ("checkpoint.signed", {"checkpoint_id": cp.id, "size": 5, "root": stated.root.hex(),
                                  "note": cp.note}) in captured


def test_signing_again_without_an_append_returns_the_latest_checkpoint(db, keys, coop, captured):
    fill(db, coop, 2)
    first = checkpoints.sign(db, keys, coop, now=NOW)
    assert checkpoints.sign(db, keys, coop, now=NOW) is first
    assert len([e for e, _ in captured if e == "checkpoint.signed"]) == 1
    fill(db, coop, 1)
    second = checkpoints.sign(db, keys, coop, now=NOW)
    assert second.size == 3 and checkpoints.latest(db, coop) is second
    assert [c.size for c in checkpoints.list_checkpoints(db, coop)] == [2, 3]


def test_a_checkpoint_is_refused_when_the_key_on_disk_is_not_the_published_one(db, keys, coop, tmp_path):
    fill(db, coop, 1)
    other = KeyStore(tmp_path)
    other.load_or_create(coop.slug)
    with pytest.raises(Conflict, match="not the co-op's published key"):
        checkpoints.sign(db, other, coop, now=NOW)
    with pytest.raises(Conflict, match="no signing key"):
        checkpoints.sign(db, KeyStore(tmp_path / "empty"), coop, now=NOW)


@pytest.mark.parametrize("n", [1, 2, 7, 33])
def test_inclusion_proofs_from_the_node_store_verify_against_the_rfc6962_root(db, coop, n):
    fill(db, coop, n)
    bs = bodies(db, coop)
    for index in {0, n // 2, n - 1}:
        for size in {index + 1, n}:
            p = proofs.inclusion(db, coop, index, size)
            assert p.root == merkle.root(bs[:size]) == proofs.root_at(db, coop, size)
            assert p.path == merkle.inclusion_proof(bs[:size], index)
            assert merkle.verify_inclusion(bs[index], index, size, p.path, p.root)


@pytest.mark.parametrize("old,new", [(0, 9), (1, 9), (4, 9), (5, 9), (8, 9), (9, 9), (3, 6)])
def test_consistency_proofs_from_the_node_store_verify(db, coop, old, new):
    fill(db, coop, 9)
    bs = bodies(db, coop)
    p = proofs.consistency(db, coop, old, new)
    assert p.path == merkle.consistency_proof(bs[:new], old)
    assert merkle.verify_consistency(old, new, merkle.root(bs[:old]), merkle.root(bs[:new]), p.path)
    assert (p.old_root, p.new_root) == (merkle.root(bs[:old]), merkle.root(bs[:new]))


def test_a_proof_reads_its_nodes_in_one_query_of_logarithmic_rows(db, coop):
    fill(db, coop, 40)
    with count_queries(db) as q:
        p = proofs.inclusion(db, coop, 17)
    node_queries = q.matching("ledger_nodes")
    assert len(node_queries) == 1 and q.count == 2  # the head's size, then the nodes
    assert len(p.path) <= 6
    with count_queries(db) as q:
        proofs.consistency(db, coop, 13)
    assert len(q.matching("ledger_nodes")) == 1 and q.count == 2


def test_proofs_refuse_sizes_and_indexes_outside_the_ledger(db, coop):
    fill(db, coop, 3)
    with pytest.raises(InvalidInput) as exc:
        proofs.inclusion(db, coop, 3)
    assert exc.value.field == "index"
    with pytest.raises(InvalidInput) as exc:
        proofs.inclusion(db, coop, 0, size=4)
    assert exc.value.field == "size"
    with pytest.raises(InvalidInput) as exc:
        proofs.consistency(db, coop, 4)
    assert exc.value.field == "old_size"


def test_the_ledger_in_the_database_verifies_with_its_checkpoints(db, keys, coop):
    fill(db, coop, 6)
    checkpoints.sign(db, keys, coop, now=NOW)
    fill(db, coop, 3)
    checkpoints.sign(db, keys, coop, now=NOW)
    result = verification.verify_coop(db, coop, now=NOW)
    assert result.ok, result.problems
    assert (result.entries, result.root, result.checkpoints) == (9, merkle.root(bodies(db, coop)), 2)


def test_verification_uses_a_constant_number_of_queries(db, keys, coop):
    fill(db, coop, 3)
    checkpoints.sign(db, keys, coop, now=NOW)
    with count_queries(db) as small:
        verification.verify_coop(db, coop, now=NOW)
    fill(db, coop, 30)
    checkpoints.sign(db, keys, coop, now=NOW)
    with count_queries(db) as large:
        verification.verify_coop(db, coop, now=NOW)
    assert large.count == small.count


def test_a_pay_entry_hashes_the_same_two_place_text_its_row_stores(db, coop):
    # A rate written "20" must not be hashed as "20" while the row stores "20.00".
    m = make_member(db, coop)
    from coop.pay import Pay

    ledger.append_pay_record(db, coop, m.id, m.name, Pay(Decimal("20"), Decimal("37.5")), 52,
                             authority="founding", effective_date=m.joined_at.date(), now=NOW)
    assert b'"hourly_rate":"20.00"' in bodies(db, coop)[0]
    assert verification.verify_coop(db, coop, now=NOW).ok


# -- proofs cost O(log n) reads, whatever the ledger's size ---------------------------------------

def bulk_ledger(db, coop, n: int) -> list[bytes]:
    """A ledger of ``n`` decision entries written straight into the tables (the appends'
    own path is tested above; thousands of them one by one would make this test slow)."""
    from sqlalchemy import insert, update

    from coop.ledger import nodestore
    from coop.ledger.canonical import canonical_bytes
    from coop.models import LedgerHead, LedgerNode

    bs = [canonical_bytes({"index": i, "kind": "decision", "proposal_id": i}) for i in range(n)]
    store: dict = {}
    entries, nodes = [], []
    for i, body in enumerate(bs):
        leaf = merkle.leaf_hash(body)
        entries.append({"coop_id": coop.id, "idx": i, "kind": "decision", "body": body, "leaf_hash": leaf, "appended_at": NOW})
        for level, idx, h in nodestore.nodes_added_by_append(i, leaf, lambda keys: store):
            store[(level, idx)] = h
            nodes.append({"coop_id": coop.id, "level": level, "idx": idx, "hash": h})
    conn = db.connection()
    conn.execute(insert(LedgerEntry.__table__), entries)
    conn.execute(insert(LedgerNode.__table__), nodes)
    conn.execute(update(LedgerHead.__table__).where(LedgerHead.coop_id == coop.id)
                 .values(size=n, root=merkle.root(bs)))
    return bs


def _proof_reads(db, coop, index: int, monkeypatch) -> tuple[int, int, object]:
    """(queries issued, node rows read) by one inclusion proof."""
    read: list[int] = []
    fetch = ledger.fetch_nodes

    def counting(session, coop_id, keys):
        found = fetch(session, coop_id, keys)
        read.append(len(found))
        return found

    monkeypatch.setattr(ledger, "fetch_nodes", counting)
    with count_queries(db) as q:
        p = proofs.inclusion(db, coop, index)
    monkeypatch.setattr(ledger, "fetch_nodes", fetch)
    return q.count, sum(read), p


def test_an_inclusion_proof_reads_logarithmically_many_rows_in_the_same_number_of_queries(db, keys, monkeypatch):
    small, large = make_coop(db, keys), make_coop(db, keys)
    small_bodies, large_bodies = bulk_ledger(db, small, 1000), bulk_ledger(db, large, 8000)
    figures = {}
    for coop, bs in ((small, small_bodies), (large, large_bodies)):
        n = len(bs)
        for index in (0, n // 3, n - 1):
            queries, rows, p = _proof_reads(db, coop, index, monkeypatch)
            assert merkle.verify_inclusion(bs[index], index, n, p.path, merkle.root(bs))
            # The leaf, the path's pieces and the root's pieces: a few per level of the tree.
            assert rows <= 3 * n.bit_length() + 1, (n, index, rows)
            figures.setdefault(n, set()).add((queries, rows <= 3 * n.bit_length() + 1))
    # Eight times the entries: the same queries, and three more levels' worth of rows at most.
    assert figures[1000] == figures[8000] == {(2, True)}


def test_node_lookups_use_the_primary_key_instead_of_scanning_the_co_ops_nodes(db, keys, backend):
    if backend != "sqlite":
        pytest.skip("the plan checked is SQLite's (which scanned for a row-value IN)")
    from sqlalchemy import event

    from coop.ledger import nodestore

    coop = make_coop(db, keys)
    bulk_ledger(db, coop, 300)
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "ledger_nodes" in statement:
            statements.append((statement, parameters))

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        ledger.fetch_nodes(db, coop.id, [(0, 17), *nodestore.inclusion_keys(17, 300)])
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    (statement, parameters), = statements
    plan = db.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    details = [row[-1] for row in plan]
    assert not any(d.startswith("SCAN") for d in details), details
    assert any("coop_id=? AND level=? AND idx=?" in d for d in details), details


def test_a_member_renamed_after_a_pay_entry_still_verifies_against_the_name_it_recorded(db, coop):
    # Verification first tries the member's current name (no need to parse the body); a
    # rename makes it fall back to the name the entry recorded, which the row must match.
    m = make_member(db, coop, name="Ada Okafor", hourly_rate="25.00")
    m.name = "Ada Okafor-Byrne"
    db.flush()
    result = verification.verify_coop(db, coop, now=NOW)
    assert result.ok, result.problems
    assert b'"member_name":"Ada Okafor"' in bodies(db, coop)[0]
