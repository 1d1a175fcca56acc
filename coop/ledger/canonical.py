"""The one byte encoding of a ledger entry: RFC 8785 (JSON Canonicalization Scheme).

A leaf of the ledger's Merkle tree is the hash of these bytes, so anyone re-encoding the same
public fields must get the same bytes, byte for byte, in any language: RFC 8785 fixes key order,
whitespace, string escaping and number formatting. The encoding itself is done by the
``rfc8785`` library; this module only decides what may go into it.

Money and hours are decimal strings (``"23.50"``), never floats and never ``Decimal``: a float
cannot hold 0.10 exactly, and RFC 8785 would print a ``Decimal`` as a float. Making the caller
write the string keeps the published figure exactly what the co-op voted for.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Mapping
from typing import Any

import rfc8785

_NO_FLOATS = "money and hours are decimal strings, never floats"


def _plain(value: Any, path: str) -> Any:
    """``value`` as the plain dict/list/str/int/bool/None tree rfc8785 accepts; refuses
    anything else, naming where it was found (e.g. ``supplements[1].amount``)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        raise TypeError(f"{path} is a float ({value!r}): {_NO_FLOATS}")
    if isinstance(value, decimal.Decimal):
        raise TypeError(
            f"{path} is a Decimal ({value!r}): {_NO_FLOATS}; pass str(value) deliberately"
        )
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} has a non-string key {key!r}: JSON keys are strings")
            out[key] = _plain(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(
        f"{path or 'value'} is a {type(value).__name__}, which has no canonical JSON form; "
        "convert it to a string or number explicitly"
    )


def canonical_bytes(obj: Mapping[str, Any]) -> bytes:
    """The RFC 8785 canonical encoding of an entry's public fields.

    :raise TypeError: ``obj`` holds a float, a ``Decimal``, a non-string key or a type JSON
        has no form for; the message names the key.
    :raise ValueError: an integer outside JSON's exact range (±2^53) or a string that is not
        valid Unicode (from ``rfc8785``).
    """
    if not isinstance(obj, Mapping):
        raise TypeError(f"a ledger entry is a JSON object (a mapping), not {type(obj).__name__}")
    return rfc8785.dumps(_plain(obj, ""))


def _refuse_number(text: str) -> Any:
    # json calls this for every number that is not an integer: fractions and exponents
    # (23.5, 2.0, 1e3) and the constants NaN, Infinity and -Infinity, which JSON does not
    # even have. canonical_bytes never writes any of them, so one refusal covers all.
    raise ValueError(f"ledger entry holds the number {text}: numbers in an entry are whole; {_NO_FLOATS}")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one key would let a reader and a verifier see different entries.
    out = dict(pairs)
    if len(out) != len(pairs):
        keys = [key for key, _ in pairs]
        repeated = next(key for i, key in enumerate(keys) if key in keys[:i])
        raise ValueError(f"ledger entry repeats the key {repeated!r}")
    return out


#: The one JSON decoder for ledger entries, used by :func:`decode` and by the verifier
#: (``coop.ledger.verify``): stricter than ``json.loads``, as befits data read back from an
#: untrusted database, it refuses what :func:`canonical_bytes` never writes (numbers that
#: are not integers, NaN/Infinity, repeated keys). Built once: ``json.loads`` with arguments
#: builds a decoder per call.
DECODER = json.JSONDecoder(parse_float=_refuse_number, parse_constant=_refuse_number,
                           object_pairs_hook=_refuse_duplicates)


def decode(data: bytes | str) -> dict[str, Any]:
    """Read back an entry's canonical bytes with :data:`DECODER`.

    :raise ValueError: not UTF-8 JSON, not an object, or holds something refused above.
    """
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    value = DECODER.decode(text)
    if not isinstance(value, dict):
        raise ValueError(f"a ledger entry is a JSON object, not {type(value).__name__}")
    return value
