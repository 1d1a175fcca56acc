"""Roots and proofs from stored subtree hashes, so a large ledger is never re-hashed per request.

The database-backed ledger keeps the hash of every *complete* (perfect) subtree of its RFC 6962
tree, keyed by ``(level, index)``:

- level 0, index i is the leaf hash of entry i;
- level L, index i is the hash of the 2^L entries [i * 2^L, (i + 1) * 2^L).

Complete subtrees never change once the last of their entries is appended, so these rows are
append-only like the ledger itself. Every hash that RFC 6962 puts in a root or a proof is the
hash of a subtree [k * 2^L, min((k + 1) * 2^L, size)); when it is cut short by the right edge
of the tree it is itself the RFC 6962 combination of complete subtrees. So each question
(root, inclusion proof, consistency proof) needs O(log n) stored nodes.

Each operation comes as a pair: ``*_keys`` names every node it needs, so the caller fetches
them in ONE query, and ``*_from_nodes`` builds the answer from the fetched ``{key: hash}``
dict. The functions here are pure; ``merkle`` is the reference they must agree with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from coop.ledger.merkle import EMPTY_ROOT, HASH_SIZE, node_hash

Key = tuple[int, int]
"""(level, index) of a complete subtree."""

Nodes = Mapping[Key, bytes]
NodeGetter = Callable[[list[Key]], Nodes]
"""Fetches the given keys from the store in one batch; returns {key: hash}."""


class MissingNodeError(LookupError):
    """A node the tree's shape says must exist is not in the store.

    The store is append-only and written with each entry, so this means rows were lost or
    deleted behind the application's back (or the caller fetched the wrong keys)."""


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _check_size(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _split(n: int) -> int:
    """RFC 6962's k: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _pieces(start: int, end: int) -> list[Key]:
    """The complete subtrees making up the RFC 6962 subtree [start, end), left to right.

    They follow the binary digits of its length, largest first, exactly as RFC 6962 splits a
    tree at the largest power of two below its size."""
    keys: list[Key] = []
    pos = start
    length = end - start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            # Only true of ranges RFC 6962 actually hashes; anything else is a bug here.
            assert pos % (1 << level) == 0, f"[{start}, {end}) is not an RFC 6962 subtree"
            keys.append((level, pos >> level))
            pos += 1 << level
    return keys


def _need(nodes: Nodes, key: Key) -> bytes:
    try:
        value = nodes[key]
    except KeyError:
        raise MissingNodeError(
            f"ledger node (level {key[0]}, index {key[1]}) is missing from the node store"
        ) from None
    if len(value) != HASH_SIZE:
        raise MissingNodeError(
            f"ledger node (level {key[0]}, index {key[1]}) is {len(value)} bytes, "
            f"not a {HASH_SIZE}-byte hash"
        )
    return bytes(value)


def _hash_range(start: int, end: int, nodes: Nodes) -> bytes:
    """MTH of entries [start, end): its complete pieces combined right to left (RFC 6962:
    the left part is always the larger, complete one)."""
    keys = _pieces(start, end)
    h = _need(nodes, keys[-1])
    for key in reversed(keys[:-1]):
        h = node_hash(_need(nodes, key), h)
    return h


def _keys_for(ranges: list[tuple[int, int]]) -> list[Key]:
    keys: list[Key] = []
    for start, end in ranges:
        keys.extend(_pieces(start, end))
    return keys


# ---------------------------------------------------------------------------------------------
# Appending
# ---------------------------------------------------------------------------------------------


def nodes_added_by_append(
    size_before: int, new_leaf_hash: bytes, get: NodeGetter
) -> list[tuple[int, int, bytes]]:
    """Every node completed by appending entry number ``size_before``, leaf first.

    The new leaf completes one subtree per trailing 1-bit of ``size_before``: entry 7 (binary
    111) closes the pairs (6, 7), then (4..7), then (0..7). Each needs its left sibling, which
    was completed earlier; all of them are fetched with one call to ``get``, and none when the
    new entry completes nothing but its own leaf.

    :raise MissingNodeError: ``get`` did not return a left sibling the store must hold.
    """
    _check_size("size_before", size_before)
    if not isinstance(new_leaf_hash, (bytes, bytearray)) or len(new_leaf_hash) != HASH_SIZE:
        raise ValueError(f"new_leaf_hash must be a {HASH_SIZE}-byte hash")

    s = size_before
    added = [(0, s, bytes(new_leaf_hash))]
    completed = ((s + 1) & -(s + 1)).bit_length() - 1  # trailing zeros of s + 1
    if completed == 0:
        return added

    # At each level the new entry's subtree is a right child (its index is odd), so its
    # left sibling has the index just below.
    left_siblings = [(level, (s >> level) - 1) for level in range(completed)]
    fetched = get(list(left_siblings))
    h = bytes(new_leaf_hash)
    for level, left_index in left_siblings:
        h = node_hash(_need(fetched, (level, left_index)), h)
        added.append((level + 1, s >> (level + 1), h))
    return added


# ---------------------------------------------------------------------------------------------
# Root
# ---------------------------------------------------------------------------------------------


def root_keys(size: int) -> list[Key]:
    """The complete subtrees decomposing the ledger of ``size`` entries, left to right."""
    _check_size("size", size)
    return _pieces(0, size)


def root_from_nodes(size: int, nodes: Nodes) -> bytes:
    """The RFC 6962 root of the ledger at ``size`` from the nodes :func:`root_keys` named."""
    _check_size("size", size)
    if size == 0:
        return EMPTY_ROOT
    return _hash_range(0, size, nodes)


# ---------------------------------------------------------------------------------------------
# Inclusion proofs
# ---------------------------------------------------------------------------------------------


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes make up RFC 6962 PATH(index, D[size]), leaf upwards."""
    _check_size("size", size)
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError(f"index must be an int, not {type(index).__name__}")
    if not 0 <= index < size:
        raise IndexError(
            f"entry {index} is not in a ledger of {size} entries (valid: 0..{size - 1})"
        )
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))  # sibling on the right, possibly cut short
            hi = lo + k
        else:
            ranges.append((lo, lo + k))  # sibling on the left, always complete
            lo += k
    ranges.reverse()  # RFC 6962 lists the path from the leaf up to the root
    return ranges


