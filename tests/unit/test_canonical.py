"""A ledger entry has exactly one byte encoding (RFC 8785), and money never passes as a float."""

from __future__ import annotations

import decimal
import json
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop.ledger.canonical import canonical_bytes, decode

PAY_RECORD = {
    "kind": "pay",
    "member": 7,
    "name": "Zoë Ångström",
    "effective": "2026-01-01",
    "hourly_rate": "23.50",
    "weekly_hours": "37.5",
    "supplements": [{"reason": "night shifts", "amount": "1.25"}],
    "authorised_by": None,
    "founding_import": False,
}

# Written out by hand: sorted keys, no whitespace, non-ASCII as raw UTF-8.
PAY_RECORD_BYTES = (
    b'{"authorised_by":null,"effective":"2026-01-01","founding_import":false,'
    b'"hourly_rate":"23.50","kind":"pay","member":7,"name":"Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m",'
    b'"supplements":[{"amount":"1.25","reason":"night shifts"}],"weekly_hours":"37.5"}'
)


def test_a_known_entry_encodes_to_exactly_these_bytes():
    assert canonical_bytes(PAY_RECORD) == PAY_RECORD_BYTES


def test_key_order_does_not_change_the_encoding():
    reordered = dict(reversed(list(PAY_RECORD.items())))
    reordered["supplements"] = [{"amount": "1.25", "reason": "night shifts"}]
    assert list(reordered) != list(PAY_RECORD)
    assert canonical_bytes(reordered) == canonical_bytes(PAY_RECORD)


def test_keys_sort_by_utf16_code_units_as_rfc8785_requires():
    # RFC 8785 §3.2.3's own example: U+1F600 (surrogates D83D DE00) sorts before U+FB33 in
    # UTF-16, though after it by code point; a sort_keys=True json.dumps gets this wrong.
    obj = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "\u00f6": 7}
    out = canonical_bytes(obj).decode("utf-8")
    assert out == (
        '{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\U0001f600":5,"\ufb33":3}'
    )


def test_strings_escape_only_what_json_must():
    out = canonical_bytes({"s": 'tab\there "quoted" \\ \x1f é'})
    assert out == b'{"s":"tab\\there \\"quoted\\" \\\\ \\u001f \xc3\xa9"}'


def test_any_mapping_encodes_like_the_equivalent_dict():
    proxy = types.MappingProxyType({"b": types.MappingProxyType({"y": 1}), "a": (1, 2)})
    assert canonical_bytes(proxy) == b'{"a":[1,2],"b":{"y":1}}'


@pytest.mark.parametrize(
    "obj,where",
    [
        ({"hourly_rate": 23.5}, "hourly_rate"),
        ({"supplements": [{"amount": 1.0}]}, r"supplements\[0\]\.amount"),
        ({"tally": {"yes": 3, "share": 0.75}}, r"tally\.share"),
        ({"hours": [1, 2, 3.0]}, r"hours\[2\]"),
    ],
)
def test_floats_are_refused_anywhere_naming_the_key(obj, where):
    with pytest.raises(TypeError, match=where) as caught:
        canonical_bytes(obj)
    assert "money and hours are decimal strings, never floats" in str(caught.value)


def test_decimals_are_refused_too_so_the_string_form_is_chosen_explicitly():
    with pytest.raises(TypeError, match=r"annualised_pay.*decimal strings"):
        canonical_bytes({"annualised_pay": decimal.Decimal("45000.00")})
    assert canonical_bytes({"annualised_pay": str(decimal.Decimal("45000.00"))}) == (
        b'{"annualised_pay":"45000.00"}'
    )


@pytest.mark.parametrize(
    "obj,match",
    [
        ({1: "a"}, "non-string key"),
        ({"members": {3, 4}}, "members is a set"),
        ({"raw": b"bytes"}, "raw is a bytes"),
    ],
)
def test_values_without_a_json_form_are_refused(obj, match):
    with pytest.raises(TypeError, match=match):
        canonical_bytes(obj)


def test_only_an_object_is_a_ledger_entry():
    with pytest.raises(TypeError, match="mapping"):
        canonical_bytes([1, 2])  # type: ignore[arg-type]


def test_integers_beyond_json_precision_are_refused():
    # 2^53 + 1 would be read back as 2^53 by a JavaScript verifier.
    with pytest.raises(ValueError):
        canonical_bytes({"cents": 2**53 + 1})


def test_decode_reads_back_the_entry():
    assert decode(PAY_RECORD_BYTES) == PAY_RECORD


@pytest.mark.parametrize(
    "data,match",
    [
        (b'{"hourly_rate":23.5}', "never floats"),
        (b'{"x":1e3}', "never floats"),
        (b'{"x":NaN}', "holds the number NaN"),
        (b'{"a":1,"a":2}', "repeats the key"),
        (b"[1,2]", "JSON object"),
        (b"{", None),
    ],
)
def test_decode_refuses_what_canonical_bytes_never_writes(data, match):
    with pytest.raises(ValueError, match=match):
        decode(data)


# Hypothesis text never holds lone surrogates, which JSON cannot carry as UTF-8 anyway.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
json_entries = st.dictionaries(st.text(max_size=8), json_values, max_size=6)


@settings(max_examples=150, deadline=None)
@given(obj=json_entries)
def test_encoding_round_trips_and_is_a_fixed_point(obj):
    data = canonical_bytes(obj)
    assert decode(data) == obj
    assert canonical_bytes(decode(data)) == data
    # Any standard JSON reader sees the same value.
    assert json.loads(data) == obj


@settings(max_examples=100, deadline=None)
@given(obj=json_entries, rng=st.randoms())
def test_encoding_ignores_insertion_order(obj, rng):
    items = list(obj.items())
    rng.shuffle(items)
    assert canonical_bytes(dict(items)) == canonical_bytes(obj)
