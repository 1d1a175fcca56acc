"""Signed checkpoints of the ledger: C2SP tlog-checkpoint in a C2SP signed note, Ed25519.

A checkpoint is the co-op's signed statement "our ledger had ``size`` entries and this Merkle
root". A member, auditor or integration that saves one can later demand a consistency proof
to the current checkpoint, and so detect any rewrite of what they saw. The formats are the
public ones used by transparency logs (https://c2sp.org/tlog-checkpoint and
https://c2sp.org/signed-note), so existing tools (Go's ``golang.org/x/mod/sumdb/note``, witness
networks) can check coop's checkpoints without coop's code::

    example.coop/ledger            <- origin: which co-op's ledger
    42                             <- size: number of entries
    BASE64(root)                   <- RFC 6962 root of those entries
                                   <- blank line ends the signed text
    — example.coop/ledger BASE64(key ID || Ed25519 signature)

The time of a checkpoint is recorded beside the note, not in it: extension lines are not
auditable by log monitors, and the spec discourages them.

The key name in the signature line is the origin, as tlog-checkpoint recommends, and key IDs
follow signed-note: the first four bytes of SHA-256(name || 0x0A || 0x01 || public key).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coop.ledger.merkle import HASH_SIZE

SIGNATURE_TYPE_ED25519 = b"\x01"
"""signed-note's signature type identifier byte for Ed25519."""

KEY_SIZE = 32
"""Raw Ed25519 key size, public and private (RFC 8032)."""

SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4
MAX_SIGNATURES = 100
"""signed-note: verifiers should cap the number of signatures (and must accept 16)."""

SIGNATURE_PREFIX = "\u2014 "  # em dash, space


class CheckpointError(ValueError):
    """A note or checkpoint that must not be trusted; the message says why."""


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint: the ledger of ``origin`` had ``size`` entries with this root."""

    origin: str
    size: int
    root: bytes


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 key for a co-op's checkpoints."""
    return Ed25519PrivateKey.generate()


def private_key_to_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte private key (RFC 8032 seed), for storage in a secret store."""
    return private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def private_key_from_bytes(data: bytes) -> Ed25519PrivateKey:
    """Load a raw 32-byte private key.

    :raise ValueError: not 32 bytes.
    """
    if not isinstance(data, (bytes, bytearray)) or len(data) != KEY_SIZE:
        raise ValueError(f"an Ed25519 private key is {KEY_SIZE} raw bytes")
    return Ed25519PrivateKey.from_private_bytes(bytes(data))


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key, the form the co-op publishes."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise TypeError(f"expected an Ed25519 key, not {type(key).__name__}")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem(public_key: bytes) -> str:
    """The raw public key as PEM (SubjectPublicKeyInfo), the form OpenSSL reads, so an
    auditor can check a checkpoint's signature with ``openssl pkeyutl``."""
    key = Ed25519PublicKey.from_public_bytes(_check_public_key(public_key))
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _check_name(name: object) -> str:
    """signed-note key names (and so our origins) are non-empty, with no spaces or '+'."""
    if not isinstance(name, str) or not name:
        raise ValueError("a log origin / key name must be a non-empty string")
    if "+" in name or any(ch.isspace() or ch < " " for ch in name):
        raise ValueError(
            f"log origin {name!r} must not contain spaces, '+' or control characters "
            "(C2SP signed-note key names)"
        )
    return name


def _check_public_key(public_key: object) -> bytes:
    if not isinstance(public_key, (bytes, bytearray)) or len(public_key) != KEY_SIZE:
        raise ValueError(f"an Ed25519 public key is {KEY_SIZE} raw bytes")
    return bytes(public_key)


def key_id(origin: str, public_key: bytes) -> bytes:
    """signed-note key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4].

    It only helps pick the right key; trust comes from the verifier being configured with
    the public key itself."""
    name = _check_name(origin).encode("utf-8")
    pk = _check_public_key(public_key)
    return hashlib.sha256(name + b"\n" + SIGNATURE_TYPE_ED25519 + pk).digest()[:KEY_ID_SIZE]


