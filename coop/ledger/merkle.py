"""The RFC 6962 Merkle tree over ledger entries, with inclusion and consistency proofs.

The tree is exactly RFC 6962 §2.1 (the Certificate Transparency tree): SHA-256, a leaf is
``SHA-256(0x00 || entry)`` and an interior node ``SHA-256(0x01 || left || right)``. Using the
standard tree, not a home-made one, is the point: a member, an auditor or an integration can
check our proofs with any RFC 6962 / RFC 9162 verifier, without trusting coop's code.

The two domain prefixes stop an attacker from passing an interior node off as an entry (a
second-preimage attack); the unbalanced right edge ("largest power of two smaller than n")
lets the tree grow one entry at a time without re-hashing what is already published.

Proof builders take the raw entries (the canonical bytes of each ledger entry) and raise on
bad arguments, because a bad argument there is a programming error. Verifiers never raise:
they answer "does this proof hold?" for data that came from outside, and anything malformed
is simply "no".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""RFC 6962: the hash of an empty list is the hash of an empty string."""


# ---------------------------------------------------------------------------------------------
# Hashing
# ---------------------------------------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    """The RFC 6962 leaf hash of one entry's canonical bytes: SHA-256(0x00 || entry)."""
    h = hashlib.sha256(LEAF_PREFIX)
    h.update(entry)  # hashlib refuses str, so a forgotten .encode() fails loudly
    return h.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    if len(left) != HASH_SIZE or len(right) != HASH_SIZE:
        raise ValueError(
            f"node_hash takes two {HASH_SIZE}-byte hashes, got {len(left)} and {len(right)} bytes"
        )
    return hashlib.sha256(NODE_PREFIX + bytes(left) + bytes(right)).digest()


def _split(n: int) -> int:
    """RFC 6962's k: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) from leaf hashes, without copying slices (hi > lo)."""
    if hi - lo == 1:
        return hashes[lo]
    k = _split(hi - lo)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def root(entries: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (root) of the ledger whose entries are ``entries``, in order."""
    return root_from_leaf_hashes([leaf_hash(e) for e in entries])


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """The root of a tree given its leaves' hashes (as stored beside each ledger row)."""
    if len(leaf_hashes) == 0:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


# ---------------------------------------------------------------------------------------------
# Building proofs (RFC 6962 §2.1.1 PATH and §2.1.2 SUBPROOF)
# ---------------------------------------------------------------------------------------------


def _check_count(name: str, value: object) -> int:
    # bool is an int in Python; a ledger position is never True or False.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def _path(m: int, hashes: Sequence[bytes], lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]): the audit path for leaf lo+m, listed from the leaf upwards."""
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return _path(m, hashes, lo, lo + k) + [_mth(hashes, lo + k, hi)]
    return _path(m - k, hashes, lo + k, hi) + [_mth(hashes, lo, lo + k)]


def inclusion_proof(entries: Sequence[bytes], index: int) -> list[bytes]:
    """The RFC 6962 audit path proving entry number ``index`` is in the tree of ``entries``.

    :raise IndexError: ``index`` is not the number of an entry of this ledger.
    """
    _check_count("index", index)
    n = len(entries)
    if not 0 <= index < n:
        raise IndexError(f"entry {index} is not in a ledger of {n} entries (valid: 0..{n - 1})")
    return _path(index, [leaf_hash(e) for e in entries], 0, n)


def _subproof(m: int, hashes: Sequence[bytes], lo: int, hi: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b); ``whole`` is RFC 6962's b: is D[lo:lo+m] a root the verifier
    already knows (the old root itself), so it need not be sent?"""
    n = hi - lo
    if m == n:
        return [] if whole else [_mth(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        return _subproof(m, hashes, lo, lo + k, whole) + [_mth(hashes, lo + k, hi)]
    return _subproof(m - k, hashes, lo + k, hi, False) + [_mth(hashes, lo, lo + k)]


def consistency_proof(entries: Sequence[bytes], old_size: int) -> list[bytes]:
    """The RFC 6962 proof that the ledger's first ``old_size`` entries are unchanged.

    A member who saved a checkpoint at ``old_size`` uses it to check the current ledger only
    appended to the one they saw. For ``old_size`` 0 (nothing to protect) or the current size
    (nothing appended) the proof is empty.

    :raise ValueError: ``old_size`` is negative or larger than the ledger.
    """
    _check_count("old_size", old_size)
    n = len(entries)
    if not 0 <= old_size <= n:
        raise ValueError(f"old_size {old_size} is outside 0..{n} for a ledger of {n} entries")
    if old_size == 0 or old_size == n:
        return []
    return _subproof(old_size, [leaf_hash(e) for e in entries], 0, n, True)


# ---------------------------------------------------------------------------------------------
# Verifying proofs (RFC 9162 §2.1.3.2 and §2.1.4.2). These never raise.
# ---------------------------------------------------------------------------------------------


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, (bytes, bytearray)) and len(value) == HASH_SIZE


def _is_proof(proof: object) -> bool:
    return isinstance(proof, (list, tuple)) and all(_is_hash(p) for p in proof)


def verify_inclusion(entry: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """Does ``proof`` show that ``entry`` is entry number ``index`` of the ledger of ``size``
    entries whose root is ``root``?"""
    if not isinstance(entry, (bytes, bytearray)):
        return False
    return verify_inclusion_by_hash(leaf_hash(entry), index, size, proof, root)


def verify_inclusion_by_hash(
    leaf_hash: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> bool:
    """As :func:`verify_inclusion`, from the entry's stored leaf hash (RFC 9162 §2.1.3.2)."""
    if not (_is_count(index) and _is_count(size) and _is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not _is_proof(proof) or index >= size:
        return False
    # fn walks the entry's position up the tree and sn the last entry's; where they meet, the
    # right edge of an unbalanced tree has no sibling at that level, so levels are skipped.
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return False  # proof longer than the tree is tall
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """Does ``proof`` show that the ledger at ``new_size`` only appended to the one at
    ``old_size``, i.e. that nothing a member saw at ``old_size`` was rewritten? (RFC 9162
    §2.1.4.2.)"""
    if not (_is_count(old_size) and _is_count(new_size)):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and _is_proof(proof)):
        return False
    if old_size > new_size:
        return False  # a ledger never shrinks
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if old_size == 0:
        return len(proof) == 0  # the empty ledger is a prefix of every ledger
    if len(proof) == 0:
        return False

    path = [bytes(p) for p in proof]
    if old_size & (old_size - 1) == 0:
        # A power-of-two old tree is a complete subtree of the new one; RFC 6962 leaves its
        # hash (the old root) out of the proof because the verifier already holds it.
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
