"""Verify a ledger from its rows alone, in one streaming pass.

The database is not trusted (DESIGN.md, "Public ledger semantics"), so nothing stored is
believed: every leaf hash is recomputed from the entry's bytes, each body must name its own
position, every pay record row must re-encode to exactly its entry's bytes, the RFC 6962 root
is recomputed, and every signed checkpoint must verify against the published key and equal
the recomputed root at its size. What the server stored (leaf hashes, subtree hashes, the
head) is then compared with what was recomputed, so the *first* row edited or deleted behind
the application's back is named by its index.

The same function checks a database (``coop.services.verification`` streams the rows in) and
an offline export (``coop.ledger.export`` reads the file), so an auditor runs the very code
the server does, with no database at all.

Memory is O(log n) plus the checkpoints and one batch: the root is computed incrementally with
a stack of perfect-subtree hashes (one per binary digit of the size), and the root at each
checkpoint's size is taken from that stack as the pass reaches it.

Speed (`coop ledger verify` must check 100,000 entries a second): the rows are taken in
batches, and each batch is checked in one tight loop that proves an entry sound with a single
byte comparison (the row re-encoded, or the body decoded and re-encoded) and hashes the tree
bottom-up from a list. Only an entry that fails that comparison goes through the checks one by
one that name what differs; both paths check the same things (tests/unit/test_verify_fast_path.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from json.encoder import c_make_encoder, encode_basestring
from json.scanner import make_scanner
from operator import itemgetter
from typing import Any, NamedTuple

from coop.ledger import checkpoint as notes
from coop.ledger.canonical import DECODER, canonical_bytes, decode
from coop.ledger.merkle import EMPTY_ROOT

#: Stop collecting after this many problems (the count goes on), so a wholly rewritten
#: ledger cannot exhaust memory; the first is what matters.
MAX_PROBLEMS = 1000

#: Entries checked per batch (and hashed into the tree as one list).
BATCH = 4096

#: A ledger whose first entry is older than this must have a signed checkpoint. Checkpoints
#: are signed hourly (docs/operators.md); a ledger with none after that was never signed, or
#: its checkpoints were deleted (on PostgreSQL a TRUNCATE fired no row trigger), and then
#: nothing signed vouches that its entries are the ones first published.
CHECKPOINT_DUE = dt.timedelta(hours=1)

_sha256 = hashlib.sha256


class EntryRow(NamedTuple):
    """One ledger entry as stored. Only ``index``, ``kind`` and ``body`` are required."""

    index: int
    kind: str
    body: bytes
    #: The ``leaf_hash`` column, if the source has one.
    leaf_hash: bytes | None = None
    #: The stored level-0 subtree hash (``ledger_nodes``), if the source has one.
    node: bytes | None = None
    #: The pay record row pointing at this entry, in whatever shape ``pay_payload`` reads;
    #: None when there is none (decision entries, or an export).
    pay: Any = None
    #: The member's current name, a guess at the name the entry recorded: when the row
    #: re-encodes to the body with it, the body need not be parsed (see ``verify``).
    name: Any = None


class CheckpointRow(NamedTuple):
    size: int
    root: bytes
    note: str
    signed_at: Any = None
    #: How messages name it; a checkpoint an auditor saved says which file it came from.
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or f"checkpoint {self.size}"


def saved_checkpoint(note: str, origin: str, public_key: bytes, label: str) -> CheckpointRow:
    """A signed checkpoint an auditor saved earlier (the note `coop ledger checkpoint`
    prints), to be checked against the entries like the stored ones: if the history it
    vouched for was rewritten since, the recomputed root at its size will not match.

    :raise checkpoint.CheckpointError: not a checkpoint of ``origin`` signed by this key.
    """
    stated = notes.parse_and_verify(note, origin, public_key)
    return CheckpointRow(stated.size, stated.root, note, None, label)


@dataclass(frozen=True)
class Problem:
    """Something that does not match; ``index`` names the entry when one is to blame."""

    index: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.index is None else f"entry {self.index}: {self.message}"


@dataclass
class VerifyResult:
    entries: int = 0
    root: bytes = EMPTY_ROOT
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    checkpoints: int = 0
    #: Of those, checkpoints the auditor saved and brought along (``saved_checkpoint``).
    saved: int = 0
    #: The latest checkpoint that verified, if any.
    latest: CheckpointRow | None = None
    key: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first(self) -> Problem | None:
        """The problem with the lowest entry index, else the first found."""
        named = [p for p in self.problems if p.index is not None]
        if named:
            return min(named, key=lambda p: p.index)  # type: ignore[arg-type,return-value]
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        if not self.ok:
            return str(self.first)
        text = f"ok: {self.entries} entries, root {self.root.hex()}"
        if self.latest is None:
            return text + ", no checkpoint signed yet"
        when = f" at {self.latest.signed_at:%Y-%m-%d %H:%M} UTC" if self.latest.signed_at else ""
        saved = f" (including {self.saved} you saved)" if self.saved else ""
        return (f"{text}, checkpoint {self.latest.size} signed{when} by {self.key} verifies, "
                f"{self.checkpoints} checkpoint(s){saved} match the entries")

    def add(self, index: int | None, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(index, message))


class RootStack:
    """Incremental RFC 6962 root: the hashes of the perfect subtrees the entries so far
    split into, largest first (one per 1-bit of the size), so memory is O(log n)."""

    __slots__ = ("size", "hashes")

    def __init__(self) -> None:
        self.size = 0
        self.hashes: list[bytes] = []

    def push(self, leaf: bytes) -> None:
        # Each trailing 1-bit of the size is a complete subtree the new leaf's own subtree
        # pairs with (entry 7, binary 111, closes 6-7, then 4-7, then 0-7).
        h, n, hashes = leaf, self.size, self.hashes
        while n & 1:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            n >>= 1
        hashes.append(h)
        self.size += 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        """``push`` each of ``leaves``, faster: the leaves are cut into the largest perfect
        subtrees the size allows, and each is hashed level by level over a list."""
        i, total = 0, len(leaves)
        while i < total:
            size = self.size
            height = (total - i).bit_length() - 1
            if size:
                # A subtree of 2**height leaves can only start where 2**height divides the size.
                height = min(height, (size & -size).bit_length() - 1)
            level = leaves[i:i + (1 << height)]
            while len(level) > 1:
                level = [_sha256(b"\x01" + left + right).digest()
                         for left, right in zip(level[0::2], level[1::2])]
            h, n, hashes = level[0], size >> height, self.hashes
            while n & 1:
                h = _sha256(b"\x01" + hashes.pop() + h).digest()
                n >>= 1
            hashes.append(h)
            self.size = size + (1 << height)
            i += 1 << height

    def root(self) -> bytes:
        """RFC 6962 combines the unequal subtrees right to left (the left one is larger)."""
        if not self.hashes:
            return EMPTY_ROOT
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = _sha256(b"\x01" + left + h).digest()
        return h


def as_bytes(value: Any) -> bytes:
    """A stored binary value as bytes. Raw SQL on SQLite can turn a BLOB into TEXT (``replace``
    returns text), so text is taken as its UTF-8 bytes: what a reader of that row would see."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return bytes(value)


