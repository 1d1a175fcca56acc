"""The verifier's fast path (one comparison per entry, the tree hashed from lists) must
reach exactly the verdict of its checks one by one: same problems, same order, same root.

Every tampered ledger here is verified twice, once as `verify` runs and once with each batch
forced through ``_Pass.slowly`` (the entry-by-entry path that names what differs), and the
two results are compared. An intact ledger must not need the slow path at all, or the speed
`coop ledger verify` is measured at is not what runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.ledger import checkpoint as notes
from coop.ledger import merkle
from coop.ledger import verify as verifier
from coop.ledger.canonical import canonical_bytes
from coop.ledger.verify import CheckpointRow, EntryRow, RootStack, VerifyResult, verify
from tests.clock import NOW

ORIGIN = "coop/fast"
KEY = notes.generate_private_key()
PUBLIC = notes.public_key_bytes(KEY)
SUPPLEMENT = [{"amount": "1.25", "kind": "first aid", "qualification_id": 7, "reason": "skills"}]


def payload(row: tuple[Any, ...], name: Any) -> dict[str, Any]:
    """A pay row (member_id, rate, supplements, proposal_id) as its entry holds it."""
    return {"member_id": row[0], "member_name": name, "hourly_rate": row[1],
            "supplements": row[2], "proposal_id": row[3]}


def ledger(n: int = 40) -> list[EntryRow]:
    """Every third entry a decision, the others pay entries with their rows; names with
    accents, quotes and escapes, so the string encoding is exercised too."""
    rows = []
    for i in range(n):
        if i % 3 == 2:
            body = canonical_bytes({"index": i, "kind": "decision", "title": f'Motion "{i}"\n',
                                    "tally": {"yes": 3, "no": 1, "abstain": 0}, "reason": None})
            rows.append(EntryRow(i, "decision", body, merkle.leaf_hash(body), merkle.leaf_hash(body)))
        else:
            pay = (i % 5, f"{20 + i % 7}.50", SUPPLEMENT if i % 4 == 0 else [], None if i % 2 else i)
            name = ["Zoë", "Ann \\ Lee", "Björk\t", "李"][i % 4]
            body = canonical_bytes({"index": i, "kind": "pay", **payload(pay, name)})
            rows.append(EntryRow(i, "pay", body, merkle.leaf_hash(body), merkle.leaf_hash(body), pay, name))
    return rows


def rehash(row: EntryRow, body: bytes | str) -> EntryRow:
    """The body replaced and the stored hashes recomputed, as an attacker would."""
    raw = body.encode() if isinstance(body, str) else body
    return row._replace(body=raw, leaf_hash=merkle.leaf_hash(raw), node=merkle.leaf_hash(raw))


def signed(rows: list[EntryRow], size: int) -> CheckpointRow:
    root = merkle.root([r.body for r in rows[:size]])
    return CheckpointRow(size, root, notes.sign_checkpoint(KEY, ORIGIN, size, root))


def run(rows: list[EntryRow], checkpoints: list[CheckpointRow], **kw: Any) -> VerifyResult:
    return verify(rows, origin=ORIGIN, public_key=PUBLIC, checkpoints=checkpoints,
                  pay_payload=payload, pay_rows_total=sum(r.pay is not None for r in ledger()), **kw)


def both(rows: list[EntryRow], monkeypatch: pytest.MonkeyPatch,
         **kw: Any) -> tuple[VerifyResult, VerifyResult]:
    good = ledger()
    checkpoints = [signed(good, 7), signed(good, 23), signed(good, 40)]
    fast = run(rows, checkpoints, **kw)
    with monkeypatch.context() as m:
        m.setattr(verifier._Pass, "batch", verifier._Pass.slowly)
        slow = run(rows, checkpoints, **kw)
    return fast, slow


def _set(i: int, change: Callable[[EntryRow], EntryRow]) -> Callable[[list[EntryRow]], list[EntryRow]]:
    def tamper(rows: list[EntryRow]) -> list[EntryRow]:
        rows[i] = change(rows[i])
        return rows
    return tamper


def _decision(i: int, text: str) -> Callable[[list[EntryRow]], list[EntryRow]]:
    return _set(i, lambda r: rehash(r, text.replace("#", str(i))))


FLOAT_PAY = (0, "20.50", [{**SUPPLEMENT[0], "amount": 1.25}], 0)
TAMPERING: dict[str, Callable[[list[EntryRow]], list[EntryRow]]] = {
    "untouched": lambda rows: rows,
    "member renamed since (the entry keeps the old name)": _set(4, lambda r: r._replace(name="Renamed")),
    "pay amount edited in the body": _set(4, lambda r: rehash(r, r.body.replace(b"24.50", b"99.50"))),
    "pay amount edited in the row": _set(4, lambda r: r._replace(pay=(4, "99.50", SUPPLEMENT, 4))),
    "supplement edited in the row": _set(0, lambda r: r._replace(
        pay=(0, "20.50", [{**SUPPLEMENT[0], "amount": "9"}], 0))),
    # json writes a float (RFC 8785 would write some differently; an entry never holds one).
    "a float in the row and in the body": _set(0, lambda r: rehash(
        r._replace(pay=FLOAT_PAY), verifier.encode({"index": 0, "kind": "pay", **payload(FLOAT_PAY, "Zoë")}))),
    "body edited, stored hashes left": _set(9, lambda r: r._replace(body=r.body.replace(b"Ann", b"Bob"))),
    "stored leaf hash edited": _set(6, lambda r: r._replace(leaf_hash=b"\0" * 32)),
    "stored node edited": _set(6, lambda r: r._replace(node=b"\0" * 32)),
    "body turned to text by SQL": _set(7, lambda r: r._replace(body=r.body.decode())),
    "body not UTF-8": _set(8, lambda r: rehash(r, b"\xff" + r.body)),
    "decision with a space": _decision(5, '{"index":#, "kind":"decision"}'),
    "decision with a repeated key": _decision(5, '{"index":#,"index":#,"kind":"decision"}'),
    "decision naming another index": _decision(5, '{"index":6,"kind":"decision"}'),
    "decision with index true": _decision(2, '{"index":true,"kind":"decision"}'),
    "decision with the wrong kind": _decision(5, '{"index":#,"kind":"pay"}'),
    "decision not an object": _decision(5, '[#,"decision"]'),
    "decision with a float": _decision(5, '{"index":#,"kind":"decision","x":1.5}'),
    "decision with an integer beyond 2**53": _decision(
        5, '{"index":#,"kind":"decision","x":9007199254740993}'),
    # json sorts keys by code point, RFC 8785 by UTF-16 unit: U+FB01 before U+1F600 is not canonical.
    "decision keys in code-point order": _decision(
        5, '{"index":#,"kind":"decision","\ufb01":1,"\U0001f600":2}'),
    "decision keys in RFC 8785 order": _decision(
        5, '{"index":#,"kind":"decision","\U0001f600":2,"\ufb01":1}'),
    "kind column edited": _set(5, lambda r: r._replace(kind="pay")),
    "kind column of a pay entry edited": _set(4, lambda r: r._replace(kind="decision")),
    # True == 1 in Python: the body's index must be an integer, not a boolean.
    "entry 1 replaced by a decision with index true": _set(1, lambda r: rehash(
        r._replace(kind="decision", pay=None, name=None), '{"index":true,"kind":"decision"}')),
    "pay entry without its row": _set(4, lambda r: r._replace(pay=None, name=None)),
    "a row pointing at a decision": _set(5, lambda r: r._replace(pay=(1, "20.00", [], None), name="Ann")),
    "member of the row unknown": _set(4, lambda r: r._replace(name=None)),
    "entry deleted": lambda rows: rows[:9] + rows[10:],
    "entry repeated": lambda rows: rows[:9] + [rows[9]] + rows[9:],
    "two entries swapped": lambda rows: rows[:3] + [rows[4], rows[3]] + rows[5:],
    "last entries deleted": lambda rows: rows[:30],
}


def pay_bytes(index: int, row: tuple[Any, ...], name: Any) -> bytes:
    """A ``pay_bytes`` as verify takes it (the service's writes a format string instead)."""
    return verifier.value_text({"index": index, "kind": "pay", **payload(row, name)}).encode()


@pytest.mark.parametrize("encoder", ["template", "pay_bytes"])
@pytest.mark.parametrize("batch", [4096, 5, 1])
@pytest.mark.parametrize("name", list(TAMPERING))
def test_the_fast_path_and_the_checks_one_by_one_reach_the_same_verdict(name, batch, encoder, monkeypatch):
    monkeypatch.setattr(verifier, "BATCH", batch)
    rows = TAMPERING[name](ledger())
    fast, slow = both(rows, monkeypatch, **({"pay_bytes": pay_bytes} if encoder == "pay_bytes" else {}))
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    assert (fast.ok, fast.root, fast.entries, fast.checkpoints) == (
        slow.ok, slow.root, slow.entries, slow.checkpoints)
    assert fast.ok == (name in SOUND)


#: Changes that leave a sound ledger; every other one is a problem. (A canonical rewrite that
#: recomputed the stored hashes is still caught, by the signed checkpoints.)
SOUND = {"untouched", "member renamed since (the entry keeps the old name)", "body turned to text by SQL",
         "member of the row unknown"}


def test_what_the_fast_path_cannot_prove_is_named_by_the_slow_checks(monkeypatch):
    rows = _decision(5, '{"index":#,"kind":"decision","\ufb01":1,"\U0001f600":2}')(ledger())
    fast, _ = both(rows, monkeypatch)
    assert str(fast.first) == "entry 5: body is not in canonical form (RFC 8785)"
    rows = TAMPERING["pay amount edited in the row"](ledger())
    fast, _ = both(rows, monkeypatch)
    assert str(fast.first) == ('entry 4: pay record row does not re-encode to the entry\'s bytes '
                               '(hourly_rate: row says "99.50", entry says "24.50")')


def test_an_intact_ledger_never_needs_the_checks_one_by_one(monkeypatch):
    calls = []
    original = verifier._Pass.check
    monkeypatch.setattr(verifier._Pass, "check", lambda self, *a: calls.append(a[0]) or original(self, *a))
    monkeypatch.setattr(verifier, "BATCH", 6)
    good = ledger()
    result = run(good, [signed(good, 7), signed(good, 23), signed(good, 40)])
    assert result.ok and result.checkpoints == 3
    assert calls == []
    # A renamed member's entries are proven the slow way (their bytes hold the old name).
    assert run(_set(4, lambda r: r._replace(name="Renamed"))(ledger()), []).ok
    assert calls == [4]


@pytest.mark.parametrize("chunks", [[1] * 9, [3, 5, 8, 13], [64, 1, 63], [100], [7, 0, 7, 50]])
def test_extending_the_root_stack_by_lists_equals_pushing_leaf_by_leaf(chunks):
    leaves = [merkle.leaf_hash(b"%d" % i) for i in range(sum(chunks))]
    pushed, extended, at = RootStack(), RootStack(), 0
    for size in chunks:
        for leaf in leaves[at:at + size]:
            pushed.push(leaf)
        extended.extend(leaves[at:at + size])
        at += size
        assert (extended.size, extended.hashes, extended.root()) == (
            pushed.size, pushed.hashes, pushed.root())
    assert extended.root() == merkle.root_from_leaf_hashes(leaves)


json_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**60), 2**60), json_text)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(json_text, inner, max_size=3)), max_leaves=8)
keys = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8).filter(
    lambda k: k not in {"index", "kind"})


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=8), st.integers(0, 2**40))
def test_the_pay_template_writes_rfc8785_bytes_or_flags_them_for_the_reference_encoder(fields, index):
    template = verifier._Template(fields)
    made = template(index, fields)
    try:
        reference = canonical_bytes({"index": index, "kind": "pay", **fields})
    except (TypeError, ValueError):
        reference = None  # e.g. an integer beyond 2**53: RFC 8785 has no form for it
    assert made == reference or verifier._risky(made)