def verifier_key(origin: str, public_key: bytes) -> str:
    """The verifier key string a co-op publishes: ``<name>+<key ID hex>+<base64(0x01 || key)>``.

    It is the format Go's note package (and so sumdb-style tools and witnesses) reads."""
    pk = _check_public_key(public_key)
    blob = base64.b64encode(SIGNATURE_TYPE_ED25519 + pk).decode("ascii")
    return f"{origin}+{key_id(origin, pk).hex()}+{blob}"


def parse_verifier_key(vkey: str) -> tuple[str, bytes]:
    """Read a published verifier key back into (origin, raw public key).

    :raise ValueError: malformed, not Ed25519, or the key ID does not match the key.
    """
    parts = vkey.split("+", 2) if isinstance(vkey, str) else []
    if len(parts) != 3:
        raise ValueError("a verifier key reads <name>+<key id>+<base64 key>")
    name, hex_id, blob = parts
    _check_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise ValueError(f"verifier key ID {hex_id!r} is not 8 lowercase hex digits")
    raw = _b64decode(blob)
    if raw is None or len(raw) != 1 + KEY_SIZE or raw[:1] != SIGNATURE_TYPE_ED25519:
        raise ValueError("verifier key material is not base64(0x01 || 32-byte Ed25519 key)")
    public_key = raw[1:]
    if key_id(name, public_key).hex() != hex_id:
        raise ValueError(f"verifier key ID {hex_id} does not match the key it names")
    return name, public_key


def _b64decode(text: str) -> bytes | None:
    """Strict standard base64 (RFC 4648 §4, padded); None if it is anything else."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    # Refuse non-canonical spellings (stray bits in the padding) so one value has one text.
    return raw if base64.b64encode(raw).decode("ascii") == text else None


# ---------------------------------------------------------------------------------------------
# Signed notes (c2sp.org/signed-note)
# ---------------------------------------------------------------------------------------------


def _has_control_chars(text: str) -> bool:
    return any(ch < " " and ch != "\n" for ch in text)


def sign_note(private_key: Ed25519PrivateKey, key_name: str, text: str) -> str:
    """A signed note: ``text``, a blank line, and one Ed25519 signature line by ``key_name``.

    The signature covers the UTF-8 bytes of ``text`` including its final newline.

    :raise ValueError: ``text`` is empty, lacks its final newline, ends in a blank line (which
        would be read as the separator) or holds control characters; or a bad key name.
    """
    if not isinstance(private_key, Ed25519PrivateKey):
        raise TypeError(f"expected an Ed25519PrivateKey, not {type(private_key).__name__}")
    _check_name(key_name)
    if not text or not text.endswith("\n") or text.endswith("\n\n"):
        raise ValueError("note text must be non-empty and end in exactly one newline")
    if _has_control_chars(text):
        raise ValueError("note text must not contain control characters other than newline")
    kid = key_id(key_name, public_key_bytes(private_key))
    signature = private_key.sign(text.encode("utf-8"))
    blob = base64.b64encode(kid + signature).decode("ascii")
    return f"{text}\n{SIGNATURE_PREFIX}{key_name} {blob}\n"


_SIGNATURE_LINE = re.compile(r"\u2014 ([^ ]+) ([A-Za-z0-9+/]+={0,2})")


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """(text, [(key name, key ID, signature)]) of a note, checking only its syntax."""
    if not isinstance(note, str):
        raise CheckpointError(f"malformed note: expected text, not {type(note).__name__}")
    if _has_control_chars(note):
        raise CheckpointError("malformed note: contains control characters")
    # The text ends at the LAST blank line; the text itself may contain blank lines.
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("malformed note: no blank line before the signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    if not sig_block.endswith("\n"):
        raise CheckpointError("malformed note: signature lines must end in a newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        match = _SIGNATURE_LINE.fullmatch(line)
        if match is None:
            raise CheckpointError(f"malformed note: not a signature line: {line[:80]!r}")
        name, encoded = match.groups()
        try:
            _check_name(name)
        except ValueError as exc:
            raise CheckpointError(f"malformed note: {exc}") from None
        blob = _b64decode(encoded)
        if blob is None or len(blob) <= KEY_ID_SIZE:
            raise CheckpointError(f"malformed note: bad signature encoding for {name!r}")
        signatures.append((name, blob[:KEY_ID_SIZE], blob[KEY_ID_SIZE:]))
    return text, signatures


def _verify_signatures(
    text: str, signatures: list[tuple[str, bytes, bytes]], key_name: str, public_key: bytes
) -> None:
    """signed-note rules: signatures by other keys (witnesses, a rotated key) are ignored;
    every signature by this key must verify, and there must be at least one."""
    want_id = key_id(key_name, public_key)
    mine = [sig for name, kid, sig in signatures if name == key_name and kid == want_id]
    if not mine:
        seen = ", ".join(f"{name}+{kid.hex()}" for name, kid, _ in signatures)
        raise CheckpointError(
            f"note has no signature by key {key_name}+{want_id.hex()} (signed by: {seen})"
        )
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    message = text.encode("utf-8")
    for sig in mine:
        try:
            if len(sig) != SIGNATURE_SIZE:
                raise InvalidSignature
            verifier.verify(sig, message)
        except InvalidSignature:
            raise CheckpointError(
                f"bad signature by key {key_name}+{want_id.hex()}: the note was altered "
                "or not signed with this key"
            ) from None


def open_note(note: str, key_name: str, public_key: bytes) -> str:
    """The text of a signed note, once a signature by (``key_name``, ``public_key``) verifies.

    :raise CheckpointError: malformed, not signed by this key, or a bad signature.
    """
    _check_name(key_name)
    pk = _check_public_key(public_key)
    text, signatures = _split_note(note)
    _verify_signatures(text, signatures, key_name, pk)
    return text


# ---------------------------------------------------------------------------------------------
# Checkpoints (c2sp.org/tlog-checkpoint)
# ---------------------------------------------------------------------------------------------


# ASCII decimal, no sign, no leading zeroes, at most 20 digits (a uint64, as other tools read it).
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_MAX_SIZE = 2**64 - 1


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    """The checkpoint note text: origin, size in decimal, base64 root, each on its own line."""
    _check_name(origin)
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= _MAX_SIZE:
        raise ValueError(f"checkpoint size must be an int in 0..2^64-1, got {size!r}")
    if not isinstance(root, (bytes, bytearray)) or len(root) != HASH_SIZE:
        raise ValueError(f"checkpoint root must be a {HASH_SIZE}-byte RFC 6962 root")
    return f"{origin}\n{size}\n{base64.b64encode(bytes(root)).decode('ascii')}\n"


def sign_checkpoint(private_key: Ed25519PrivateKey, origin: str, size: int, root: bytes) -> str:
    """The full signed checkpoint note, signed by the co-op's key under the name ``origin``."""
    return sign_note(private_key, origin, checkpoint_body(origin, size, root))