#: ``(value, end)`` of the JSON value at the start of a string, read by the one decoder of
#: ledger entries (``canonical.DECODER``), without ``json.loads``' per-call overhead.
_scan = make_scanner(DECODER)


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} has no JSON form")


# Built once: json.dumps with arguments builds a new encoder per call, a third of its cost.
_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                            check_circular=False, allow_nan=False)


def _c_text() -> Callable[[Any], str] | None:
    """The C encoder JSONEncoder.encode builds on every call, built once with the same
    arguments; None if this Python has none (or it writes anything else)."""
    if c_make_encoder is None:
        return None
    chunks = c_make_encoder(None, _not_json, encode_basestring, None, ":", ",", True, False, False)
    probe = {"b": [1, None, True, "\u00e9\n\x1f"], "a": {"z": "", "y": -2}}
    if "".join(chunks(probe, 0)) != _encoder.encode(probe):
        return None
    return lambda obj: "".join(chunks(obj, 0))


#: The JSON text json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) writes.
_text: Callable[[Any], str] = _c_text() or _encoder.encode

#: Where json's output may differ from RFC 8785 although it round-trips: keys holding
#: characters from U+E000 up (RFC 8785 sorts keys by UTF-16 code units, Python by code
#: points; their UTF-8 starts with a byte from 0xEE) and integers of 16 digits or more (RFC
#: 8785 allows only |n| < 2**53). A body holding either is confirmed with the reference
#: encoder instead. (One C translate and two searches: a regular expression is ten times slower.)
_RISKY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x21 if 0xEE <= b <= 0xF4 else 0x20 for b in range(256))
_SIXTEEN_DIGITS = b"0" * 16


