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

    def listener(session, coop_id, event, payload):
        seen.append((event, payload))

    events.subscribe(listener)
    yield seen
    events._listeners.remove(listener)


def test_signing_a_checkpoint_states_the_heads_size_and_root_and_verifies_with_the_published_key(db, keys, coop, captured):
    fill(db, coop, 5)
    cp = checkpoints.sign(db, keys, coop)
    stated = notes.parse_and_verify(cp.note, coop.origin, coop.public_key)
    assert (stated.size, stated.root) == (5, merkle.root(bodies(db, coop)))
    assert ("checkpoint.signed", {"checkpoint_id": cp.id, "size": 5, "root": stated.root.hex(),
                                  "note": cp.note}) in captured


def test_signing_again_without_an_append_returns_the_latest_checkpoint(db, keys, coop, captured):
    fill(db, coop, 2)
    first = checkpoints.sign(db, keys, coop)
    assert checkpoints.sign(db, keys, coop) is first
    assert len([e for e, _ in captured if e == "checkpoint.signed"]) == 1
    fill(db, coop, 1)
    second = checkpoints.sign(db, keys, coop)
    assert second.size == 3 and checkpoints.latest(db, coop) is second
    assert [c.size for c in checkpoints.list_checkpoints(db, coop)] == [2, 3]


def test_a_checkpoint_is_refused_when_the_key_on_disk_is_not_the_published_one(db, keys, coop, tmp_path):
    fill(db, coop, 1)
    other = KeyStore(tmp_path)
    other.load_or_create(coop.slug)
    with pytest.raises(Conflict, match="not the co-op's published key"):
        checkpoints.sign(db, other, coop)
    with pytest.raises(Conflict, match="no signing key"):
        checkpoints.sign(db, KeyStore(tmp_path / "empty"), coop)


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
    checkpoints.sign(db, keys, coop)
    fill(db, coop, 3)
    checkpoints.sign(db, keys, coop)
    result = verification.verify_coop(db, coop)
    assert result.ok, result.problems
    assert (result.entries, result.root, result.checkpoints) == (9, merkle.root(bodies(db, coop)), 2)


def test_verification_uses_a_constant_number_of_queries(db, keys, coop):
    fill(db, coop, 3)
    checkpoints.sign(db, keys, coop)
    with count_queries(db) as small:
        verification.verify_coop(db, coop)
    fill(db, coop, 30)
    checkpoints.sign(db, keys, coop)
    with count_queries(db) as large:
        verification.verify_coop(db, coop)
    assert large.count == small.count


def test_a_pay_entry_hashes_the_same_two_place_text_its_row_stores(db, coop):
    # A rate written "20" must not be hashed as "20" while the row stores "20.00".
    m = make_member(db, coop)
    from coop.pay import Pay

    ledger.append_pay_record(db, coop, m.id, m.name, Pay(Decimal("20"), Decimal("37.5")), 52,
                             authority="founding", effective_date=m.joined_at.date())
    assert b'"hourly_rate":"20.00"' in bodies(db, coop)[0]
    assert verification.verify_coop(db, coop).ok