def parse_and_verify(note: str, origin: str, public_key: bytes) -> Checkpoint:
    """Verify a signed checkpoint of the ledger ``origin`` and return what it states.

    :raise CheckpointError: malformed note, a checkpoint of another ledger (origin mismatch),
        no signature by this key, a bad signature, or a body that is not a checkpoint (e.g.
        a root of the wrong length).
    """
    _check_name(origin)
    pk = _check_public_key(public_key)
    text, signatures = _split_note(note)

    first_line = text.split("\n", 1)[0]
    if first_line != origin:
        raise CheckpointError(
            f"origin mismatch: checkpoint is for ledger {first_line!r}, expected {origin!r}"
        )
    # Nothing else in the text is read before the signature verifies (signed-note: the text
    # MUST be ignored unless signed by a trusted key).
    _verify_signatures(text, signatures, origin, pk)

    lines = text[:-1].split("\n")
    if len(lines) != 3:
        # Extension lines are legal tlog-checkpoint, but coop never writes them, so a note
        # carrying them was not made by coop's signer.
        raise CheckpointError(
            f"malformed checkpoint: expected 3 lines (origin, size, root), got {len(lines)}"
        )
    _, size_line, root_line = lines
    if not _SIZE.fullmatch(size_line) or int(size_line) > _MAX_SIZE:
        raise CheckpointError(
            f"malformed checkpoint: size {size_line[:40]!r} is not a decimal number below 2^64"
        )
    root = _b64decode(root_line)
    if root is None:
        raise CheckpointError("malformed checkpoint: root is not standard base64")
    if len(root) != HASH_SIZE:
        raise CheckpointError(
            f"bad root length: {len(root)} bytes, an RFC 6962 SHA-256 root is {HASH_SIZE}"
        )
    return Checkpoint(origin=origin, size=int(size_line), root=root)
