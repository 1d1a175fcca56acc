"""The ledger export file, and verifying one offline (no database, no coop server).

An export is one JSON document, written so that it can be both produced and read one entry
at a time: the co-op, its published key, the head and the signed checkpoints come first, on
the first line; then one entry per line; then the closing ``]}``::

    {"format":"coop-ledger-export/1","coop":"bakery",...,"checkpoints":[...],"entries":[
    {"index":0,"kind":"pay","leaf_hash":"6e34…","body":"{\\"annualised\\":…}"},
    ...
    ]}

``body`` is the entry's canonical JSON as a JSON string: decoding the string and encoding it
as UTF-8 gives back the exact bytes that were hashed (an entry whose stored bytes are not
UTF-8 is written as ``body_base64`` instead). Any JSON reader can load the file whole; the
reader here streams the line layout and falls back to loading whole files that were
reformatted.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from json.scanner import make_scanner
from pathlib import Path
from typing import IO, Any

from coop.ledger import checkpoint as notes
from coop.ledger.verify import CheckpointRow, EntryRow, VerifyResult, as_bytes, saved_checkpoint, verify

FORMAT = "coop-ledger-export/1"
ENTRIES_OPEN = ',"entries":[\n'
CLOSE = "]}\n"


def header_line(header: dict[str, Any]) -> str:
    return json.dumps(header, ensure_ascii=True)[:-1] + ENTRIES_OPEN


def entry_line(index: int, kind: str, body: bytes, leaf_hash: bytes | None) -> str:
    """One entry as a JSON object on one line (the writer puts the commas between)."""
    item: dict[str, Any] = {"index": index, "kind": kind}
    if leaf_hash is not None:
        item["leaf_hash"] = as_bytes(leaf_hash).hex()
    body = as_bytes(body)
    try:
        item["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        item["body_base64"] = base64.b64encode(body).decode("ascii")
    return json.dumps(item, ensure_ascii=True)


def _row(item: dict[str, Any]) -> EntryRow:
    if "body_base64" in item:
        body = base64.b64decode(item["body_base64"], validate=True)
    else:
        body = item["body"].encode("utf-8")
    leaf = item.get("leaf_hash")
    return EntryRow(item["index"], item["kind"], body, bytes.fromhex(leaf) if leaf else None)


#: The JSON value at the start of a string and where it ends: json.loads without its
#: per-call overhead, which was a third of reading an export line.
_scan = make_scanner(json.JSONDecoder())


def _item(line: str) -> Any:
    try:
        item, end = _scan(line, 0)
        if line[end:] in (",\n", "\n"):
            return item
    except (StopIteration, ValueError):
        pass
    # Anything else (spaces, a last line without its newline, or not JSON) as json.loads
    # reads it, with its message.
    return json.loads(line.rstrip("\n").rstrip(","))


class ExportError(ValueError):
    """The file is not a coop ledger export."""


def read(fh: IO[str]) -> tuple[dict[str, Any], Iterator[EntryRow]]:
    """(header, entries) of an export; the entries are read lazily from ``fh``."""
    first = fh.readline()
    if first.startswith('{"format":') and first.endswith(ENTRIES_OPEN):
        header = json.loads(first[: -len(ENTRIES_OPEN)] + "}")
        _check_header(header)

        def stream() -> Iterator[EntryRow]:
            for number, line in enumerate(fh, start=2):
                if line == CLOSE or line == "]}":
                    return
                try:
                    yield _row(_item(line))
                except (AttributeError, KeyError, TypeError, ValueError) as exc:
                    raise ExportError(f"line {number} of the export is not an entry: {exc}") from None
            raise ExportError("the export ends before its closing ]}: it was cut short")

        return header, stream()
    # Reformatted by some tool: still valid JSON, read whole.
    try:
        document = json.loads(first + fh.read())
    except ValueError as exc:
        raise ExportError(f"not a coop ledger export: {exc}") from None
    _check_header(document)
    entries = document.pop("entries", [])
    if not isinstance(entries, list):
        raise ExportError("the export's entries are not a list")

    def rows() -> Iterator[EntryRow]:
        for number, item in enumerate(entries):
            try:
                yield _row(item)
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                raise ExportError(f"item {number} of the export's entries is not an entry: {exc}") from None

    return document, rows()


def _check_header(header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ExportError(f"not a coop ledger export (expected format {FORMAT})")


def trusted_key(header: dict[str, Any], verifier_key: str | None) -> tuple[bytes, str]:
    """The key to check signatures with, and where it came from. An auditor should pass the
    verifier key the co-op published elsewhere: the key inside the file proves nothing about
    who wrote the file."""
    origin = header["origin"]
    if verifier_key:
        name, key = notes.parse_verifier_key(verifier_key)
        if name != origin:
            raise ExportError(f"the verifier key is for {name!r}, the export is of {origin!r}")
        return key, "the key you gave"
    return base64.b64decode(header["public_key"], validate=True), "the key in the file"


def verify_file(path: Path | str, verifier_key: str | None = None,
                progress: Callable[[int], None] | None = None,
                saved: Sequence[tuple[str, str]] = (), *,
                now: dt.datetime | None = None) -> tuple[VerifyResult, dict[str, Any], str]:
    """Verify an export offline: (result, header, where the key came from). ``saved`` are
    (label, signed note) of checkpoints the auditor kept from earlier: each must verify
    with the key and match the entries at its size. ``now`` (naive UTC): an export whose
    first entry is over an hour older and that carries no checkpoint fails, as in the
    database (exports written before ``first_appended_at`` was added cannot tell).

    :raise checkpoint.CheckpointError: a saved checkpoint is not signed by the key.
    """
    with open(path, encoding="utf-8") as fh:
        header, rows = read(fh)
        try:
            key, source = trusted_key(header, verifier_key)
            kept = [saved_checkpoint(note, header["origin"], key, label) for label, note in saved]
            head = header.get("head") or {}
            checkpoints = [
                CheckpointRow(cp["size"], bytes.fromhex(cp["root"]), cp["note"],
                              dt.datetime.fromisoformat(cp["signed_at"]) if cp.get("signed_at") else None)
                for cp in header.get("checkpoints", [])
            ] + kept
            stated_head = (head["size"], bytes.fromhex(head["root"])) if head else None
            first = header.get("first_appended_at")
            started_at = dt.datetime.fromisoformat(first) if first else None
        except (KeyError, TypeError, AttributeError) as exc:
            # A file edited or written by hand: one readable error, not a traceback.
            raise ExportError(f"the export's header is malformed ({type(exc).__name__}: {exc})") from None
        result = verify(
            rows, origin=header["origin"], public_key=key, checkpoints=checkpoints,
            head=stated_head, progress=progress, started_at=started_at, now=now,
        )
    return result, header, source