def test_a_template_of_other_keys_encodes_the_payload_whole():
    template = verifier._Template({"a": "1", "b": 2})
    for other in ({"a": "1", "c": None}, {"a": "1", "b": 2, "c": 1}):
        assert template(3, other) == canonical_bytes({"index": 3, "kind": "pay", **other})


def test_the_demo_ledger_is_proven_without_the_checks_one_by_one(db, keys, monkeypatch):
    """On each backend: the rows as the database hands them (PostgreSQL's dates and JSON,
    SQLite's text) re-encode to their entries' bytes, so the fast path proves them."""
    from coop.services import verification
    from coop.services.demo import seed_demo

    seeded = seed_demo(db, keys, slug="fastpath", now=NOW)
    calls = []
    original = verifier._Pass.check
    monkeypatch.setattr(verifier._Pass, "check", lambda self, *a: calls.append(a) or original(self, *a))
    result = verification.verify_coop(db, seeded.coop, now=NOW)
    assert result.ok, result.problems[:3]
    assert result.entries == seeded.ledger_size > 10
    # Only a body the fast path flags by design goes through the checks one by one: the
    # election's random tie-break root holds sixteen decimal digits in a row now and then.
    assert [index for index, _kind, body, *_ in calls if not verifier._risky(body)] == []


