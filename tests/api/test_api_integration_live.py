"""The issue's acceptance story, over real HTTP against `coop serve` on the demo, as an
integration written only from the published spec would do it: get tokens, list the pay
votes, have every member cast a ballot, watch the vote close and its pay entry appear on
the ledger, and verify the entry's inclusion in a signed checkpoint with an independent
RFC 6962 verifier and the co-op's Ed25519 key."""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.api import rfc6962
from tests.api.live import Live, seed_demo, serve

PASSWORD = "demo-password-1"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    # Thirteen sign-ins from one address in a minute, on the default limits: only failed
    # sign-ins count against them.
    with serve(seed_demo(tmp_path_factory.mktemp("story"))) as server:
        yield server


class Client:
    def __init__(self, base: str):
        self.base = base + "/api/v1"
        self.spec = self.call("GET", "/openapi.json")[1]
        self.used: set[tuple[str, str]] = set()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        data = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        if hasattr(self, "spec"):
            self.used.add((method.lower(), self._template(path.split("?")[0])))
        return status, json.loads(raw) if raw else None

    def _template(self, path: str) -> str:
        for template, ops in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template.removeprefix("/api/v1"))) + "$"
            if re.match(pattern, path):
                return template
        raise AssertionError(f"{path} is not in the published spec")


def test_a_pay_vote_cast_over_http_closes_appends_its_entry_and_the_entry_proves_in(live: Live) -> None:
    api = Client(live.base_url)
    c = "/coops/demo"
    status, lena_token = api.call("POST", c + "/tokens", {"email": "lena@riverside.example", "password": PASSWORD,
                                                          "scopes": ["read", "vote"], "name": "story"})
    assert status == 201
    lena = lena_token["token"]
    # The pay vote that is open.
    status, page = api.call("GET", c + "/proposals?status=voting&kind=pay_adjustment", token=lena)
    assert status == 200 and page["items"], page
    vote = page["items"][0]
    subject = vote["subject_member_id"]
    status, head = api.call("GET", c + "/ledger")
    size_before = head["tree_size"]

    # Every active member signs in and votes yes; the subject is not in the electorate.
    status, members = api.call("GET", c + "/members?status=active&limit=200", token=lena)
    assert subject in {m["id"] for m in members["items"]}
    answers = []
    for m in sorted(members["items"], key=lambda m: m["id"]):
        status, who = api.call("POST", c + "/tokens", {"email": _email(m), "password": PASSWORD,
                                                       "scopes": ["read", "vote"]})
        assert status == 201, who
        status, ballot = api.call("PUT", f"{c}/proposals/{vote['id']}/ballot", {"choice": "yes"}, token=who["token"])
        answers.append((m["id"], status))
        if status == 200:
            assert ballot["choice"] == "yes" and ballot["member_id"] == m["id"]
        else:
            assert ballot["status"] == status and ballot["detail"], ballot
    # 200 for the electorate; 403 for the subject (and members who joined after voting
    # opened); once the last of the electorate has voted, 409: the vote has closed.
    statuses = [s for _, s in answers]
    assert (subject, 403) in answers or (subject, 409) in answers
    assert 200 in statuses and set(statuses) <= {200, 403, 409}, answers
    first_409 = statuses.index(409) if 409 in statuses else len(statuses)
    assert 200 not in statuses[first_409:]

    # The whole electorate has voted: the vote closed at once and passed.
    status, outcome = api.call("GET", f"{c}/proposals/{vote['id']}/outcome")
    assert status == 200 and outcome["outcome"] == "passed", outcome
    status, head = api.call("GET", c + "/ledger")
    assert head["tree_size"] == size_before + 2  # the decision, then the pay entry
    status, entries = api.call("GET", f"{c}/ledger/entries?start={size_before}&kind=pay")
    (pay_entry,) = entries["items"]
    assert pay_entry["body"]["member_id"] == subject and pay_entry["body"]["proposal_id"] == vote["id"]

    # The secretary signs a checkpoint; the entry proves into its root.
    status, grace = api.call("POST", c + "/tokens", {"email": "grace@riverside.example", "password": PASSWORD,
                                                     "scopes": ["read", "admin"]})
    status, cp = api.call("POST", c + "/ledger/checkpoints", {}, token=grace["token"])
    assert status == 201 and cp["tree_size"] == head["tree_size"]
    status, proof = api.call("GET", f"{c}/ledger/entries/{pay_entry['index']}/inclusion-proof?size={cp['tree_size']}")
    leaf = rfc6962.leaf_hash(base64.b64decode(pay_entry["body_base64"]))
    path = [base64.b64decode(h) for h in proof["audit_path"]]
    root = base64.b64decode(cp["root_hash"])
    assert rfc6962.root_from_inclusion(leaf, pay_entry["index"], cp["tree_size"], path) == root
    assert rfc6962.root_from_inclusion(leaf, pay_entry["index"] - 1, cp["tree_size"], path) != root

    # And the checkpoint's signed note names that root, under the co-op's published key.
    status, key = api.call("GET", c + "/ledger/public-key")
    body, _, signature_line = cp["note"].partition("\n\n")
    assert body.splitlines() == ["coop/demo", str(cp["tree_size"]), cp["root_hash"]]
    raw_signature = base64.b64decode(signature_line.split()[-1])[4:]  # 4-byte key hash, then Ed25519
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"])).verify(raw_signature, (body + "\n").encode())

    # Everything used is in the spec.
    assert ("put", "/api/v1/coops/{slug}/proposals/{proposal_id}/ballot") in api.used


def _email(member: dict[str, Any]) -> str:
    """Emails are not in the member list (privacy); the demo's are first names."""
    return f"{member['name'].split()[0].lower()}@riverside.example"
