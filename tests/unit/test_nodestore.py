"""Roots and proofs from stored subtree hashes must equal the ones computed from the entries.

The database-backed ledger answers from its node store; ``merkle`` (checked against the RFC 6962
vectors in test_merkle.py) is the reference. The store here is a plain dict, built the way the
ledger builds it: one ``nodes_added_by_append`` per entry.
"""

from __future__ import annotations

import pytest

from coop.ledger import merkle, nodestore

MAX_SIZE = 130


def entries_for(n: int) -> list[bytes]:
    return [f'{{"entry":{i}}}'.encode() for i in range(n)]


class CountingStore:
    """A node store that records how it is queried, like a test double of the ledger table."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.batches: list[list[tuple[int, int]]] = []

    def get(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        self.batches.append(list(keys))
        return {k: self.nodes[k] for k in keys if k in self.nodes}

    def append(self, size_before: int, entry: bytes) -> list[tuple[int, int, bytes]]:
        added = nodestore.nodes_added_by_append(size_before, merkle.leaf_hash(entry), self.get)
        for level, index, h in added:
            assert (level, index) not in self.nodes, "a complete subtree is written only once"
            self.nodes[(level, index)] = h
        return added

    def fetch(self, keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        # Only the named keys, so a builder reaching for anything else fails the test.
        return {k: self.nodes[k] for k in keys}


def perfect_subtrees(entries: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete subtree of the ledger, computed from scratch with merkle.root."""
    out = {}
    level = 0
    while (1 << level) <= len(entries):
        width = 1 << level
        for index in range(len(entries) // width):
            out[(level, index)] = merkle.root(entries[index * width : (index + 1) * width])
        level += 1
    return out


def key_budget(n: int) -> int:
    """2 * ceil(log2 n) + 2: what one batched read may cost for a ledger of n entries."""
    return 2 * (n - 1).bit_length() + 2 if n > 0 else 2


@pytest.fixture(scope="module")
def grown():
    """Stores snapshotted after each append: {size: (entries, store nodes)}."""
    store = CountingStore()
    entries = entries_for(MAX_SIZE)
    snapshots = {0: dict(store.nodes)}
    for n in range(MAX_SIZE):
        store.append(n, entries[n])
        snapshots[n + 1] = dict(store.nodes)
    return entries, store, snapshots


# ---------------------------------------------------------------------------------------------
# Appending
# ---------------------------------------------------------------------------------------------


def test_repeated_appends_store_exactly_the_complete_subtrees(grown):
    entries, _, snapshots = grown
    for n in range(MAX_SIZE + 1):
        assert snapshots[n] == perfect_subtrees(entries[:n]), f"size {n}"


def test_each_append_reads_at_most_one_batch_and_only_when_it_completes_a_pair():
    store = CountingStore()
    for n, entry in enumerate(entries_for(70)):
        before = len(store.batches)
        added = store.append(n, entry)
        reads = store.batches[before:]
        if n % 2 == 0:
            # An even-numbered entry is a left child: nothing closes, nothing to read.
            assert reads == [] and len(added) == 1
        else:
            assert len(reads) == 1
            # One left sibling per subtree closed, all present in the store.
            assert len(reads[0]) == len(added) - 1
            assert all(k in store.nodes for k in reads[0])


def test_appending_entry_seven_closes_its_pair_quad_and_octet():
    store = CountingStore()
    entries = entries_for(8)
    for n in range(7):
        store.append(n, entries[n])
    added = store.append(7, entries[7])
    assert [(level, index) for level, index, _ in added] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert added[-1][2] == merkle.root(entries)
    assert store.batches[-1] == [(0, 6), (1, 2), (2, 0)]


def test_append_with_a_lost_node_names_the_missing_row():
    store = CountingStore()
    entries = entries_for(4)
    for n in range(3):
        store.append(n, entries[n])
    del store.nodes[(1, 0)]
    with pytest.raises(nodestore.MissingNodeError, match=r"level 1, index 0"):
        store.append(3, entries[3])


def test_append_refuses_a_leaf_hash_that_is_not_32_bytes():
    with pytest.raises(ValueError, match="32-byte"):
        nodestore.nodes_added_by_append(0, b"short", lambda keys: {})
    with pytest.raises(ValueError):
        nodestore.nodes_added_by_append(-1, merkle.leaf_hash(b""), lambda keys: {})


# ---------------------------------------------------------------------------------------------
# Roots and proofs agree with merkle.py, for every size up to 130
# ---------------------------------------------------------------------------------------------


def test_root_from_nodes_equals_the_merkle_root_for_every_size(grown):
    entries, store, _ = grown
    for n in range(MAX_SIZE + 1):
        keys = nodestore.root_keys(n)
        assert len(keys) <= key_budget(n)
        assert nodestore.root_from_nodes(n, store.fetch(keys)) == merkle.root(entries[:n]), n


def test_empty_ledger_root_needs_no_nodes():
    assert nodestore.root_keys(0) == []
    assert nodestore.root_from_nodes(0, {}) == merkle.EMPTY_ROOT


@pytest.mark.parametrize("n", range(1, MAX_SIZE + 1))
def test_every_inclusion_proof_from_nodes_equals_merkles(grown, n):
    entries, store, _ = grown
    prefix = entries[:n]
    for index in range(n):
        keys = nodestore.inclusion_keys(index, n)
        assert len(keys) <= key_budget(n), (index, n, len(keys))
        assert len(set(keys)) == len(keys)
        proof = nodestore.inclusion_from_nodes(index, n, store.fetch(keys))
        assert proof == merkle.inclusion_proof(prefix, index), (index, n)


@pytest.mark.parametrize("n", range(0, MAX_SIZE + 1))
def test_every_consistency_proof_from_nodes_equals_merkles(grown, n):
    entries, store, _ = grown
    prefix = entries[:n]
    for old in range(n + 1):
        keys = nodestore.consistency_keys(old, n)
        assert len(keys) <= key_budget(n), (old, n, len(keys))
        assert len(set(keys)) == len(keys)
        proof = nodestore.consistency_from_nodes(old, n, store.fetch(keys))
        assert proof == merkle.consistency_proof(prefix, old), (old, n)


def test_proofs_need_only_nodes_complete_at_the_size_asked(grown):
    # A proof for size n must not reach for nodes that only exist once the ledger grew:
    # the store holds exactly the snapshot at size n, and every key must be in it.
    _, _, snapshots = grown
    for n in (1, 5, 6, 7, 63, 64, 65, 100):
        for index in range(n):
            assert set(nodestore.inclusion_keys(index, n)) <= snapshots[n].keys()
        for old in range(n + 1):
            assert set(nodestore.consistency_keys(old, n)) <= snapshots[n].keys()
        assert set(nodestore.root_keys(n)) <= snapshots[n].keys()


def test_a_missing_node_is_reported_not_silently_skipped(grown):
    _, store, _ = grown
    nodes = store.fetch(nodestore.inclusion_keys(5, 13))
    nodes.pop(next(iter(nodes)))
    with pytest.raises(nodestore.MissingNodeError, match="missing from the node store"):
        nodestore.inclusion_from_nodes(5, 13, nodes)


def test_proof_key_functions_validate_their_positions():
    with pytest.raises(IndexError, match="not in a ledger of 4 entries"):
        nodestore.inclusion_keys(4, 4)
    with pytest.raises(IndexError):
        nodestore.inclusion_keys(-1, 4)
    with pytest.raises(ValueError):
        nodestore.inclusion_keys(0, -1)
    with pytest.raises(ValueError, match="larger than new_size"):
        nodestore.consistency_keys(5, 4)
    with pytest.raises(TypeError):
        nodestore.root_keys(True)  # type: ignore[arg-type]
