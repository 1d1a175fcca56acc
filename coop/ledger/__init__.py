"""The public ledger's pure primitives.

Every pay change and every decision is an entry appended to a per-co-op ledger. This package
holds the parts that need no database and are tested alone:

- ``canonical``: the one byte encoding of an entry (RFC 8785 JSON, money as decimal strings);
- ``merkle``: the RFC 6962 Merkle tree over those bytes, with inclusion and consistency proofs
  any RFC 6962 / RFC 9162 verifier can check;
- ``nodestore``: the same roots and proofs computed from stored subtree hashes, so the
  database-backed ledger never re-hashes its whole history to answer a request;
- ``checkpoint``: signed statements of (size, root) in the C2SP tlog-checkpoint format.
"""