def _risky(body: bytes) -> bool:
    marked = body.translate(_RISKY)
    return _SIXTEEN_DIGITS in marked or b"!" in marked


def encode(obj: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes, quickly: for objects of str/int/bool/None (all a ledger entry holds)
    json.dumps with sorted keys and no spaces writes the same bytes as RFC 8785 and runs in
    C, except where ``_risky`` finds something. Callers that find a mismatch confirm it with
    the reference encoder (``canonical``)."""
    return _text(obj).encode()


def _is_encoding_of(obj: Mapping[str, Any], body: bytes) -> bool:
    try:
        if encode(obj) == body and not _risky(body):
            return True
    except (TypeError, ValueError, UnicodeEncodeError):
        pass
    try:
        return canonical_bytes(obj) == body
    except (TypeError, ValueError):
        return False


class _Template:
    """The bytes of ``{"index": i, "kind": "pay", **payload}``, fast for payloads with one set
    of plain (ASCII) keys: a format string holds the keys and punctuation RFC 8785 fixes,
    only the values are encoded. Payloads of other shapes are encoded whole."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        keys = sorted(payload)
        self.size = len(keys)
        self.format: str | None = None
        if not keys or "index" in payload or "kind" in payload or not all(k.isascii() for k in keys):
            return
        self.values = itemgetter(*keys) if len(keys) > 1 else lambda d: (d[keys[0]],)
        #: Where the index goes among the values (keys are ASCII: code-point order is RFC
        #: 8785's order).
        self.at = sum(k < "index" for k in keys)
        parts = [_text(k).replace("%", "%%") + ":%s" for k in keys]
        parts.insert(self.at, '"index":%s')
        parts.insert(sum(k < "kind" for k in keys) + 1, '"kind":"pay"')
        self.format = "{" + ",".join(parts) + "}"

    def __call__(self, index: int, payload: Mapping[str, Any]) -> bytes:
        if self.format is not None and len(payload) == self.size:
            try:
                values = self.values(payload)
            except KeyError:
                pass
            else:
                texts = [encode_basestring(v) if type(v) is str else str(v) if type(v) is int
                         else "null" if v is None else "[]" if v == [] else value_text(v)
                         for v in values]
                texts.insert(self.at, str(index))
                return (self.format % tuple(texts)).encode()
        return value_text({"index": index, "kind": "pay", **payload}).encode()


def value_text(value: Any) -> str:
    """The JSON text of a value from a row, as ``encode`` writes it, refusing floats (the C
    encoder writes them, RFC 8785 would write some differently, and an entry never holds
    one). For ``pay_bytes`` functions like ``verification.pay_bytes``."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            raise TypeError("a float in a pay record row")
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return _text(value)


def _differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> str:
    keys = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
    return ", ".join(
        f"{k}: row says {json.dumps(expected.get(k))}, entry says {json.dumps(actual.get(k))}"
        for k in keys[:4]
    ) or "same fields, different bytes"


def verify(
    rows: Iterable[EntryRow | tuple[Any, ...]],
    *,
    origin: str,
    public_key: bytes | None,
    checkpoints: Sequence[CheckpointRow] = (),
    head: tuple[int, bytes] | None = None,
    nodes_root: bytes | str | None = None,
    pay_payload: Callable[[Any, Any], dict[str, Any]] | None = None,
    pay_rows_total: int | None = None,
    progress: Callable[[int], None] | None = None,
    pay_bytes: Callable[[int, Any, Any], bytes] | None = None,
    started_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> VerifyResult:
    """Check ``rows`` (in index order; ``EntryRow`` or plain tuples of its seven fields) and
    everything stored about them.

    ``started_at`` is when the first entry was appended and ``now`` the time of the check
    (naive UTC): given both, a ledger older than ``CHECKPOINT_DUE`` with no checkpoint at all
    (stored or saved) is a problem.

    ``head`` is the stored (size, root); ``nodes_root`` the root the stored subtree hashes
    give at the head's size (or a message saying why they give none). ``pay_payload(pay,
    member_name)`` returns a new dict of the public fields of a pay row as they are hashed;
    with it every pay entry is checked against its row, and ``pay_rows_total`` (the number of
    pay rows stored) catches rows that point at no entry. ``pay_bytes(index, pay,
    member_name)``, if given, writes ``value_text({"index": index, "kind": "pay",
    **pay_payload(pay, member_name)})`` faster, or raises TypeError or ValueError (floats
    included); an entry it does not reproduce byte for byte is checked with ``pay_payload``.
    """
    result = VerifyResult()
    by_size: dict[int, list[CheckpointRow]] = {}
    for cp in checkpoints:
        by_size.setdefault(cp.size, []).append(cp)
    run = _Pass(result, by_size, pay_payload, pay_bytes)
    if 0 in by_size:  # a checkpoint of the empty ledger (a new co-op's first) has no entry to wait for
        run.checkpoints(by_size.pop(0))
    sizes = sorted(by_size)
    source = iter(rows)
    while True:
        # A batch ends at the next checkpoint's size, where the root is taken.
        nxt = bisect_right(sizes, run.expected)
        room = sizes[nxt] - run.expected if nxt < len(sizes) else BATCH
        batch = list(islice(source, min(BATCH, room)))
        if not batch:
            break
        run.batch(batch)
        if progress is not None:
            progress(run.expected)
    if progress is not None and not run.expected:
        progress(0)
    expected = run.expected
    add = result.add

    result.entries = expected
    result.root = run.stack.root()
    if head is not None:
        size, root = head
        if size > expected:
            add(expected, f"is missing: the ledger head says there are {size} entries, "
                f"only {expected} are stored")
        elif size < expected:
            add(size, f"is stored beyond the ledger head ({size} entries)")
        elif bytes(root) != result.root:
            add(None, "the ledger head's root does not match the entries")
    if isinstance(nodes_root, str):
        add(None, nodes_root)
    elif nodes_root is not None and bytes(nodes_root) != result.root and (
        head is None or head[0] == expected
    ):
        add(None, "the stored subtree hashes (ledger_nodes) give a root that does not "
            "match the entries")
    if pay_rows_total is not None and pay_rows_total != run.pay_rows_seen:
        add(None, f"{pay_rows_total - run.pay_rows_seen} pay record row(s) point at no ledger entry")
    for size, cps in sorted(by_size.items()):
        for cp in cps:
            add(expected, f"is missing: {cp.name} was signed for {cp.size} entries, "
                f"only {expected} are stored")
    if (not checkpoints and expected and started_at is not None and now is not None
            and now - started_at > CHECKPOINT_DUE):
        add(None, f"no checkpoint: the first entry was appended at {started_at:%Y-%m-%d %H:%M} UTC, "
            "more than an hour ago, and no signed checkpoint vouches for the entries. Either none "
            "was ever signed (run `coop ledger checkpoint`, hourly) or they were deleted: verify "
            "against checkpoints you kept outside the server (--checkpoint FILE)")
    _check_signatures(result, checkpoints, origin, public_key)
    return result


class _Pass:
    """The state of one pass over the rows, and the two ways of checking a batch."""

    def __init__(self, result: VerifyResult, by_size: dict[int, list[CheckpointRow]],
                 pay_payload: Callable[[Any, Any], dict[str, Any]] | None,
                 pay_bytes: Callable[[int, Any, Any], bytes] | None = None) -> None:
        self.result = result
        self.by_size = by_size
        self.pay_payload = pay_payload
        self.pay_bytes = pay_bytes
        self.template: _Template | None = None
        self.stack = RootStack()
        self.expected = 0
        self.pay_rows_seen = 0
        self.first_bad: int | None = None

    def batch(self, batch: list[Any]) -> None:
        """The fast path, for a batch whose indexes run on without gap or repeat: each entry
        is proven sound by one comparison, and only those that fail it are checked one by
        one (``check``), which names what differs.

        A pay entry must be exactly the bytes its row (with the member's current name)
        encodes to; any other entry must decode to an object naming its own index and kind
        that re-encodes to exactly its bytes (RFC 8785 canonical form). Either proves all
        that ``check`` checks of the body; the stored leaf and node hashes must equal the
        recomputed leaf hash."""
        start = expected = self.expected
        payload, pay_bytes = self.pay_payload, self.pay_bytes
        template = self.template
        leaves: list[bytes] = []
        add_leaf = leaves.append
        suspects: list[int] = []
        pay_rows = 0
        for row in batch:
            index, kind, body, stored_leaf, stored_node, pay, name = row
            if index != expected:
                self.slowly(batch)
                return
            if type(body) is not bytes:
                body = as_bytes(body)
            leaf = _sha256(b"\x00" + body).digest()
            add_leaf(leaf)
            expected += 1
            pay_rows += pay is not None
            try:
                if (stored_leaf is not None and stored_leaf != leaf) or (
                        stored_node is not None and stored_node != leaf):
                    suspects.append(index)
                elif pay is not None:
                    if payload is None or kind != "pay" or name is None:
                        suspects.append(index)
                        continue
                    if pay_bytes is not None:
                        made = pay_bytes(index, pay, name)
                    else:
                        fields = payload(pay, name)
                        if template is None:
                            template = self.template = _Template(fields)
                        made = template(index, fields)
                    if made != body:
                        suspects.append(index)
                elif payload is not None and kind == "pay":
                    suspects.append(index)  # a pay entry with no row
                else:
                    text = body.decode()
                    obj = _scan(text, 0)[0]
                    # Equal to its re-encoding, the text holds nothing after the object.
                    if not (type(obj) is dict and type(obj.get("index")) is int
                            and obj["index"] == index and obj.get("kind") == kind
                            and _text(obj) == text):
                        suspects.append(index)
            except (ValueError, TypeError, AttributeError, KeyError, StopIteration):
                suspects.append(index)  # UnicodeError and JSONDecodeError are ValueErrors
        if payload is not None:
            self.pay_rows_seen += pay_rows
        # Rare bytes that json and RFC 8785 may write differently: such entries are confirmed
        # one by one with the reference encoder. One scan of the whole batch finds them.
        if _risky(b"\n".join([row[2] if type(row[2]) is bytes else as_bytes(row[2]) for row in batch])):
            suspects += [row[0] for row in batch if _risky(as_bytes(row[2]))]
        for index in sorted(set(suspects)):
            row = batch[index - start]
            if self.check(index, row[1], as_bytes(row[2]), leaves[index - start], row):
                if self.first_bad is None:
                    self.first_bad = index
        self.stack.extend(leaves)
        self.expected = expected
        if expected in self.by_size:
            self.checkpoints(self.by_size.pop(expected))

    def slowly(self, batch: list[Any]) -> None:
        """Entry by entry: for batches with missing, repeated or reordered indexes."""
        add, by_size, push = self.result.add, self.by_size, self.stack.push
        for row in batch:
            index, kind, body = row[0], row[1], row[2]
            expected = self.expected
            if index != expected:
                if index < expected:
                    add(index, f"appears twice (or out of order) after entry {expected - 1}")
                    continue
                # Gap: the missing indexes are named; the tree from here on cannot match.
                add(expected, f"is missing (the next stored entry is {index})")
                self.first_bad = expected if self.first_bad is None else self.first_bad
            body = as_bytes(body)
            leaf = _sha256(b"\x00" + body).digest()
            if row[5] is not None and self.pay_payload is not None:
                self.pay_rows_seen += 1
            if self.check(index, kind, body, leaf, row) and self.first_bad is None:
                self.first_bad = index
            push(leaf)
            self.expected = index + 1
            if self.expected in by_size:
                self.checkpoints(by_size.pop(self.expected))

    def check(self, index: int, kind: str, body: bytes, leaf: bytes, row: Any) -> bool:
        """Every check of one entry, each naming what does not match. True when one fails."""
        add = self.result.add
        decoded, bad = _check_body(add, index, kind, body)
        stored_leaf, stored_node, pay = row[3], row[4], row[5]
        if stored_leaf is not None and stored_leaf != leaf and as_bytes(stored_leaf) != leaf:
            add(index, "leaf hash does not match its body")
            bad = True
        if stored_node is not None and stored_node != leaf and as_bytes(stored_node) != leaf:
            add(index, "stored subtree hash (ledger_nodes level 0) does not match its body")
            bad = True
        return _check_pay(add, index, kind, body, decoded, pay, self.pay_payload) or bad

    def checkpoints(self, cps: list[CheckpointRow]) -> None:
        _check_checkpoints(self.result, cps, self.stack.root(), self.first_bad)


def _check_body(add: Callable[[int | None, str], None], index: int, kind: str,
                body: bytes) -> tuple[dict[str, Any] | None, bool]:
    """Parse an entry's body and check it names its own position and kind: (parsed, bad)."""
    try:
        decoded = decode(body)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        add(index, f"body is not a ledger entry: {exc}")
        return None, True
    bad = False
    own = decoded.get("index")
    if own != index or isinstance(own, bool):
        add(index, f"its body says it is entry {own}: entries were moved or swapped")
        bad = True
    if decoded.get("kind") != kind:
        add(index, f"kind column says {kind!r} but its body says {decoded.get('kind')!r}")
        bad = True
    return decoded, bad


def _check_pay(add: Callable[[int | None, str], None], index: int, kind: str, body: bytes,
               decoded: dict[str, Any] | None, pay: Any,
               pay_payload: Callable[[Any, Any], dict[str, Any]] | None) -> bool:
    """The pay record row against its entry (or, with no rows to compare, the body's
    canonical form). True when something does not match."""
    if pay_payload is None:
        if decoded is not None and not _is_encoding_of(decoded, body):
            # No row to compare with: at least the body must be canonical, so no reader can
            # see other fields than the hash covers (repeated keys, stray whitespace).
            add(index, "body is not in canonical form (RFC 8785)")
            return True
        return False
    if kind == "pay" and pay is None:
        add(index, "pay entry has no pay record row")
        return True
    if kind != "pay" and pay is not None:
        add(index, f"a pay record row points at this {kind} entry")
        return True
    if decoded is None:
        return False
    if pay is None:
        # A decision record has no row of its own here: like an export's entries, it must
        # at least be canonical, so no reader sees other fields than the hash covers.
        if not _is_encoding_of(decoded, body):
            add(index, "body is not in canonical form (RFC 8785)")
            return True
        return False
    try:
        want = {"index": index, "kind": "pay", **pay_payload(pay, decoded.get("member_name"))}
    except (TypeError, ValueError, AttributeError) as exc:
        add(index, f"pay record row is unreadable: {exc}")
        return True
    if not _is_encoding_of(want, body):
        add(index, "pay record row does not re-encode to the entry's bytes ("
            + _differences(want, decoded) + ")")
        return True
    return False


def _check_checkpoints(
    result: VerifyResult, cps: list[CheckpointRow], root: bytes, first_bad: int | None
) -> None:
    for cp in cps:
        result.checkpoints += 1
        result.saved += cp.label is not None
        if bytes(cp.root) != root:
            # The entries were rewritten after this checkpoint was signed; if no row was
            # caught by its stored hashes, the rewrite also replaced those (an attacker who
            # rewrote the leaf and subtree hashes cannot re-sign the checkpoint).
            where = (f"entry {first_bad} or earlier" if first_bad is not None
                     else f"an entry before {cp.size}")
            result.add(first_bad, f"{cp.name} does not match the entries: "
                       f"{where} was rewritten after it was signed")


def _check_signatures(
    result: VerifyResult, checkpoints: Sequence[CheckpointRow], origin: str, public_key: bytes | None
) -> None:
    if not checkpoints:
        return
    if public_key is None:
        result.add(None, "no published key to check the checkpoints' signatures against")
        return
    result.key = f"{origin}+{notes.key_id(origin, public_key).hex()}"
    latest = max(checkpoints, key=lambda cp: cp.size)
    for cp in checkpoints:
        try:
            stated = notes.parse_and_verify(cp.note, origin, public_key)
        except notes.CheckpointError as exc:
            result.add(None, f"{cp.name}: {exc}")
            continue
        if stated.size != cp.size or stated.root != bytes(cp.root):
            result.add(None, f"{cp.name}: its stored size/root differ from the "
                       f"signed note (which says size {stated.size})")
            continue
        if cp is latest:
            result.latest = cp
