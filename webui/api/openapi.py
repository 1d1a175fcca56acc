"""The OpenAPI 3.1 document, generated from the operations and their marshmallow schemas
(apispec + its marshmallow plugin), and a self-contained HTML reference rendered from it.

The reference page is plain server-side HTML with inline CSS: no CDN, no JavaScript, so the
docs work offline and in tests.
"""

from __future__ import annotations

import json
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import render_template_string

from coop.schemas.common import MAX_ID, Problem
from coop.services.coops import SLUG
from coop.services.rule_changes import KEY
from webui.api.core import ACCESS, OPERATIONS, PROBLEM_MIME, TITLES, Operation, int_param

DESCRIPTION = """\
The REST API of a coop installation: co-ops, members, rules, proposals, ballots, pay and the
public salary ledger with RFC 6962 proofs.

**Authentication**: `Authorization: Bearer <token>` with a personal access token (scopes
`read`, `vote`, `propose`, `admin`). Get one with `POST /api/v1/coops/{slug}/tokens` (email +
password) or `coop tokens create`. What a co-op publishes (pay, the ledger, rules,
decisions, checkpoints, proofs) needs no token. A token acts only in its own co-op: on
another co-op's routes (`/coops/{slug}/…`) it gets 403, whatever the route.

**Rate limits**: `429` with `Retry-After` (seconds) over a limit: requests per token,
requests without a token per client address, invalid tokens per address (a valid token
from the same address keeps working), and wrong passwords per account and per address.

**Errors** are RFC 9457 `application/problem+json`: `type`, `title`, `status`, `detail`, and
`errors: [{field, message}]` naming what to fix. A refused request changes nothing.

**Lists** are pages: `?limit=` (1-200, default 50) and `?cursor=` (the previous page's
`next_cursor`, also given as a `Link: <…>; rel="next"` header). The order is stable.

**Money** is a decimal string (`"23.50"`), never a JSON number.
"""


TAGS = [
    ("co-ops", "The co-ops on this installation, and who a token stands for."),
    ("members", "Members and their qualifications (EQF levels 1-8)."),
    ("rules", "The bylaws: every rule's version in force, and its history."),
    ("proposals", "Motions put to the members: drafting, deliberation, voting."),
    ("ballots", "Casting and changing ballots; outcomes."),
    ("search", "Search proposals, decisions and rules, as the caller may see them."),
    ("pay", "The public pay table, history and statistics."),
    ("ledger", "The public salary ledger: entries, signed checkpoints, RFC 6962 proofs."),
    ("tokens", "Personal access tokens."),
    ("webhooks", "Event notifications to your URLs, signed with HMAC-SHA256."),
    ("audit", "The audit trail and the ledger audit report."),
    ("offices", "Offices by competence: requirements, seats, holders, and terms past and present."),
    ("elections", "Elections (candidacies within the pale, approval ballots, outcomes with the lot's inputs) and recalls."),
    ("education", "Lifelong education: learning records and the education report."),
]


def _name_resolver(schema: Any) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__


def _path_parameters(op: Operation) -> list[dict[str, Any]]:
    import re

    params = []
    for name in re.findall(r"\{(\w+)\}", op.path):
        if int_param(name):
            schema: dict[str, Any] = {"type": "integer", "minimum": 0 if name == "index" else 1, "maximum": MAX_ID}
        elif name == "slug":
            schema = {"type": "string", "pattern": SLUG.pattern, "example": "demo"}
        else:
            schema = {"type": "string", "pattern": KEY.pattern, "maxLength": 100, "example": "pay.policy"}
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return params


def _problem(status: int) -> dict[str, Any]:
    out: dict[str, Any] = {"description": TITLES.get(status, "Error"),
                           "content": {PROBLEM_MIME: {"schema": "Problem"}}}
    if status == 429:
        out["headers"] = {"Retry-After": {"description": "seconds to wait before trying again",
                                          "schema": {"type": "integer", "minimum": 1}}}
    return out


