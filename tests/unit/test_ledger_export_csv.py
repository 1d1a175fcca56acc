"""The CSV export's flattening of entry bodies, including bodies a tamperer wrote: the
export must still run (verify is what reports tampering) and never round an amount."""

from __future__ import annotations

import json

from coop.services.ledger_export import _flatten


def test_supplement_amounts_written_as_numbers_are_summed_exactly() -> None:
    body = (b'{"hourly_rate":25.10,"kind":"pay","supplements":[{"amount":0.1,"kind":"a","reason":"skills"},'
            b'{"amount":0.2,"kind":"b","reason":"skills"}]}')
    row = _flatten(3, "pay", body, None)
    assert row["supplements_per_hour"] == "0.30"
    assert str(row["hourly_rate"]) == "25.10"


def test_a_body_that_is_not_an_object_still_gives_a_row() -> None:
    for body in (b"[1, 2]", b'"text"', b"7", b"\xff not json"):
        row = _flatten(5, "pay", body, b"\x01" * 32)
        assert (row["index"], row["kind"], row["leaf_hash"]) == (5, "pay", "01" * 32)
        assert "member_id" not in row


def test_string_amounts_as_the_application_writes_them() -> None:
    body = json.dumps({"supplements": [{"kind": "first aid", "amount": "0.75", "reason": "skills"}],
                       "hourly_rate": "23.50"}, sort_keys=True).encode()
    row = _flatten(0, "pay", body, None)
    assert (row["hourly_rate"], row["supplements"], row["supplements_per_hour"]) == (
        "23.50", "first aid 0.75 (skills)", "0.75")
