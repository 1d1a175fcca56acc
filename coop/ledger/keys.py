"""Per-co-op Ed25519 signing keys, kept in files outside the database.

Whoever can write the database must not also be able to sign a rewritten history, so the
private key lives in the key directory (``COOP_KEY_DIR``) with mode 0600; only the public
key is stored in the database and published.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coop.ledger import checkpoint


class KeyStore:
    def __init__(self, key_dir: Path | str):
        self.key_dir = Path(key_dir)

    def path(self, slug: str) -> Path:
        return self.key_dir / f"{slug}.ed25519"

    def load(self, slug: str) -> Ed25519PrivateKey | None:
        try:
            raw = self.path(slug).read_bytes()
        except FileNotFoundError:
            return None
        return checkpoint.private_key_from_bytes(raw)

    def load_or_create(self, slug: str) -> Ed25519PrivateKey:
        key = self.load(slug)
        if key is not None:
            return key
        self.key_dir.mkdir(parents=True, exist_ok=True)
        key = checkpoint.generate_private_key()
        path = self.path(slug)
        # O_EXCL: two processes creating the same co-op's key never overwrite each other.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            loaded = self.load(slug)
            assert loaded is not None
            return loaded
        with os.fdopen(fd, "wb") as fh:
            fh.write(checkpoint.private_key_to_bytes(key))
        return key