def _operation(op: Operation) -> dict[str, Any]:
    access = ACCESS[op.access] + (f" Scope: `{op.scope}`." if op.scope else "")
    out: dict[str, Any] = {
        "operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
        "description": (op.description + "\n\n" if op.description else "") + f"**Who**: {access}",
        "parameters": _path_parameters(op),
    }
    if op.query is not None:
        out["parameters"].append({"in": "query", "schema": op.query})
    if op.access in ("public", "anyone", "credentials"):
        out["security"] = [{}, {"bearer": []}]
    else:
        out["security"] = [{"bearer": []}]
    if op.body is not None:
        out["requestBody"] = {"required": op.body_required,
                              "content": {"application/json": {"schema": op.body}}}
    ok: dict[str, Any] = {"description": "OK" if op.status != 201 else "Created"}
    if op.response is not None and op.status != 204:
        ok["content"] = {"application/json": {"schema": op.response}}
    if op.paginated:
        ok["headers"] = {"Link": {"description": 'rel="next": the next page, when there is one',
                                  "schema": {"type": "string"}}}
    if op.immutable:
        ok["headers"] = {"ETag": {"schema": {"type": "string"}, "description": "strong"},
                         "Cache-Control": {"schema": {"type": "string"},
                                           "description": "public, max-age=31536000, immutable"}}
    responses: dict[str, Any] = {str(op.status): ok}
    if op.immutable or op.endpoint == "inclusion_proof":
        responses["304"] = {"description": "Not Modified (If-None-Match matched the ETag)"}
    statuses = {400, 404, 405, 429, *op.errors}
    if op.body is not None:
        statuses |= {413, 415, 422}
    if op.query is not None:
        statuses |= {400, 422}  # malformed parameters; values the services refuse (a cursor…)
    if op.access not in ("anyone",) or "{slug}" in op.path:
        statuses |= {401, 403}  # a co-op's routes refuse a bad token, and another co-op's token
    for status in sorted(statuses):
        responses[str(status)] = _problem(status)
    out["responses"] = responses
    return out


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="coop REST API", version="1.0.0", openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=_name_resolver)],
        info={"description": DESCRIPTION, "license": {"name": "AGPL-3.0-or-later",
                                                      "identifier": "AGPL-3.0-or-later"}},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "a personal access token (coop_pat_…)"})
    spec.components.schema("Problem", schema=Problem)
    by_path: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        by_path.setdefault("/api/v1" + op.path, {})[op.method] = _operation(op)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    for name, text in TAGS:
        spec.tag({"name": name, "description": text})
    return spec.to_dict()


_cache: dict[str, Any] = {}


def spec_dict() -> dict[str, Any]:
    """Built once per process: the operations are fixed once the app is made."""
    if "spec" not in _cache:
        _cache["spec"] = build_spec()
    return _cache["spec"]  # type: ignore[no-any-return]


def resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = spec["components"]["schemas"][name]
    return node


def type_label(spec: dict[str, Any], prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop or "oneOf" in prop:
        return " | ".join(type_label(spec, p) for p in prop.get("anyOf") or prop.get("oneOf"))
    t = prop.get("type", "any")
    if isinstance(t, list):
        t = " | ".join(t)
    if "array" in str(t) and "items" in prop:
        t = f"array of {type_label(spec, prop['items'])}"
    if "enum" in prop:
        t += " (" + ", ".join(json.dumps(v) for v in prop["enum"] if v is not None) + ")"
    if prop.get("format"):
        t += f", {prop['format']}"
    return t


def docs_html() -> str:
    from webui.api.docs_template import TEMPLATE

    spec = spec_dict()
    tags: dict[str, list[dict[str, Any]]] = {}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            tags.setdefault(op["tags"][0], []).append({"method": method.upper(), "path": path, **op})
    return render_template_string(TEMPLATE, spec=spec, tags=tags, type_label=type_label,
                                  resolve=resolve, json=json)
