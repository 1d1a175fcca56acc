"""The ledger's Merkle tree is RFC 6962's, so any CT/RFC 9162 verifier can check our proofs.

Known-answer vectors come from the public RFC 6962 test data of Certificate Transparency /
Trillian (github.com/transparency-dev/merkle, proof/verify_test.go); the corruption probes
mirror the ones that suite runs. Everything else is cross-checked against a naive reference
written here straight from the RFC text, with its own hashing.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.ledger import merkle

# ---------------------------------------------------------------------------------------------
# RFC 6962 test data (transparency-dev/merkle, formerly google/trillian merkle/rfc6962)
# ---------------------------------------------------------------------------------------------

LEAVES = [
    bytes.fromhex(""),
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]

ROOTS = {  # tree size -> root
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

# (index, tree size, audit path); the upstream table numbers leaves from 1, these from 0.
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# (old size, new size, proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY_ROOT = bytes.fromhex(ROOTS[0])


def hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def unhex(hashes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


def root_of(size: int) -> bytes:
    return bytes.fromhex(ROOTS[size])


# ---------------------------------------------------------------------------------------------
# A naive reference, written from RFC 6962 §2.1 on list slices, hashing on its own.
# ---------------------------------------------------------------------------------------------


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def entries_for(n: int) -> list[bytes]:
    # Distinct entries of varied length, like real canonical JSON entries.
    return [f'{{"entry":{i}}}'.encode() * (1 + i % 3) for i in range(n)]


def flip_bit(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------------------------


def test_empty_ledger_root_is_the_sha256_of_nothing():
    assert merkle.root([]).hex() == ROOTS[0]
    assert merkle.EMPTY_ROOT.hex() == ROOTS[0]


@pytest.mark.parametrize("size", range(1, 9))
def test_root_matches_the_rfc6962_reference_for_every_size_up_to_eight(size):
    assert merkle.root(LEAVES[:size]).hex() == ROOTS[size]


def test_leaf_and_node_hashes_carry_the_rfc6962_domain_prefixes():
    # A one-entry tree's root is its leaf hash: SHA-256(0x00 || "").
    assert merkle.leaf_hash(b"").hex() == ROOTS[1]
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert merkle.node_hash(a, b) != merkle.node_hash(b, a)


def test_leaf_hash_refuses_text_so_a_missing_encode_fails_loudly():
    with pytest.raises(TypeError):
        merkle.leaf_hash("not bytes")  # type: ignore[arg-type]


def test_node_hash_refuses_anything_but_two_32_byte_hashes():
    with pytest.raises(ValueError, match="32-byte"):
        merkle.node_hash(b"\x00" * 31, b"\x00" * 32)


def test_root_from_leaf_hashes_agrees_with_root_from_entries():
    for n in range(0, 9):
        hashes = [merkle.leaf_hash(e) for e in LEAVES[:n]]
        assert merkle.root_from_leaf_hashes(hashes).hex() == ROOTS[n]


@pytest.mark.parametrize("index,size,proof", INCLUSION_VECTORS)
def test_inclusion_proof_matches_the_rfc6962_reference(index, size, proof):
    assert hexes(merkle.inclusion_proof(LEAVES[:size], index)) == proof
    assert merkle.verify_inclusion(LEAVES[index], index, size, unhex(proof), root_of(size))


@pytest.mark.parametrize("old,new,proof", CONSISTENCY_VECTORS)
def test_consistency_proof_matches_the_rfc6962_reference(old, new, proof):
    assert hexes(merkle.consistency_proof(LEAVES[:new], old)) == proof
    assert merkle.verify_consistency(old, new, root_of(old), root_of(new), unhex(proof))


# ---------------------------------------------------------------------------------------------
# Corrupted proofs must not verify (the probes transparency-dev/merkle runs)
# ---------------------------------------------------------------------------------------------


def inclusion_corruptions(index, size, proof, root, leaf):
    """(description, args for verify_inclusion_by_hash) of every corruption to try."""
    probes = [
        ("index - 1", (leaf, index - 1, size, proof, root)),
        ("index + 1", (leaf, index + 1, size, proof, root)),
        ("index ^ 2", (leaf, index ^ 2, size, proof, root)),
        ("size * 2", (leaf, index, size * 2, proof, root)),
        ("size // 2", (leaf, index, size // 2, proof, root)),
        ("wrong leaf", (merkle.leaf_hash(b"WrongLeaf"), index, size, proof, root)),
        ("empty root", (leaf, index, size, proof, EMPTY_ROOT)),
        ("random root", (leaf, index, size, proof, SOME_HASH)),
        ("trailing garbage", (leaf, index, size, proof + [b""], root)),
        ("trailing root", (leaf, index, size, proof + [root], root)),
        ("preceding garbage", (leaf, index, size, [b""] + proof, root)),
        ("preceding root", (leaf, index, size, [root] + proof, root)),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip_bit(wrong[i], 3)
        probes.append((f"proof[{i}] bit 3", (leaf, index, size, wrong, root)))
    if proof:
        probes.append(("removed component", (leaf, index, size, proof[:-1], root)))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH] + proof[1:]
        probes.append(("inserted component", (leaf, index, size, inserted, root)))
    return probes


@pytest.mark.parametrize("index,size,proof", INCLUSION_VECTORS[1:])
def test_corrupted_inclusion_proofs_are_rejected(index, size, proof):
    leaf, proof, root = merkle.leaf_hash(LEAVES[index]), unhex(proof), root_of(size)
    assert merkle.verify_inclusion_by_hash(leaf, index, size, proof, root)  # the genuine one
    probes = inclusion_corruptions(index, size, proof, root, leaf)
    accepted = [name for name, args in probes if merkle.verify_inclusion_by_hash(*args)]
    assert accepted == []


def consistency_corruptions(old, new, old_root, new_root, proof):
    probes = [
        ("old - 1", old - 1, new, old_root, new_root, proof),
        ("old + 1", old + 1, new, old_root, new_root, proof),
        ("old ^ 2", old ^ 2, new, old_root, new_root, proof),
        ("new * 2", old, new * 2, old_root, new_root, proof),
        ("new // 2", old, new // 2, old_root, new_root, proof),
        ("wrong old root", old, new, SOME_HASH, new_root, proof),
        ("wrong new root", old, new, old_root, SOME_HASH, proof),
        ("swapped roots", old, new, new_root, old_root, proof),
        ("empty proof", old, new, old_root, new_root, []),
        ("trailing garbage", old, new, old_root, new_root, proof + [b""]),
        ("trailing old root", old, new, old_root, new_root, proof + [old_root]),
        ("trailing new root", old, new, old_root, new_root, proof + [new_root]),
        ("preceding garbage", old, new, old_root, new_root, [b""] + proof),
        ("preceding old root", old, new, old_root, new_root, [old_root] + proof),
        ("preceding new root", old, new, old_root, new_root, [new_root] + proof),
        ("preceding proof[0]", old, new, old_root, new_root, [proof[0]] + proof),
        ("truncated", old, new, old_root, new_root, proof[:-1]),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = flip_bit(wrong[i], 4)
        probes.append((f"proof[{i}] bit 4", old, new, old_root, new_root, wrong))
    return probes


@pytest.mark.parametrize("old,new,proof", [v for v in CONSISTENCY_VECTORS if v[2]])
def test_corrupted_consistency_proofs_are_rejected(old, new, proof):
    assert merkle.verify_consistency(old, new, root_of(old), root_of(new), unhex(proof))
    probes = consistency_corruptions(old, new, root_of(old), root_of(new), unhex(proof))
    accepted = [name for name, *args in probes if merkle.verify_consistency(*args)]
    assert accepted == []


A, B = root_of(3), root_of(5)


@pytest.mark.parametrize(
    "old,new,old_root,new_root,proof,expected",
    [
        # Equal sizes: nothing appended, so the roots must be equal and the proof empty.
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (1, 1, A, A, [], True),
        (0, 0, EMPTY_ROOT, B, [], False),
        (1, 1, A, B, [], False),
        (1, 1, A, A, [EMPTY_ROOT], False),
        # The empty ledger is a prefix of every ledger, but only with an empty proof.
        (0, 1, EMPTY_ROOT, B, [], True),
        (0, 1, EMPTY_ROOT, B, [EMPTY_ROOT], False),
        # A ledger never shrinks.
        (1, 0, A, B, [], False),
        (2, 1, A, B, [], False),
        # Growth needs a proof.
        (1, 2, A, B, [], False),
    ],
)
def test_consistency_edge_cases_follow_rfc9162(old, new, old_root, new_root, proof, expected):
    assert merkle.verify_consistency(old, new, old_root, new_root, proof) is expected


def test_single_entry_ledger_inclusion_needs_matching_leaf_and_root():
    leaf = merkle.leaf_hash(b"data")
    assert merkle.verify_inclusion_by_hash(leaf, 0, 1, [], leaf)
    assert not merkle.verify_inclusion_by_hash(leaf, 0, 1, [], b"")
    assert not merkle.verify_inclusion_by_hash(b"", 0, 1, [], leaf)
    assert not merkle.verify_inclusion(b"data", 0, 1, [], SOME_HASH)


@pytest.mark.parametrize("index,size", [(0, 0), (1, 0), (2, 1), (1, 1), (-1, 1)])
def test_inclusion_in_an_impossible_position_is_rejected(index, size):
    assert not merkle.verify_inclusion_by_hash(SOME_HASH, index, size, [], EMPTY_ROOT)
    assert not merkle.verify_inclusion_by_hash(SOME_HASH, index, size, [], SOME_HASH)


# ---------------------------------------------------------------------------------------------
# Argument validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [-1, 3, 100])
def test_inclusion_proof_for_an_entry_outside_the_ledger_raises_index_error(index):
    with pytest.raises(IndexError, match="not in a ledger of 3 entries"):
        merkle.inclusion_proof(LEAVES[:3], index)


def test_inclusion_proof_for_an_empty_ledger_raises_index_error():
    with pytest.raises(IndexError):
        merkle.inclusion_proof([], 0)


@pytest.mark.parametrize("old_size", [-1, 4])
def test_consistency_proof_from_an_impossible_size_raises_value_error(old_size):
    with pytest.raises(ValueError, match="outside 0..3"):
        merkle.consistency_proof(LEAVES[:3], old_size)


def test_proof_builders_refuse_a_bool_where_a_position_belongs():
    with pytest.raises(TypeError):
        merkle.inclusion_proof(LEAVES, True)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        merkle.consistency_proof(LEAVES, False)  # type: ignore[arg-type]


def test_consistency_proof_is_empty_from_nothing_and_to_the_same_size():
    assert merkle.consistency_proof(LEAVES, 0) == []
    assert merkle.consistency_proof(LEAVES, 8) == []


# ---------------------------------------------------------------------------------------------
# Cross-checks against the reference, every shape of tree up to 70 entries
# ---------------------------------------------------------------------------------------------

SIZES = range(0, 71)


@pytest.mark.parametrize("n", SIZES)
def test_every_proof_agrees_with_the_reference_and_verifies(n):
    entries = entries_for(n)
    r = merkle.root(entries)
    assert r == ref_mth(entries)
    for i in range(n):
        proof = merkle.inclusion_proof(entries, i)
        assert proof == ref_path(i, entries)
        assert merkle.verify_inclusion(entries[i], i, n, proof, r)
    for old in range(0, n + 1):
        proof = merkle.consistency_proof(entries, old)
        if 0 < old < n:
            assert proof == ref_subproof(old, entries, True)
        assert merkle.verify_consistency(old, n, ref_mth(entries[:old]), r, proof)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_bit_flip_breaks_an_inclusion_proof(data):
    n = data.draw(st.integers(1, 70), label="size")
    i = data.draw(st.integers(0, n - 1), label="index")
    entries = entries_for(n)
    proof = merkle.inclusion_proof(entries, i)
    r = merkle.root(entries)
    entry = entries[i]
    target = data.draw(st.sampled_from(["proof", "root", "entry", "index"]), label="target")
    if target == "proof":
        if not proof:
            return
        k = data.draw(st.integers(0, len(proof) - 1))
        proof = list(proof)
        proof[k] = flip_bit(proof[k], data.draw(st.integers(0, 255)))
    elif target == "root":
        r = flip_bit(r, data.draw(st.integers(0, 255)))
    elif target == "entry":
        entry = flip_bit(entry, data.draw(st.integers(0, len(entry) * 8 - 1)))
    else:
        i ^= 1 << data.draw(st.integers(0, 7))
    assert not merkle.verify_inclusion(entry, i, n, proof, r)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_bit_flip_breaks_a_consistency_proof(data):
    n = data.draw(st.integers(2, 70), label="new size")
    old = data.draw(st.integers(1, n - 1), label="old size")
    entries = entries_for(n)
    proof = merkle.consistency_proof(entries, old)
    old_root, new_root = merkle.root(entries[:old]), merkle.root(entries)
    target = data.draw(st.sampled_from(["proof", "old_root", "new_root"]), label="target")
    bit = data.draw(st.integers(0, 255))
    if target == "proof":
        k = data.draw(st.integers(0, len(proof) - 1))
        proof = list(proof)
        proof[k] = flip_bit(proof[k], bit)
    elif target == "old_root":
        old_root = flip_bit(old_root, bit)
    else:
        new_root = flip_bit(new_root, bit)
    assert not merkle.verify_consistency(old, n, old_root, new_root, proof)


def test_a_rewritten_entry_breaks_consistency_with_the_saved_checkpoint():
    # The member's story: they saved the root at size 5; later entry 2 is rewritten.
    entries = entries_for(9)
    saved_root = merkle.root(entries[:5])
    tampered = list(entries)
    tampered[2] = b'{"entry":2,"hourly_rate":"99.00"}'
    proof = merkle.consistency_proof(tampered, 5)
    assert not merkle.verify_consistency(5, 9, saved_root, merkle.root(tampered), proof)


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.binary(max_size=40),
    st.text(max_size=5),
    st.lists(st.binary(max_size=40), max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(entry=junk, index=junk, size=junk, proof=junk, root=junk)
def test_inclusion_verifier_never_raises_on_garbage(entry, index, size, proof, root):
    assert merkle.verify_inclusion(entry, index, size, proof, root) in (True, False)
    assert merkle.verify_inclusion_by_hash(entry, index, size, proof, root) in (True, False)


@settings(max_examples=300, deadline=None)
@given(old=junk, new=junk, old_root=junk, new_root=junk, proof=junk)
def test_consistency_verifier_never_raises_on_garbage(old, new, old_root, new_root, proof):
    assert merkle.verify_consistency(old, new, old_root, new_root, proof) in (True, False)


@pytest.mark.parametrize("index,size", [(-1, 8), (8, 8), (2**64, 2**64 + 1), (0.0, 8), ("0", 8)])
def test_inclusion_verifier_answers_false_for_bad_positions(index, size):
    entries = entries_for(8)
    proof = merkle.inclusion_proof(entries, 0)
    assert merkle.verify_inclusion(entries[0], index, size, proof, merkle.root(entries)) is False


def test_verifiers_refuse_bools_even_where_the_number_would_fit():
    # False/True are 0/1 to Python; a proof for entry 0 of 1 must not verify for them.
    leaf = merkle.leaf_hash(b"only entry")
    assert merkle.verify_inclusion_by_hash(leaf, 0, 1, [], leaf)
    assert not merkle.verify_inclusion_by_hash(leaf, False, 1, [], leaf)
    assert not merkle.verify_inclusion_by_hash(leaf, 0, True, [], leaf)
    assert not merkle.verify_consistency(True, 1, leaf, leaf, [])
