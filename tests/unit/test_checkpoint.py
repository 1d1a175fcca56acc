"""Signed checkpoints are C2SP tlog-checkpoints in C2SP signed notes, checkable by other tools.

Interoperability is pinned by the Go reference implementation's own vector
(golang.org/x/mod/sumdb/note, note_test.go): the PeterNeumann key and note. Ed25519 is
deterministic (RFC 8032), so our signer must reproduce that note byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from coop.ledger import checkpoint
from coop.ledger.checkpoint import Checkpoint, CheckpointError

# --- golang.org/x/mod/sumdb/note reference vector ---------------------------------------------
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + "\n" + "\u2014 PeterNeumann " + GO_SIGNATURE + "\n"

ORIGIN = "example.coop/ledger"
ROOT_8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
ROOT_8_B64 = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="


def go_private_key() -> Ed25519PrivateKey:
    # PRIVATE+KEY+<name>+<key id>+<base64>; the base64 itself may contain '+'.
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == 0x01  # Ed25519
    return checkpoint.private_key_from_bytes(raw[1:])


def independent_key_id(name: str, public_key: bytes) -> bytes:
    # signed-note: SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + public_key).digest()[:4]


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return checkpoint.generate_private_key()


@pytest.fixture(scope="module")
def pub(key) -> bytes:
    return checkpoint.public_key_bytes(key)


@pytest.fixture(scope="module")
def note(key) -> str:
    return checkpoint.sign_checkpoint(key, ORIGIN, 8, ROOT_8)


# ---------------------------------------------------------------------------------------------
# Interoperability with the Go reference
# ---------------------------------------------------------------------------------------------


def test_signing_reproduces_the_go_reference_note_byte_for_byte():
    assert checkpoint.sign_note(go_private_key(), "PeterNeumann", GO_TEXT) == GO_NOTE


def test_verifier_key_and_key_id_match_the_go_reference():
    pk = checkpoint.public_key_bytes(go_private_key())
    assert checkpoint.verifier_key("PeterNeumann", pk) == GO_VKEY
    assert checkpoint.key_id("PeterNeumann", pk).hex() == "c74f20a3"
    assert checkpoint.parse_verifier_key(GO_VKEY) == ("PeterNeumann", pk)


def test_the_go_reference_note_opens_and_an_altered_one_does_not():
    _, pk = checkpoint.parse_verifier_key(GO_VKEY)
    assert checkpoint.open_note(GO_NOTE, "PeterNeumann", pk) == GO_TEXT
    with pytest.raises(CheckpointError, match="bad signature"):
        checkpoint.open_note(GO_NOTE.replace("cryptography", "cryptographY"), "PeterNeumann", pk)


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",  # key altered
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # not Ed25519
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_mangled_verifier_keys_are_refused(vkey):
    with pytest.raises(ValueError):
        checkpoint.parse_verifier_key(vkey)


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def test_private_key_round_trips_through_its_raw_32_bytes(key, pub):
    raw = checkpoint.private_key_to_bytes(key)
    assert len(raw) == 32
    again = checkpoint.private_key_from_bytes(raw)
    assert checkpoint.public_key_bytes(again) == pub
    assert checkpoint.sign_checkpoint(again, ORIGIN, 8, ROOT_8) == checkpoint.sign_checkpoint(
        key, ORIGIN, 8, ROOT_8
    )


def test_public_key_bytes_is_the_same_from_the_private_or_public_half(key, pub):
    assert len(pub) == 32
    assert checkpoint.public_key_bytes(key.public_key()) == pub


def test_private_key_from_bytes_refuses_the_wrong_length():
    with pytest.raises(ValueError, match="32 raw bytes"):
        checkpoint.private_key_from_bytes(b"\x00" * 31)


def test_key_id_is_the_signed_note_key_hash(pub):
    assert checkpoint.key_id(ORIGIN, pub) == independent_key_id(ORIGIN, pub)
    # The name is part of the hash: one key under two names has two IDs.
    assert checkpoint.key_id("other.coop/ledger", pub) != checkpoint.key_id(ORIGIN, pub)


def test_verifier_key_has_name_key_id_and_typed_key(pub):
    vkey = checkpoint.verifier_key(ORIGIN, pub)
    expected_blob = base64.b64encode(b"\x01" + pub).decode()
    assert vkey == f"{ORIGIN}+{independent_key_id(ORIGIN, pub).hex()}+{expected_blob}"
    assert checkpoint.parse_verifier_key(vkey) == (ORIGIN, pub)


# ---------------------------------------------------------------------------------------------
# The note's exact shape
# ---------------------------------------------------------------------------------------------


def test_checkpoint_body_is_origin_size_and_base64_root_on_three_lines():
    assert checkpoint.checkpoint_body(ORIGIN, 8, ROOT_8) == f"{ORIGIN}\n8\n{ROOT_8_B64}\n"


def test_signed_checkpoint_is_body_blank_line_and_one_signature_line(note, pub):
    body = f"{ORIGIN}\n8\n{ROOT_8_B64}\n"
    assert note.startswith(body + "\n")
    signature_line = note[len(body) + 1 :]
    # em dash U+2014, space, key name, space, base64(4-byte key ID || 64-byte signature).
    assert re.fullmatch(r"\u2014 example\.coop/ledger [A-Za-z0-9+/]{91}=\n", signature_line)

    blob = base64.b64decode(signature_line.split(" ")[2])
    assert blob[:4] == independent_key_id(ORIGIN, pub)
    # The signature covers the body's UTF-8 bytes, final newline included (checked with the
    # cryptography library directly, not through the module under test).
    Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], body.encode())


def test_the_same_statement_always_gives_the_same_note(key, note):
    assert checkpoint.sign_checkpoint(key, ORIGIN, 8, ROOT_8) == note


@pytest.mark.parametrize(
    "origin,size,root",
    [
        ("example.coop ledger", 1, ROOT_8),  # space in the name
        ("example.coop/a+b", 1, ROOT_8),  # '+' separates verifier key fields
        ("", 1, ROOT_8),
        (ORIGIN, -1, ROOT_8),
        (ORIGIN, True, ROOT_8),
        (ORIGIN, 1, ROOT_8[:31]),
    ],
)
def test_checkpoint_body_refuses_what_no_verifier_could_read(origin, size, root):
    with pytest.raises(ValueError):
        checkpoint.checkpoint_body(origin, size, root)


def test_sign_note_refuses_text_that_would_not_parse_back(key):
    for text in ("", "no final newline", "ends in a blank line\n\n", "bell\x07\n"):
        with pytest.raises(ValueError):
            checkpoint.sign_note(key, ORIGIN, text)


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------


def test_sign_then_verify_round_trips(note, pub):
    assert checkpoint.parse_and_verify(note, ORIGIN, pub) == Checkpoint(ORIGIN, 8, ROOT_8)


def test_the_empty_ledger_has_a_checkpoint_too(key, pub):
    empty = hashlib.sha256(b"").digest()
    signed = checkpoint.sign_checkpoint(key, ORIGIN, 0, empty)
    assert signed.startswith(f"{ORIGIN}\n0\n")
    assert checkpoint.parse_and_verify(signed, ORIGIN, pub) == Checkpoint(ORIGIN, 0, empty)


def test_the_largest_size_other_tools_read_round_trips(key, pub):
    signed = checkpoint.sign_checkpoint(key, ORIGIN, 2**64 - 1, ROOT_8)
    assert checkpoint.parse_and_verify(signed, ORIGIN, pub).size == 2**64 - 1
    with pytest.raises(ValueError):
        checkpoint.checkpoint_body(ORIGIN, 2**64, ROOT_8)


def test_tampering_with_any_character_of_the_body_is_detected(note, pub):
    body_length = note.index("\n\n") + 1
    for i in range(body_length):
        replacement = "A" if note[i] != "A" else "B"
        tampered = note[:i] + replacement + note[i + 1 :]
        with pytest.raises(CheckpointError):
            checkpoint.parse_and_verify(tampered, ORIGIN, pub)


def test_changing_the_size_or_root_fails_the_signature_not_just_the_parse(note, pub):
    with pytest.raises(CheckpointError, match="bad signature"):
        checkpoint.parse_and_verify(note.replace("\n8\n", "\n9\n", 1), ORIGIN, pub)
    other_root = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
    with pytest.raises(CheckpointError, match="bad signature"):
        checkpoint.parse_and_verify(note.replace(ROOT_8_B64, other_root), ORIGIN, pub)


def test_tampering_with_any_character_of_the_signature_is_detected(note, pub):
    start = note.rindex(" ") + 1
    for i in range(start, len(note) - 1):
        replacement = "A" if note[i] != "A" else "B"
        tampered = note[:i] + replacement + note[i + 1 :]
        with pytest.raises(CheckpointError):
            checkpoint.parse_and_verify(tampered, ORIGIN, pub)


def test_a_different_key_finds_no_signature(note):
    stranger = checkpoint.public_key_bytes(checkpoint.generate_private_key())
    with pytest.raises(CheckpointError, match="no signature by key"):
        checkpoint.parse_and_verify(note, ORIGIN, stranger)


def test_a_signature_claiming_our_key_id_but_made_by_another_key_is_bad(pub):
    impostor = checkpoint.generate_private_key()
    body = checkpoint.checkpoint_body(ORIGIN, 8, ROOT_8)
    blob = independent_key_id(ORIGIN, pub) + impostor.sign(body.encode())
    forged = f"{body}\n\u2014 {ORIGIN} {base64.b64encode(blob).decode()}\n"
    with pytest.raises(CheckpointError, match="bad signature"):
        checkpoint.parse_and_verify(forged, ORIGIN, pub)


def test_a_signature_must_carry_our_key_name_not_only_our_key_id(key, pub):
    # signed-note identifies a key by (name, key ID); a line under another name is not ours.
    body = checkpoint.checkpoint_body(ORIGIN, 8, ROOT_8)
    blob = checkpoint.key_id(ORIGIN, pub) + key.sign(body.encode())
    renamed = f"{body}\n\u2014 someone.else {base64.b64encode(blob).decode()}\n"
    with pytest.raises(CheckpointError, match="no signature by key"):
        checkpoint.parse_and_verify(renamed, ORIGIN, pub)


def test_note_text_may_contain_blank_lines_the_last_one_ends_it(key, pub):
    text = "first paragraph\n\nsecond paragraph\n"
    assert checkpoint.open_note(checkpoint.sign_note(key, ORIGIN, text), ORIGIN, pub) == text


def test_a_checkpoint_of_another_ledger_is_an_origin_mismatch(key, pub):
    other = checkpoint.sign_checkpoint(key, "other.coop/ledger", 8, ROOT_8)
    with pytest.raises(CheckpointError, match="origin mismatch"):
        checkpoint.parse_and_verify(other, ORIGIN, pub)


def test_cosignatures_by_other_keys_are_ignored(key, pub, note):
    # A witness adds its own line; signed-note says unknown signatures are ignored.
    witness = checkpoint.generate_private_key()
    body = checkpoint.checkpoint_body(ORIGIN, 8, ROOT_8)
    witness_line = checkpoint.sign_note(witness, "witness.example", body)[len(body) + 1 :]
    our_line = note[len(body) + 1 :]
    assert checkpoint.parse_and_verify(note + witness_line, ORIGIN, pub).size == 8
    assert checkpoint.parse_and_verify(body + "\n" + witness_line + our_line, ORIGIN, pub)
    with pytest.raises(CheckpointError, match="no signature by key"):
        checkpoint.parse_and_verify(body + "\n" + witness_line, ORIGIN, pub)


def test_a_root_of_the_wrong_length_is_refused_even_when_signed(key, pub):
    body = f"{ORIGIN}\n8\n{base64.b64encode(ROOT_8[:31]).decode()}\n"
    with pytest.raises(CheckpointError, match="bad root length"):
        checkpoint.parse_and_verify(checkpoint.sign_note(key, ORIGIN, body), ORIGIN, pub)


@pytest.mark.parametrize(
    "body,match",
    [
        (f"{ORIGIN}\n08\n{ROOT_8_B64}\n", "size"),  # leading zero
        (f"{ORIGIN}\n+8\n{ROOT_8_B64}\n", "size"),
        (f"{ORIGIN}\n\u0668\n{ROOT_8_B64}\n", "size"),  # Arabic-Indic eight: not ASCII
        (f"{ORIGIN}\n{2**64}\n{ROOT_8_B64}\n", "size"),  # beyond what other tools read
        (f"{ORIGIN}\n{'9' * 5000}\n{ROOT_8_B64}\n", "size"),  # not a crash in int()
        (f"{ORIGIN}\n8\n{ROOT_8.hex()}\n", "root"),  # hex, not base64
        (f"{ORIGIN}\n8\n{ROOT_8_B64[:-2]}h=\n", "root"),  # same bytes, non-canonical base64
        (f"{ORIGIN}\n8\n{ROOT_8_B64}\nextension line\n", "3 lines"),
        (f"{ORIGIN}\n8\n", "3 lines"),
    ],
)
def test_signed_bodies_that_are_not_coop_checkpoints_are_refused(key, pub, body, match):
    with pytest.raises(CheckpointError, match=match):
        checkpoint.parse_and_verify(checkpoint.sign_note(key, ORIGIN, body), ORIGIN, pub)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("\n\n", "\n", 1),  # no blank line before signatures
        lambda n: n[:-1],  # signature line without its newline
        lambda n: n + "trailing text\n",
        lambda n: n.replace("\u2014", "-"),  # a hyphen is not the em dash
        lambda n: n.replace(f"\u2014 {ORIGIN}", f"\u2014 {ORIGIN}+x"),
        lambda n: "\x01" + n,
        lambda n: n + n[n.index("\n\n") + 2 :] * 100,  # 101 signatures
        lambda n: n[: n.rindex(" ") + 1] + "AAAA\n",  # signature too short to hold a key ID
    ],
)
def test_malformed_notes_are_refused(note, pub, mangle):
    with pytest.raises(CheckpointError, match="malformed"):
        checkpoint.parse_and_verify(mangle(note), ORIGIN, pub)


def test_a_duplicated_signature_line_still_verifies(note, pub):
    assert checkpoint.parse_and_verify(note + note[note.index("\n\n") + 2 :], ORIGIN, pub)


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)
