"""Our Merkle tree against pymerkle, an RFC 9162 (RFC 6962's successor, same hashing)
implementation maintained by others: the same entries give the same root at every size, the
same audit paths, and pymerkle's own verifier accepts our roots. Proof *formats* differ
(pymerkle's paths carry the leaf itself, its consistency proofs the old root), so we compare
paths where they coincide and otherwise let each library check the other's roots."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree, InvalidProof, verify_consistency, verify_inclusion

from coop.ledger import merkle

ENTRIES = st.lists(st.binary(max_size=12), min_size=1, max_size=40)


def tree_of(entries: list[bytes]) -> InmemoryTree:
    tree = InmemoryTree(algorithm="sha256")  # security mode (the default): RFC 6962's 0x00/0x01 prefixes
    for entry in entries:
        tree.append_entry(entry)
    return tree


@settings(max_examples=150, deadline=None)
@given(ENTRIES)
def test_roots_agree_at_every_size(entries: list[bytes]) -> None:
    tree = tree_of(entries)
    for size in range(1, len(entries) + 1):
        assert tree.get_root(size) == merkle.root(entries[:size]), size


@settings(max_examples=100, deadline=None)
@given(ENTRIES, st.data())
def test_audit_paths_agree_and_pymerkle_accepts_our_root(entries: list[bytes], data: st.DataObject) -> None:
    tree = tree_of(entries)
    size = data.draw(st.integers(1, len(entries)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    theirs = tree.prove_inclusion(index + 1, size)  # pymerkle counts leaves from 1
    ours = merkle.inclusion_proof(entries[:size], index)
    # pymerkle's path starts with the leaf's own hash; the rest is RFC 6962's audit path.
    assert theirs.path[0] == merkle.leaf_hash(entries[index])
    assert theirs.path[1:] == ours
    root = merkle.root(entries[:size])
    verify_inclusion(merkle.leaf_hash(entries[index]), root, theirs)  # raises InvalidProof if not
    assert merkle.verify_inclusion(entries[index], index, size, ours, root)


@settings(max_examples=100, deadline=None)
@given(ENTRIES, st.data())
def test_pymerkle_finds_our_roots_consistent_and_we_agree(entries: list[bytes], data: st.DataObject) -> None:
    tree = tree_of(entries)
    new = data.draw(st.integers(1, len(entries)), label="new size")
    old = data.draw(st.integers(1, new), label="old size")
    old_root, new_root = merkle.root(entries[:old]), merkle.root(entries[:new])
    verify_consistency(old_root, new_root, tree.prove_consistency(old, new))
    assert merkle.verify_consistency(old, new, old_root, new_root, merkle.consistency_proof(entries[:new], old))


def test_a_different_history_is_caught_by_both() -> None:
    entries = [b"pay:ada:31.00", b"pay:grace:29.00", b"decision:7", b"pay:lena:27.50"]
    forged = [*entries[:2], b"decision:7 (rewritten)", entries[3]]
    old_root = merkle.root(forged[:3])
    new_root = merkle.root(entries)
    with pytest.raises(InvalidProof):
        verify_consistency(old_root, new_root, tree_of(entries).prove_consistency(3, 4))
    assert not merkle.verify_consistency(3, 4, old_root, new_root, merkle.consistency_proof(entries, 3))
    assert hashlib.sha256(b"").digest() == merkle.root([])
