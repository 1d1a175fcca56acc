"""The pure verifier: one streaming pass over rows, naming the first entry that does not match."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.ledger import checkpoint as notes
from coop.ledger import export, merkle, nodestore
from coop.ledger.canonical import canonical_bytes, decode
from coop.ledger.verify import CheckpointRow, EntryRow, RootStack, encode, saved_checkpoint, verify

ORIGIN = "coop/test"
KEY = notes.generate_private_key()
PUBLIC = notes.public_key_bytes(KEY)


def bodies(n: int) -> list[bytes]:
    return [canonical_bytes({"index": i, "kind": "pay", "member_name": f"Member {i}",
                             "hourly_rate": f"{20 + i % 7}.50"}) for i in range(n)]


def rows(bs: list[bytes]) -> list[EntryRow]:
    return [EntryRow(i, "pay", b, merkle.leaf_hash(b)) for i, b in enumerate(bs)]


def signed(size: int, bs: list[bytes], key=KEY) -> CheckpointRow:
    root = merkle.root(bs[:size])
    return CheckpointRow(size, root, notes.sign_checkpoint(key, ORIGIN, size, root))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 13, 64, 100])
def test_the_streaming_root_equals_the_rfc6962_root_at_every_size(n):
    stack = RootStack()
    bs = bodies(n)
    for i, b in enumerate(bs):
        assert stack.root() == merkle.root(bs[:i])
        stack.push(merkle.leaf_hash(b))
    assert stack.root() == merkle.root(bs)
    # O(log n) memory: one hash per 1-bit of the size.
    assert len(stack.hashes) == bin(n).count("1")


def test_an_untouched_ledger_verifies_with_its_checkpoints():
    bs = bodies(37)
    result = verify(rows(bs), origin=ORIGIN, public_key=PUBLIC,
                    checkpoints=[signed(5, bs), signed(32, bs), signed(37, bs)],
                    head=(37, merkle.root(bs)), nodes_root=merkle.root(bs))
    assert result.ok, result.problems
    assert result.root == merkle.root(bs) and result.entries == 37
    assert result.checkpoints == 3 and result.latest.size == 37
    assert result.summary().startswith(f"ok: 37 entries, root {merkle.root(bs).hex()}, checkpoint 37 signed")


def test_an_edited_body_is_named_by_its_index():
    bs = bodies(20)
    rs = rows(bs)
    rs[11] = rs[11]._replace(body=rs[11].body.replace(b"20.50", b"99.50").replace(b"24.50", b"99.50"))
    result = verify(rs, origin=ORIGIN, public_key=PUBLIC, checkpoints=[signed(20, bs)])
    assert not result.ok
    assert str(result.first) == "entry 11: leaf hash does not match its body"


def test_swapped_bodies_are_named_by_the_first_position_they_occupy():
    bs = bodies(10)
    bs[3], bs[7] = bs[7], bs[3]
    # The attacker also recomputed the stored leaf hashes: the body's own index still tells.
    result = verify(rows(bs), origin=ORIGIN, public_key=PUBLIC)
    assert str(result.first) == "entry 3: its body says it is entry 7: entries were moved or swapped"


def test_a_gap_is_named_as_the_missing_index():
    bs = bodies(10)
    rs = [r for r in rows(bs) if r.index != 4]
    result = verify(rs, origin=ORIGIN, public_key=PUBLIC, head=(10, merkle.root(bs)))
    assert str(result.first) == "entry 4: is missing (the next stored entry is 5)"


def test_a_deleted_last_entry_is_named_against_the_head():
    bs = bodies(10)
    result = verify(rows(bs)[:-1], origin=ORIGIN, public_key=PUBLIC, head=(10, merkle.root(bs)))
    assert str(result.first).startswith("entry 9: is missing: the ledger head says there are 10")


def test_a_rewrite_that_recomputed_every_stored_hash_is_caught_by_the_signed_checkpoint():
    bs = bodies(16)
    cp = signed(16, bs)
    forged = bs[:5] + [canonical_bytes({"index": 5, "kind": "pay", "member_name": "Member 5",
                                        "hourly_rate": "999.00"})] + bs[6:]
    result = verify(rows(forged), origin=ORIGIN, public_key=PUBLIC, checkpoints=[cp],
                    head=(16, merkle.root(forged)), nodes_root=merkle.root(forged))
    assert not result.ok
    assert "checkpoint 16 does not match the entries" in str(result.first)


def test_a_checkpoint_signed_with_another_key_fails():
    bs = bodies(4)
    other = notes.generate_private_key()
    result = verify(rows(bs), origin=ORIGIN, public_key=PUBLIC, checkpoints=[signed(4, bs, key=other)])
    assert not result.ok and "no signature by key" in str(result.first)


def test_a_body_in_non_canonical_form_is_refused_when_no_row_vouches_for_it():
    body = b'{"index":0, "kind":"pay"}'
    result = verify([EntryRow(0, "pay", body)], origin=ORIGIN, public_key=PUBLIC)
    assert str(result.first) == "entry 0: body is not in canonical form (RFC 8785)"


def test_a_repeated_key_is_refused():
    body = b'{"index":0,"index":0,"kind":"pay"}'
    result = verify([EntryRow(0, "pay", body)], origin=ORIGIN, public_key=PUBLIC)
    assert not result.ok
    assert str(result.first) == "entry 0: body is not a ledger entry: ledger entry repeats the key 'index'"


@pytest.mark.parametrize("number", ["2.0", "1e3", "23.50", "NaN", "-Infinity"])
def test_the_verifier_and_decode_refuse_a_number_that_is_not_whole_with_one_message(number):
    # One decoder (canonical.DECODER) reads entries for both, so both say the same thing.
    body = b'{"index":0,"kind":"decision","yes":' + number.encode() + b"}"
    message = (f"ledger entry holds the number {number}: numbers in an entry are whole; "
               "money and hours are decimal strings, never floats")
    with pytest.raises(ValueError) as caught:
        decode(body)
    assert str(caught.value) == message
    result = verify([EntryRow(0, "decision", body)], origin=ORIGIN, public_key=None)
    assert [str(p) for p in result.problems] == [f"entry 0: body is not a ledger entry: {message}"]


def test_pay_rows_are_compared_with_the_entry_and_the_differing_field_is_named():
    body = canonical_bytes({"index": 0, "kind": "pay", "member_name": "Ann", "hourly_rate": "20.00"})
    payload = lambda row, name: {"member_name": name, "hourly_rate": row}  # noqa: E731
    good = verify([EntryRow(0, "pay", body, pay="20.00")], origin=ORIGIN, public_key=None,
                  pay_payload=payload, pay_rows_total=1)
    assert good.ok, good.problems
    bad = verify([EntryRow(0, "pay", body, pay="25.00")], origin=ORIGIN, public_key=None,
                 pay_payload=payload, pay_rows_total=1)
    assert str(bad.first) == ('entry 0: pay record row does not re-encode to the entry\'s bytes '
                              '(hourly_rate: row says "25.00", entry says "20.00")')
    orphan = verify([EntryRow(0, "pay", body, pay="20.00")], origin=ORIGIN, public_key=None,
                    pay_payload=payload, pay_rows_total=2)
    assert "1 pay record row(s) point at no ledger entry" in str(orphan.first)


def test_stored_subtree_hashes_that_disagree_with_the_entries_are_reported():
    bs = bodies(8)
    result = verify(rows(bs), origin=ORIGIN, public_key=PUBLIC, head=(8, merkle.root(bs)),
                    nodes_root=merkle.root(bs[:7]))
    assert "ledger_nodes" in str(result.first)


json_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20)
leaf_values = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1), json_text)
values = st.recursive(leaf_values, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(json_text, inner, max_size=4)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(json_text, values, max_size=6))
def test_the_fast_encoder_writes_rfc8785_bytes_or_the_verifier_falls_back(obj):
    # Where the C json encoder and RFC 8785 differ (keys outside the BMP sort differently),
    # the verifier confirms a mismatch with the reference encoder, so only equality matters.
    fast, reference = encode(obj), canonical_bytes(obj)
    ascii_keys = all(ord(ch) < 0x10000 for key in _keys(obj) for ch in key)
    if ascii_keys:
        assert fast == reference


def _keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v)


def test_an_export_round_trips_byte_exact_bodies_including_non_ascii_and_escapes():
    bs = [canonical_bytes({"index": 0, "kind": "pay", "member_name": 'Zoë "Z" \n\u2028 \U0001f600'}),
          canonical_bytes({"index": 1, "kind": "decision", "title": "a\\b"})]
    header = {"format": export.FORMAT, "origin": ORIGIN, "head": {"size": 2, "root": merkle.root(bs).hex()}}
    text = export.header_line(header) + ",\n".join(
        export.entry_line(i, k, b, merkle.leaf_hash(b)) for i, (k, b) in enumerate(zip(["pay", "decision"], bs))
    ) + "\n" + export.CLOSE
    got_header, entries = export.read(io.StringIO(text))
    assert got_header["origin"] == ORIGIN
    assert [e.body for e in entries] == bs
    # Reformatted by another tool, it is still read (whole).
    import json
    _, again = export.read(io.StringIO(json.dumps(json.loads(text), indent=2)))
    assert [e.body for e in again] == bs


def test_nodestore_roots_match_the_streaming_root():
    bs = bodies(23)
    store = {}
    for i, b in enumerate(bs):
        for level, idx, h in nodestore.nodes_added_by_append(i, merkle.leaf_hash(b), lambda ks: store):
            store[(level, idx)] = h
    assert nodestore.root_from_nodes(23, store) == verify(rows(bs), origin=ORIGIN, public_key=None).root


FIRST = dt.datetime(2026, 11, 20, 9, 0)


@pytest.mark.parametrize("age,ok", [(dt.timedelta(minutes=59), True), (dt.timedelta(hours=1), True),
                                    (dt.timedelta(hours=1, seconds=1), False), (dt.timedelta(days=30), False)])
def test_a_ledger_past_its_first_hour_without_any_checkpoint_fails(age, ok):
    bs = bodies(5)
    result = verify(rows(bs), origin=ORIGIN, public_key=PUBLIC, started_at=FIRST, now=FIRST + age)
    assert result.ok is ok
    if not ok:
        assert str(result.first).startswith("no checkpoint: the first entry was appended at 2026-11-20 09:00 UTC")


def test_a_stored_or_saved_checkpoint_satisfies_the_first_hour_rule():
    bs = bodies(5)
    late = FIRST + dt.timedelta(days=2)
    assert verify(rows(bs), origin=ORIGIN, public_key=PUBLIC, checkpoints=[signed(3, bs)],
                  started_at=FIRST, now=late).ok
    saved = notes.sign_checkpoint(KEY, ORIGIN, 5, merkle.root(bs))
    kept = saved_checkpoint(saved, ORIGIN, PUBLIC, "saved checkpoint kept.txt")
    assert verify(rows(bs), origin=ORIGIN, public_key=PUBLIC, checkpoints=[kept], started_at=FIRST, now=late).ok


def test_an_empty_ledger_needs_no_checkpoint():
    assert verify([], origin=ORIGIN, public_key=PUBLIC, started_at=None, now=FIRST + dt.timedelta(days=9)).ok
