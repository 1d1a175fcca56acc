"""Check a response against the published OpenAPI document: the status is documented for the
operation, the media type is the documented one, and the body validates against the schema
(JSON Schema 2020-12 as OpenAPI 3.1 uses it, formats checked)."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from openapi_schema_validator import OAS31Validator, oas31_format_checker


@cache
def _routes(spec_json: str) -> list[tuple[re.Pattern[str], str]]:
    spec = json.loads(spec_json)
    out = []
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        out.append((re.compile(pattern), template))
    # Literal segments beat parameters (/ledger/entries before /ledger/{x}).
    out.sort(key=lambda r: r[1].count("{"))
    return out


def find_operation(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    for pattern, template in _routes(json.dumps(spec, sort_keys=True)):
        if pattern.match(path) and method.lower() in spec["paths"][template]:
            return template, spec["paths"][template][method.lower()]
    return None


def check_response(spec: dict[str, Any], method: str, path: str, status: int,
                   content_type: str | None, body: bytes) -> None:
    found = find_operation(spec, method, path)
    if found is None:
        # Unknown path or method: the API must still answer problem+json.
        assert status in (404, 405), f"{method} {path}: undocumented operation answered {status}"
        assert (content_type or "").startswith("application/problem+json")
        return
    template, op = found
    responses = op["responses"]
    assert str(status) in responses, f"{method} {template}: status {status} is not in the spec ({sorted(responses)})"
    documented = responses[str(status)].get("content")
    if not documented:
        assert not body, f"{method} {template} {status}: the spec documents no body, got {body[:100]!r}"
        return
    mime = (content_type or "").split(";")[0].strip()
    assert mime in documented, f"{method} {template} {status}: {mime} is not one of {list(documented)}"
    schema = {**documented[mime]["schema"], "components": spec["components"]}
    instance = json.loads(body)
    validator = OAS31Validator(schema, format_checker=oas31_format_checker)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, (f"{method} {template} {status}: the body breaks the spec: "
                        + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5]))
