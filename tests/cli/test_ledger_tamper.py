"""Tampering with a committed ledger, by raw SQL exactly as an attacker with a database prompt
would, is caught by `coop ledger verify` naming the entry; with the triggers in place the
database refuses the edit outright.

Each test has its own committed database (see conftest), seeded with the demo co-op: a real
ledger of founding pay, decisions and a pay change by vote, with a signed checkpoint.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from coop.ledger import checkpoint as notes
from coop.ledger import merkle, nodestore
from tests.cli.conftest import Coop

APPEND_ONLY = ("ledger_entries", "ledger_nodes", "checkpoints", "pay_records")


def drop_triggers(conn, backend: str) -> None:
    for table in APPEND_ONLY:
        if backend == "postgresql":
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
        else:
            for action in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))


def attack(demo: Coop, *statements: tuple[str, dict]) -> None:
    engine = demo.engine()
    try:
        with engine.begin() as conn:
            drop_triggers(conn, demo.backend)
            for sql, params in statements:
                conn.execute(text(sql), params)
    finally:
        engine.dispose()


def rows(demo: Coop, sql: str, **params) -> list:
    engine = demo.engine()
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def pay_entries(demo: Coop) -> list[int]:
    return [r[0] for r in rows(demo, "SELECT entry_index FROM pay_records ORDER BY entry_index")]


def bodies_of(demo: Coop) -> list[bytes]:
    return [bytes(r[0]) for r in rows(demo, "SELECT body FROM ledger_entries ORDER BY idx")]


def body(demo: Coop, index: int) -> bytes:
    return bytes(rows(demo, "SELECT body FROM ledger_entries WHERE idx = :i", i=index)[0][0])


def verify_fails(demo: Coop, *args: str) -> str:
    result = demo.run("ledger", "verify", *args)
    assert result.exit_code == 1, (result.output, result.exception)
    return result.output.splitlines()[0]


def size(demo: Coop) -> int:
    return rows(demo, "SELECT count(*) FROM ledger_entries")[0][0]


def test_an_untouched_ledger_verifies(demo: Coop) -> None:
    n = size(demo)
    out = demo.ok("ledger", "verify").output
    assert out.startswith(f"ok: {n} entries, root {merkle.root(bodies_of(demo)).hex()}, checkpoint {n} signed")
    assert "coop/demo+" in out


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_triggers_refuse_updates_and_deletes_of_the_append_only_tables(demo: Coop, table: str) -> None:
    engine = demo.engine()
    try:
        for sql in (f"UPDATE {table} SET coop_id = coop_id", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"):
                with engine.begin() as conn:
                    conn.execute(text(sql))
    finally:
        engine.dispose()
    demo.ok("ledger", "verify")


@pytest.mark.parametrize("statement", [
    "TRUNCATE checkpoints", "TRUNCATE audit_events, ballot_history", "TRUNCATE pay_records",
    "TRUNCATE ledger_entries, ledger_nodes CASCADE"])
def test_truncating_an_append_only_table_is_refused_on_postgresql(demo: Coop, statement: str) -> None:
    # Row triggers do not fire on TRUNCATE; statement triggers (BEFORE TRUNCATE) refuse it.
    if demo.backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE: its DELETE FROM fires the row triggers")
    before = demo.ok("ledger", "verify").output
    engine = demo.engine()
    try:
        with pytest.raises(DBAPIError, match="is append-only: TRUNCATE refused"), engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    assert demo.ok("ledger", "verify").output == before


def test_verify_fails_loudly_when_a_ledger_past_its_first_hour_has_no_checkpoint(demo: Coop, tmp_path) -> None:
    saved = tmp_path / "kept-by-the-auditor.txt"
    saved.write_text(demo.ok("ledger", "checkpoint").output, encoding="utf-8")
    n = size(demo)
    # The checkpoints are deleted (a TRUNCATE did it before the statement triggers), and the
    # ledger is older than an hour: its entries were appended long before the command's now.
    attack(demo, ("DELETE FROM checkpoints", {}),
           ("UPDATE ledger_entries SET appended_at = :at", {"at": dt.datetime(2026, 1, 5, 9, 30)}))
    line = verify_fails(demo)
    assert line.startswith("no checkpoint: the first entry was appended at 2026-01-05 09:30 UTC, more than an "
                           "hour ago, and no signed checkpoint vouches for the entries")
    assert line.endswith("verify against checkpoints you kept outside the server (--checkpoint FILE)")
    export = tmp_path / "export.json"
    demo.ok("ledger", "export", "--output", str(export))
    assert verify_fails(demo, "--export", str(export)) == line
    # A checkpoint the auditor kept outside the server vouches for the entries again.
    out = demo.ok("ledger", "verify", "--checkpoint", str(saved)).output
    assert out.startswith(f"ok: {n} entries") and "(including 1 you saved)" in out


def test_an_edited_body_is_named(demo: Coop) -> None:
    index = pay_entries(demo)[3]
    forged = body(demo, index).replace(b'"hourly_rate":"', b'"hourly_rate":"9')
    attack(demo, ("UPDATE ledger_entries SET body = :b WHERE idx = :i", {"b": forged, "i": index}))
    assert verify_fails(demo) == f"entry {index}: leaf hash does not match its body"


def test_an_edited_pay_amount_is_named(demo: Coop) -> None:
    index = pay_entries(demo)[5]
    attack(demo, ("UPDATE pay_records SET hourly_rate = '99.00' WHERE entry_index = :i", {"i": index}))
    line = verify_fails(demo)
    assert line.startswith(f"entry {index}: pay record row does not re-encode to the entry's bytes (hourly_rate: "
                           'row says "99.00"')


def test_a_deleted_last_entry_is_named(demo: Coop) -> None:
    last = rows(demo, "SELECT max(idx) FROM ledger_entries")[0][0]
    attack(demo, ("DELETE FROM pay_records WHERE entry_index = :i", {"i": last}),
           ("DELETE FROM ledger_entries WHERE idx = :i", {"i": last}))
    assert verify_fails(demo).startswith(f"entry {last}: is missing")


def test_a_deleted_last_entry_is_named_even_when_the_head_was_wound_back(demo: Coop) -> None:
    last = rows(demo, "SELECT max(idx) FROM ledger_entries")[0][0]
    bodies = [bytes(r[0]) for r in rows(demo, "SELECT body FROM ledger_entries ORDER BY idx")][:-1]
    attack(demo, ("DELETE FROM pay_records WHERE entry_index = :i", {"i": last}),
           ("DELETE FROM ledger_entries WHERE idx = :i", {"i": last}),
           ("UPDATE ledger_heads SET size = :n, root = :r", {"n": last, "r": merkle.root(bodies)}))
    # The signed checkpoint still says the old size: the key is not in the database.
    assert verify_fails(demo) == (f"entry {last}: is missing: checkpoint {last + 1} was signed for "
                                  f"{last + 1} entries, only {last} are stored")


def test_swapped_bodies_are_named(demo: Coop) -> None:
    a, b = pay_entries(demo)[1], pay_entries(demo)[4]
    body_a, body_b = body(demo, a), body(demo, b)
    attack(demo, ("UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE idx = :i",
                  {"b": body_b, "h": merkle.leaf_hash(body_b), "i": a}),
           ("UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE idx = :i",
            {"b": body_a, "h": merkle.leaf_hash(body_a), "i": b}))
    assert verify_fails(demo) == f"entry {a}: its body says it is entry {b}: entries were moved or swapped"


def rewrite_history(demo: Coop, index: int, forged: bytes) -> None:
    """The thorough attacker: rewrites an entry, its pay row, its leaf hash, every subtree hash
    and the head, so that everything stored agrees with the forgery."""
    bodies = [bytes(r[0]) for r in rows(demo, "SELECT body FROM ledger_entries ORDER BY idx")]
    bodies[index] = forged
    store: dict = {}
    for i, b in enumerate(bodies):
        for level, idx, h in nodestore.nodes_added_by_append(i, merkle.leaf_hash(b), lambda keys: store):
            store[(level, idx)] = h
    statements = [
        ("UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE idx = :i",
         {"b": forged, "h": merkle.leaf_hash(forged), "i": index}),
        ("UPDATE pay_records SET hourly_rate = :r WHERE entry_index = :i",
         {"r": json.loads(forged)["hourly_rate"], "i": index}),
        ("DELETE FROM ledger_nodes", {}),
        ("UPDATE ledger_heads SET root = :r", {"r": merkle.root(bodies)}),
    ]
    statements += [("INSERT INTO ledger_nodes (coop_id, level, idx, hash) VALUES (1, :l, :i, :h)",
                    {"l": level, "i": idx, "h": h}) for (level, idx), h in store.items()]
    attack(demo, *statements)


def forge_rate(original: bytes, rate: str) -> bytes:
    from coop.ledger.canonical import canonical_bytes

    data = json.loads(original)
    data["hourly_rate"] = rate
    return canonical_bytes(data)


def test_a_rewrite_of_every_stored_hash_is_still_caught_by_the_signed_checkpoint(demo: Coop) -> None:
    index, n = pay_entries(demo)[2], size(demo)
    rewrite_history(demo, index, forge_rate(body(demo, index), "45.00"))
    assert verify_fails(demo).startswith(f"checkpoint {n} does not match the entries")


def test_a_saved_checkpoint_and_a_consistency_proof_expose_a_rewritten_history(demo: Coop, tmp_path) -> None:
    # A member saves today's checkpoint ...
    saved = demo.ok("ledger", "checkpoint").output
    origin, size_line, root_line = saved.split("\n", 3)[:3]
    public = base64.b64decode(json.loads(demo.ok("ledger", "export").output.split("\n", 1)[0]
                                         .removesuffix(',"entries":[') + "}")["public_key"])
    saved_cp = notes.parse_and_verify(saved, origin, public)
    # ... the ledger grows honestly, and the consistency proof holds.
    demo.ok("members", "add", "--name", "New", "--email", "new@example.org", "--status", "active")
    demo.ok("pay", "import", _csv(tmp_path, "email,hourly_rate,weekly_hours\nnew@example.org,20.00,30\n"))
    proof = json.loads(demo.ok("ledger", "consistency", str(saved_cp.size), "--json").output)
    assert merkle.verify_consistency(saved_cp.size, proof["new_size"], saved_cp.root,
                                     bytes.fromhex(proof["new_root"]), [bytes.fromhex(h) for h in proof["path"]])
    # Then someone with the database (and the signing key) rewrites an old pay entry,
    # recomputes every stored hash and signs a fresh checkpoint over the forgery.
    index = pay_entries(demo)[0]
    rewrite_history(demo, index, forge_rate(body(demo, index), "50.00"))
    assert demo.ok("ledger", "checkpoint").output != saved
    proof = json.loads(demo.ok("ledger", "consistency", str(saved_cp.size), "--json").output)
    assert not merkle.verify_consistency(saved_cp.size, proof["new_size"], saved_cp.root,
                                         bytes.fromhex(proof["new_root"]), [bytes.fromhex(h) for h in proof["path"]])
    # The server's own old root no longer matches the saved one either.
    assert bytes.fromhex(proof["old_root"]) != saved_cp.root


def _csv(tmp_path, content: str) -> str:
    path = tmp_path / "founding.csv"
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_a_tampered_export_fails_offline_verification(demo: Coop, tmp_path, monkeypatch) -> None:
    export = tmp_path / "ledger.json"
    demo.ok("ledger", "export", "--format", "json", "--output", str(export))
    # Offline: no database at all (an unreachable URL proves none is opened).
    monkeypatch.setenv("COOP_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    ok = demo.ok("ledger", "verify", "--export", str(export)).output
    assert ok.startswith(f"ok: {size(demo)} entries") and "checked with the key in the file" in ok
    lines = export.read_text(encoding="utf-8").split("\n")
    entry = json.loads(lines[4].rstrip(","))
    assert entry["index"] == 3
    entry["body"] = entry["body"].replace('"hourly_rate":"', '"hourly_rate":"1')
    lines[4] = json.dumps(entry) + ","
    export.write_text("\n".join(lines), encoding="utf-8")
    result = demo.run("ledger", "verify", "--export", str(export))
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "entry 3: leaf hash does not match its body"


def test_an_export_re_signed_with_another_key_fails_against_the_published_key(demo: Coop, tmp_path) -> None:
    export = tmp_path / "ledger.json"
    demo.ok("ledger", "export", "--output", str(export))
    header = json.loads(export.read_text().split("\n", 1)[0].removesuffix(',"entries":[') + "}")
    published = header["verifier_key"]
    other = notes.generate_private_key()
    text_ = export.read_text()
    for cp in header["checkpoints"]:
        forged = notes.sign_checkpoint(other, header["origin"], cp["size"], bytes.fromhex(cp["root"]))
        text_ = text_.replace(json.dumps(cp["note"])[1:-1], json.dumps(forged)[1:-1])
    other_pk = base64.b64encode(notes.public_key_bytes(other)).decode()
    text_ = text_.replace(header["public_key"], other_pk)
    export.write_text(text_)
    # The file vouches for itself ...
    assert demo.ok("ledger", "verify", "--export", str(export)).exit_code == 0
    # ... but not against the key the co-op published.
    result = demo.run("ledger", "verify", "--export", str(export), "--key", published)
    assert result.exit_code == 1 and "no signature by key" in result.output


def test_verify_with_a_saved_checkpoint_names_a_history_rewritten_and_re_signed_since(demo: Coop, tmp_path) -> None:
    # An auditor keeps today's signed checkpoint ...
    saved = tmp_path / "checkpoint-today.txt"
    saved.write_text(demo.ok("ledger", "checkpoint").output, encoding="utf-8")
    n = size(demo)
    # ... the ledger grows honestly: the saved checkpoint still matches.
    demo.ok("members", "add", "--name", "New", "--email", "new@example.org", "--status", "active")
    demo.ok("pay", "import", _csv(tmp_path, "email,hourly_rate,weekly_hours\nnew@example.org,20.00,30\n"))
    demo.ok("ledger", "checkpoint")
    out = demo.ok("ledger", "verify", "--checkpoint", str(saved)).output
    assert out.startswith(f"ok: {n + 1} entries") and "3 checkpoint(s) (including 1 you saved) match" in out
    # Then the operator, who has the database and the key, rewrites an old entry, makes every
    # stored hash agree and signs a fresh checkpoint: on its own the ledger looks sound ...
    index = pay_entries(demo)[0]
    rewrite_history(demo, index, forge_rate(body(demo, index), "50.00"))
    attack(demo, ("DELETE FROM checkpoints", {}))
    demo.ok("ledger", "checkpoint")
    assert demo.ok("ledger", "verify").output.startswith(f"ok: {n + 1} entries")
    # ... but not against what the auditor saved, in the database or in an export.
    expected = (f"saved checkpoint checkpoint-today.txt does not match the entries: an entry before {n} "
                "was rewritten after it was signed")
    assert verify_fails(demo, "--checkpoint", str(saved)) == expected
    export = tmp_path / "after.json"
    demo.ok("ledger", "export", "--output", str(export))
    assert verify_fails(demo, "--export", str(export), "--checkpoint", str(saved)) == expected


def test_a_saved_checkpoint_not_signed_by_the_key_is_refused_in_one_line(demo: Coop, tmp_path) -> None:
    forged = notes.sign_checkpoint(notes.generate_private_key(), "coop/demo", 3, merkle.root([b"a", b"b", b"c"]))
    path = tmp_path / "forged.txt"
    path.write_text(forged, encoding="utf-8")
    line = demo.fails("ledger", "verify", "--checkpoint", str(path))
    assert line.startswith("error: note has no signature by key coop/demo+")


def test_a_deleted_entry_in_the_middle_is_named(demo: Coop) -> None:
    index = pay_entries(demo)[4]
    attack(demo, ("DELETE FROM pay_records WHERE entry_index = :i", {"i": index}),
           ("DELETE FROM ledger_entries WHERE idx = :i", {"i": index}))
    assert verify_fails(demo) == f"entry {index}: is missing (the next stored entry is {index + 1})"


def test_reordered_rows_are_named_by_the_first_position_out_of_place(demo: Coop) -> None:
    a, b = [r[0] for r in rows(demo, "SELECT idx FROM ledger_entries WHERE kind = 'decision' ORDER BY idx")][:2]
    # Renumber the rows themselves (bodies, hashes and all move with them).
    attack(demo, ("UPDATE ledger_entries SET idx = -1 WHERE idx = :a", {"a": a}),
           ("UPDATE ledger_entries SET idx = :a WHERE idx = :b", {"a": a, "b": b}),
           ("UPDATE ledger_entries SET idx = :b WHERE idx = -1", {"b": b}))
    assert verify_fails(demo) == f"entry {a}: its body says it is entry {b}: entries were moved or swapped"
