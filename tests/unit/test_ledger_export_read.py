"""Offline verification of an export file that was edited or written by hand: each
malformation is one ExportError (a readable line from the CLI), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from coop.ledger.export import ExportError, verify_file

STREAMED = '{"format":"coop-ledger-export/1"%s,"entries":[\n%s]}\n'
REFORMATTED = '{\n  "format": "coop-ledger-export/1", "origin": "x", "public_key": "AAAA", "entries": %s\n}\n'


@pytest.mark.parametrize("text, message", [
    (STREAMED % ("", ""), "the export's header is malformed (KeyError: 'origin')"),
    (STREAMED % (',"origin":"x","public_key":null', ""), "the export's header is malformed (TypeError: "),
    (STREAMED % (',"origin":"x","public_key":"AAAA","head":{"size":1}', ""),
     "the export's header is malformed (KeyError: 'root')"),
    (STREAMED % (',"origin":"x","public_key":"AAAA","checkpoints":[7]', ""),
     "the export's header is malformed (TypeError: "),
    (STREAMED % (',"origin":"x","public_key":"AAAA"', '{"index":0,"kind":"pay","body":5}\n'),
     "line 2 of the export is not an entry: "),
    (REFORMATTED % '[{"index": 0}]', "item 0 of the export's entries is not an entry: 'body'"),
    (REFORMATTED % '[{"index": 0, "kind": "pay", "body": 5}]', "item 0 of the export's entries is not an entry"),
    (REFORMATTED % "7", "the export's entries are not a list"),
])
def test_a_malformed_export_is_one_export_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExportError) as exc:
        verify_file(path)
    assert str(exc.value).startswith(message)