texts = st.text(max_size=8)
supplement_values = st.one_of(st.none(), st.integers(-5, 2**60), st.floats(), texts)
supplement_lists = st.lists(st.dictionaries(
    st.sampled_from(["amount", "kind", "reason", "qualification_id"]), supplement_values, max_size=4), max_size=2)
stored_supplements = st.one_of(supplement_lists, supplement_lists.map(json.dumps), texts)
dates = st.one_of(st.dates(), st.dates().map(lambda d: d.isoformat()), texts, st.none())
ints = st.one_of(st.integers(-3, 2**60), st.booleans(), st.none(), texts)


def _has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


def _pay_row(index: int, member: Any, effective: Any, supplements: Any, proposal: Any,
             rate: Any = "23.50", text: Any = "EUR") -> tuple[Any, ...]:
    """A row of `verification.entry_rows`' query: the entry's five columns, then the pay row's."""
    return (index, "pay", b"", None, None, 1, member, effective, rate, "37.50", supplements, text,
            "45825.00", "founding", proposal)


def test_the_services_pay_bytes_write_an_ordinary_pay_entry():
    from coop.services import verification

    for supplements in ('[{"kind": "first aid", "amount": "1.25"}]', [{"kind": "x", "amount": "1"}], "[]", []):
        row = _pay_row(7, 3, "2026-01-01", supplements, None)
        made = verification.pay_bytes(7, row, "Zoë")
        assert made == canonical_bytes({"index": 7, "kind": "pay", **verification.pay_payload(row, "Zoë")})


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 2**40), ints, dates, stored_supplements, ints, texts, texts, st.one_of(texts, st.none()))
def test_the_services_pay_bytes_write_what_encoding_pay_payload_writes(
        index, member, effective, supplements, proposal, rate, text, name):
    """`verification.pay_bytes` (a format string) against encoding `pay_payload`'s dict: the
    same bytes, or it refuses (and the verifier checks the entry with pay_payload)."""
    from coop.services import verification

    row = _pay_row(index, member, effective, supplements, proposal, rate, text)
    try:
        made = verification.pay_bytes(index, row, name)
    except (TypeError, ValueError, AttributeError):
        return
    fields = verification.pay_payload(row, name)
    assert made == verifier.encode({"index": index, "kind": "pay", **fields})
    assert not _has_float(fields["supplements"])  # json writes floats RFC 8785 would write otherwise