def inclusion_keys(index: int, size: int) -> list[Key]:
    """Nodes needed for the inclusion proof of entry ``index`` in the ledger at ``size``."""
    return _keys_for(_inclusion_ranges(index, size))


def inclusion_from_nodes(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """The RFC 6962 inclusion proof, built from the nodes :func:`inclusion_keys` named."""
    return [_hash_range(a, b, nodes) for a, b in _inclusion_ranges(index, size)]


# ---------------------------------------------------------------------------------------------
# Consistency proofs
# ---------------------------------------------------------------------------------------------


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The subtrees whose hashes make up RFC 6962 PROOF(old_size, D[new_size]), in order."""
    _check_size("old_size", old_size)
    _check_size("new_size", new_size)
    if old_size > new_size:
        raise ValueError(f"old_size {old_size} is larger than new_size {new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, new_size, old_size
    whole = True  # RFC 6962's b: is [lo, lo + m) still the old root the verifier holds?
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            m -= k
            whole = False
    if not whole:
        ranges.append((lo, hi))
    ranges.reverse()  # SUBPROOF emits the innermost hash first
    return ranges


def consistency_keys(old_size: int, new_size: int) -> list[Key]:
    """Nodes needed to prove the ledger at ``new_size`` extends the one at ``old_size``."""
    return _keys_for(_consistency_ranges(old_size, new_size))


def consistency_from_nodes(old_size: int, new_size: int, nodes: Nodes) -> list[bytes]:
    """The RFC 6962 consistency proof, built from the nodes :func:`consistency_keys` named."""
    return [_hash_range(a, b, nodes) for a, b in _consistency_ranges(old_size, new_size)]
