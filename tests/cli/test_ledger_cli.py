"""`coop ledger`, `coop pay` and `coop audit` on the demo co-op's committed database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import select, text

from coop.ledger import merkle
from coop.models import LedgerEntry
from tests.cli.conftest import Coop
from tests.clock import NOW


def bodies(session_for) -> list[bytes]:
    with session_for() as s:
        return [bytes(b) for b in s.scalars(select(LedgerEntry.body).order_by(LedgerEntry.index))]


def test_proof_prints_an_rfc6962_path_that_verifies(demo: Coop, session_for) -> None:
    bs = bodies(session_for)
    proof = json.loads(demo.ok("ledger", "proof", "5", "--size", "12", "--json").output)
    assert proof["tree_size"] == 12 and proof["root"] == merkle.root(bs[:12]).hex()
    assert merkle.verify_inclusion(bs[5], 5, 12, [bytes.fromhex(h) for h in proof["path"]],
                                   bytes.fromhex(proof["root"]))
    human = demo.ok("ledger", "proof", "5").output
    assert human.startswith(f"entry 5 of a ledger of {len(bs)} entries\nleaf hash {merkle.leaf_hash(bs[5]).hex()}")


def test_proof_of_an_entry_beyond_the_ledger_is_one_error_line(demo: Coop, session_for) -> None:
    n = len(bodies(session_for))
    assert demo.fails("ledger", "proof", str(n)) == f"error: index: entry {n} is not in a ledger of {n} entries"


def test_consistency_defaults_to_the_current_size(demo: Coop, session_for) -> None:
    bs = bodies(session_for)
    out = demo.ok("ledger", "consistency", "6").output.splitlines()
    assert out[:3] == [f"from 6 to {len(bs)} entries", f"old root {merkle.root(bs[:6]).hex()}",
                       f"new root {merkle.root(bs).hex()}"]
    assert [line.strip() for line in out[4:]] == [h.hex() for h in merkle.consistency_proof(bs, 6)]


def test_show_prints_the_entry_as_hashed(demo: Coop, session_for) -> None:
    out = demo.ok("ledger", "show", "0").output
    assert out.splitlines()[0].startswith("entry 0 (pay), appended ")
    assert json.loads(out.split("\n", 2)[2])["index"] == 0


def test_checkpoint_signs_only_when_the_ledger_moved(demo: Coop, session_for) -> None:
    first = demo.ok("ledger", "checkpoint").output
    assert first.splitlines()[:2] == ["coop/demo", str(len(bodies(session_for)))]
    assert demo.ok("ledger", "checkpoint").output == first
    assert len(demo.ok("ledger", "checkpoints").output.splitlines()) == 3  # header, rule, one row


def test_csv_export_has_one_row_per_entry_with_pay_fields_flattened(demo: Coop, tmp_path: Path, session_for) -> None:
    out = tmp_path / "ledger.csv"
    demo.ok("ledger", "export", "--format", "csv", "--output", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [int(r["index"]) for r in rows] == list(range(len(bodies(session_for))))
    pay = [r for r in rows if r["kind"] == "pay"]
    assert pay[0]["member_name"] and pay[0]["hourly_rate"].count(".") == 1
    decision = next(r for r in rows if r["kind"] == "decision")
    assert decision["outcome"] in ("passed", "failed") and decision["yes"] != ""
    assert merkle.leaf_hash(rows[4]["body"].encode()).hex() == rows[4]["leaf_hash"]


def test_json_export_is_valid_json_carrying_exact_bytes(demo: Coop, session_for) -> None:
    document = json.loads(demo.ok("ledger", "export").output)
    assert document["origin"] == "coop/demo" and document["verifier_key"].startswith("coop/demo+")
    assert [e["body"].encode() for e in document["entries"]] == bodies(session_for)
    assert document["head"]["root"] == merkle.root(bodies(session_for)).hex()


def test_export_and_verify_stream_in_constant_queries(demo: Coop, tmp_path: Path) -> None:
    small_export = demo.count_queries("ledger", "export", "--output", str(tmp_path / "a.json"))
    small_verify = demo.count_queries("ledger", "verify")
    demo.ok("members", "add", "--name", "New", "--email", "new@example.org", "--status", "active")
    (tmp_path / "pay.csv").write_text("email,hourly_rate,weekly_hours\nnew@example.org,20.00,30\n")
    demo.ok("pay", "import", str(tmp_path / "pay.csv"))
    assert demo.count_queries("ledger", "export", "--output", str(tmp_path / "b.json")) == small_export
    assert demo.count_queries("ledger", "verify") == small_verify


def test_pay_show_history_and_stats(demo: Coop) -> None:
    table = demo.ok("pay", "show").output.splitlines()
    assert table[0].split()[:3] == ["member", "name", "hourly"]
    assert len(table) == 2 + 12
    assert "nobody is paid on 2020-01-01" in demo.ok("pay", "show", "--as-of", "2020-01-01").output
    history = demo.ok("pay", "history", "tomasz@riverside.example").output
    assert "Responsibility supplement for the safety officer': passed, 7 yes, 1 no, 1 abstain of 11" in history
    stats = demo.ok("pay", "stats").output.splitlines()
    assert stats[0].split() == ["paid", "min/h", "median/h", "mean/h", "max/h", "ratio", "payroll/year"]
    assert stats[2].split()[0] == "12"
    by_month = demo.ok("pay", "stats", "--by", "month").output.splitlines()
    assert len(by_month) > 12


def test_pay_import_rejects_a_bad_file_naming_rows_and_writes_nothing(demo: Coop, tmp_path: Path, session_for) -> None:
    path = tmp_path / "pay.csv"
    path.write_text("email,hourly_rate,weekly_hours\nada@riverside.example,20.00,30\nnobody@x.org,1,1\n")
    before = demo.counts()
    result = demo.run("pay", "import", str(path))
    assert result.exit_code == 1 and demo.counts() == before
    assert "line 2, email: Ada Okafor already has pay on the ledger" in result.stderr
    assert "line 3, email: no member 'nobody@x.org' in this co-op" in result.stderr
    assert demo.ok("ledger", "verify").output.startswith(f"ok: {len(bodies(session_for))} entries")


def test_pay_import_breaking_the_ratio_names_the_numbers(demo: Coop, tmp_path: Path) -> None:
    demo.ok("members", "add", "--name", "Low", "--email", "low@example.org", "--status", "active")
    path = tmp_path / "pay.csv"
    path.write_text("email,hourly_rate,weekly_hours\nlow@example.org,5.00,30\n")
    line = demo.fails("pay", "import", str(path))
    assert "would make the ratio" in line and "the rules allow 3:1" in line


def test_audit_report_is_clean_on_the_demo_and_fails_on_an_unvoted_change(demo: Coop, session_for) -> None:
    out = demo.ok("audit", "report").output
    assert "Responsibility supplement for the safety officer" in out and out.rstrip().endswith("ok: no anomalies")
    from decimal import Decimal

    from coop.models import Cooperative, Member
    from coop.pay import Pay
    from coop.services import ledger

    with session_for() as s:
        coop = s.scalars(select(Cooperative)).one()
        ada = s.scalars(select(Member).where(Member.email == "ada@riverside.example")).one()
        ledger.append_pay_record(s, coop, ada.id, ada.name, Pay(Decimal("40.00"), Decimal("40.00")), 52,
                                 authority="founding", effective_date=ada.joined_at.date(), now=NOW)
    result = demo.run("audit", "report")
    assert result.exit_code == 1
    last = len(bodies(session_for)) - 1
    assert f"entry {last}: a founding record for Ada Okafor, who was already paid" in result.output
    # The hashes are fine: this is a governance anomaly, not tampering.
    assert demo.ok("ledger", "verify").exit_code == 0


def test_verify_with_a_key_for_another_ledger_is_refused(demo: Coop) -> None:
    from coop.ledger import checkpoint as notes

    other = notes.verifier_key("coop/other", notes.public_key_bytes(notes.generate_private_key()))
    assert "is for 'coop/other'" in demo.fails("ledger", "verify", "--key", other)


def test_verify_names_a_row_whose_binary_body_was_replaced_by_text(demo: Coop) -> None:
    if demo.backend != "sqlite":
        return  # SQLite's replace() turns a BLOB into TEXT; PostgreSQL keeps types
    engine = demo.engine()
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER ledger_entries_no_update"))
        conn.execute(text("UPDATE ledger_entries SET body = replace(body, :old, :new) WHERE idx = 2"),
                     {"old": '"index":2,', "new": '"index": 2,'})
    engine.dispose()
    result = demo.run("ledger", "verify")
    assert result.output.splitlines()[0] == "entry 2: leaf hash does not match its body"


def test_key_prints_the_published_verifier_key_and_its_pem(demo: Coop, session_for) -> None:
    from cryptography.hazmat.primitives import serialization

    from coop.ledger import checkpoint as notes
    from coop.models import Cooperative

    with session_for() as s:
        published = bytes(s.scalars(select(Cooperative.public_key)).one())
    vkey = demo.ok("ledger", "key").output.strip()
    assert notes.parse_verifier_key(vkey) == ("coop/demo", published)
    pem = serialization.load_pem_public_key(demo.ok("ledger", "key", "--pem").output.encode())
    assert notes.public_key_bytes(pem) == published


def test_long_commands_show_progress_on_a_terminal_and_nothing_in_a_pipe(demo: Coop, session_for, tmp_path, monkeypatch) -> None:
    import coop.cli.ledger as ledger_cli

    n = len(bodies(session_for))
    piped = demo.ok("ledger", "verify")
    assert piped.stderr == ""
    monkeypatch.setattr(ledger_cli, "_terminal", lambda: True)
    on_terminal = demo.ok("ledger", "verify")
    assert f"\rverified {n:,} entries…" in on_terminal.stderr and on_terminal.stderr.endswith("\r\033[K")
    assert on_terminal.stdout == piped.stdout  # stdout stays clean for scripts
    exported = demo.ok("ledger", "export", "--output", str(tmp_path / "l.json"))
    assert f"\rexported {n:,} entries…" in exported.stderr


def test_pay_import_of_a_file_that_is_not_utf8_is_one_error_line(demo: Coop, tmp_path: Path) -> None:
    path = tmp_path / "pay.csv"
    path.write_bytes("email,hourly_rate,weekly_hours\nzoë@example.org,20.00,37.50\n".encode("latin-1"))
    assert demo.fails("pay", "import", str(path)) == "error: CSV: pay.csv is not UTF-8 text; save it as CSV UTF-8"
