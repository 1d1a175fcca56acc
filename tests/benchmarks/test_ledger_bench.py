"""Ledger benchmarks: verification speed, proof cost on a large ledger, export memory.

Not collected by default. Run:

    .venv/bin/pytest -q -s tests/benchmarks/test_ledger_bench.py

The ledgers are built fast, straight into SQLite with executemany (entries, pay records and
every complete-subtree hash computed in Python), then checked with the real services.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select, update

from coop.clock import utcnow
from coop.db import make_engine, make_session_factory
from coop.ledger import export as export_file
from coop.ledger import merkle, nodestore
from coop.ledger.canonical import canonical_bytes
from coop.ledger.keys import KeyStore
from coop.ledger.verify import encode
from coop.migrate import upgrade
from coop.models import Cooperative, LedgerEntry, LedgerHead, LedgerNode, Member, PayRecord
from coop.services import checkpoints, ledger, proofs, verification
from tests.factories import make_coop

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 20_000


SUPPLEMENT = [{"amount": "1.25", "kind": "first aid", "qualification_id": None, "reason": "skills"}]


def decision_body(i: int) -> dict:
    """A decision record shaped like ``ledger.decision_payload`` writes one."""
    return {"index": i, "kind": "decision", "proposal_id": i, "proposal_kind": "general",
            "title": f"Motion {i}", "electorate_size": 50,
            "tally": {"yes": 30, "no": 12, "abstain": 3}, "threshold": "1/2 of cast, strict",
            "quorum": "1/2", "outcome": "passed", "failed_test": None, "reason": None,
            "closed_at": "2026-01-01T12:00:00+00:00"}


def build(url: str, keys: KeyStore, slug: str, size: int, members: int = 50, pay_rows: bool = True,
          decisions_every: int = 3) -> int:
    """A co-op whose ledger has ``size`` entries, as a co-op's ledger mixes them: every
    ``decisions_every``-th a decision record, the others pay records (one in four with a
    supplement), each with its pay record row unless ``pay_rows`` is false. Returns its id."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        coop = make_coop(s, keys, slug=slug)
        s.add_all(Member(coop_id=coop.id, name=f"Member {i}", email=f"m{i}@{slug}.example", status="active")
                  for i in range(members))
        s.flush()
        names = dict(s.execute(select(Member.id, Member.name).where(Member.coop_id == coop.id)).all())
        member_ids = sorted(names)
        coop_id = coop.id
    rng = random.Random(size)
    # Only the perfect subtrees of the current size are kept (O(log n)): they are the left
    # siblings later appends need, and at the end they make the root.
    store: dict[tuple[int, int], bytes] = {}
    entries: list[dict] = []
    nodes: list[dict] = []
    records: list[dict] = []
    effective = dt.date(2026, 1, 1)
    started = time.perf_counter()
    with engine.begin() as conn:
        for i in range(size):
            if decisions_every and i % decisions_every == decisions_every - 1:
                body = encode(decision_body(i))
                if i < 3:
                    assert body == canonical_bytes(decision_body(i))
                leaf = merkle.leaf_hash(body)
                entries.append({"coop_id": coop_id, "idx": i, "kind": "decision", "body": body,
                                "leaf_hash": leaf, "appended_at": dt.datetime(2026, 1, 1)})
            else:
                mid = member_ids[i % members]
                rate = f"{rng.randint(1800, 4500)}"
                rate = f"{rate[:-2]}.{rate[-2:]}"
                supplements = SUPPLEMENT if i % 4 == 0 else []
                row = SimpleNamespace(member_id=mid, effective_date=effective, hourly_rate=rate,
                                      weekly_hours="37.50", supplements=supplements, currency="EUR",
                                      annualised="45825.00", authority="founding", proposal_id=None)
                payload = {"index": i, "kind": "pay", **ledger.pay_payload(row, names[mid])}  # type: ignore[arg-type]
                body = encode(payload)
                if i < 5:
                    assert body == canonical_bytes(payload)  # the fast encoder writes RFC 8785 here
                leaf = merkle.leaf_hash(body)
                entries.append({"coop_id": coop_id, "idx": i, "kind": "pay", "body": body, "leaf_hash": leaf,
                                "appended_at": dt.datetime(2026, 1, 1)})
                if pay_rows:
                    records.append({"coop_id": coop_id, "member_id": mid, "entry_index": i,
                                    "effective_date": effective, "hourly_rate": Decimal(rate),
                                    "weekly_hours": Decimal("37.50"), "supplements": supplements,
                                    "currency": "EUR", "annualised": Decimal("45825.00"),
                                    "authority": "founding", "proposal_id": None,
                                    "recorded_at": dt.datetime(2026, 1, 1)})
            added = nodestore.nodes_added_by_append(i, leaf, lambda keys: store)
            for level, idx, h in added:
                nodes.append({"coop_id": coop_id, "level": level, "idx": idx, "hash": h})
                store[(level, idx)] = h
            for level, idx, _ in added[1:]:
                del store[(level - 1, 2 * idx)], store[(level - 1, 2 * idx + 1)]
            if len(entries) >= CHUNK:
                _flush(conn, entries, nodes, records)
        _flush(conn, entries, nodes, records)
        root = nodestore.root_from_nodes(size, store)
        conn.execute(update(LedgerHead).where(LedgerHead.coop_id == coop_id).values(size=size, root=root))
    with factory() as s, s.begin():
        checkpoints.sign(s, keys, s.get(Cooperative, coop_id), now=utcnow())
    engine.dispose()
    print(f"\n  built {size:,} entries in {time.perf_counter() - started:.1f} s")
    return coop_id


def _flush(conn, *batches: list[dict]) -> None:  # type: ignore[no-untyped-def]
    # Core inserts (column names, e.g. "idx"): executemany, no ORM bookkeeping.
    for table, rows in zip((LedgerEntry.__table__, LedgerNode.__table__, PayRecord.__table__), batches):
        if rows:
            conn.execute(insert(table), rows)
            rows.clear()


@pytest.fixture(scope="module", autouse=True)
def machine() -> None:
    # The figures depend on the machine and on what else runs on it: say both.
    print(f"\n  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
          f"Python {sys.version.split()[0]}")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> tuple[str, KeyStore]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("bench")
    url = f"sqlite:///{base / 'bench.sqlite3'}"
    upgrade(url)
    return url, KeyStore(base / "keys")


def _coop(*args: str, url: str, keys: KeyStore) -> tuple[float, float, str]:
    """Run the real `coop` command in a fresh process: (wall seconds, its CPU seconds, stdout)."""
    env = {**os.environ, "COOP_DATABASE_URL": url, "COOP_KEY_DIR": str(keys.key_dir)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "coop"), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu, done.stdout


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def test_verify_100k_entries(workdir) -> None:  # type: ignore[no-untyped-def]
    url, keys = workdir
    size = 100_000
    coop_id = build(url, keys, "verify100k", size)
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        coop = s.get(Cooperative, coop_id)
        bodies = [bytes(b) for b in s.scalars(
            select(LedgerEntry.body).where(LedgerEntry.coop_id == coop_id).order_by(LedgerEntry.index))]
        runs = []
        for _ in range(5):  # best of five, hashing and verifying in turn: the machine is shared
            started, cpu = time.perf_counter(), time.process_time()
            for body in bodies:
                hashlib.sha256(b"\x00" + body).digest()
            hashing = (time.perf_counter() - started, time.process_time() - cpu)
            started, cpu = time.perf_counter(), time.process_time()
            result = verification.verify_coop(s, coop, now=utcnow())
            verifying = (time.perf_counter() - started, time.process_time() - cpu)
            assert result.ok, result.problems[:3]
            assert result.entries == size
            runs.append((verifying, hashing, os.getloadavg()[0]))
    engine.dispose()
    wall = min(v[0] for v, _, _ in runs)
    cpu = min(v[1] for v, _, _ in runs)
    hash_wall = min(h[0] for _, h, _ in runs)
    hash_cpu = min(h[1] for _, h, _ in runs)
    loads = f"load average {min(l for *_, l in runs):.1f}-{max(l for *_, l in runs):.1f} during the runs"
    mb = sum(map(len, bodies)) / 1e6
    print(f"  verify (service, best of 5; {loads}): {size:,} entries ({mb:.1f} MB of bodies; "
          f"1/3 decisions, 2/3 pay with their rows): CPU time {cpu:.3f} s = {size / cpu:,.0f} entries/s; "
          f"wall {wall:.3f} s = {size / wall:,.0f} entries/s")
    print(f"  raw hashlib sha256 over the same bytes (the physical floor): CPU {size / hash_cpu:,.0f} "
          f"entries/s ({mb / hash_cpu:.0f} MB/s), wall {size / hash_wall:,.0f} entries/s; verify runs "
          f"at {hash_cpu / cpu:.1%} of raw hashing by CPU time, 1 : {cpu / hash_cpu:.0f} "
          f"({hash_wall / wall:.1%} by wall time)")
    cli_wall, cli_cpu, out = _coop("ledger", "verify", "--coop", "verify100k", url=url, keys=keys)
    assert out.startswith(f"ok: {size} entries")
    print(f"  `coop ledger verify` end to end (new process, imports, all queries; {_load()}): "
          f"CPU {cli_cpu:.2f} s = {size / cli_cpu:,.0f} entries/s, wall {cli_wall:.2f} s")
    print(f"  target >= 100,000 entries/s by CPU time: "
          f"{'met' if size / cpu >= 100_000 else 'NOT met on this run'}")


@pytest.fixture(scope="module")
def million(workdir) -> int:  # type: ignore[no-untyped-def]
    url, keys = workdir
    return build(url, keys, "million", 1_000_000, pay_rows=False)


def test_inclusion_proofs_on_a_million_entries(workdir, million) -> None:  # type: ignore[no-untyped-def]
    url, _ = workdir
    size = 1_000_000
    rng = random.Random(7)
    indexes = [rng.randrange(size) for _ in range(500)]
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        coop = s.get(Cooperative, million)
        root = proofs.root_at(s, coop)
        started, cpu = time.perf_counter(), time.process_time()
        made = [proofs.inclusion(s, coop, i) for i in indexes]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        rows = [len(ledger.fetch_nodes(s, coop.id, [(0, i), *nodestore.inclusion_keys(i, size),
                                                     *nodestore.root_keys(size)])) for i in indexes[:50]]
        body = bytes(s.scalar(select(LedgerEntry.body).where(LedgerEntry.coop_id == coop.id,
                                                            LedgerEntry.index == indexes[0])))
    engine.dispose()
    assert all(p.root == root for p in made)
    assert merkle.verify_inclusion(body, indexes[0], size, made[0].path, root)
    print(f"  inclusion proof on {size:,} entries: {elapsed / len(indexes) * 1000:.2f} ms per proof "
          f"(CPU {cpu / len(indexes) * 1000:.2f} ms; incl. head read), {min(rows)}-{max(rows)} node rows "
          f"read in one query, path length {len(made[0].path)} ({_load()})")


EXPORT_SCRIPT = """
import resource, sys, time
from coop.cli import main
sys.argv = ["coop", *sys.argv[1:]]
started = time.perf_counter()
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, file=sys.stderr)
"""


def _export(url: str, keys: KeyStore, slug: str, out: Path) -> tuple[float, float, int]:
    """`coop ledger export` in a fresh process: (seconds, CPU seconds of the whole process,
    peak RSS in kB of that process)."""
    env = {**os.environ, "COOP_DATABASE_URL": url, "COOP_KEY_DIR": str(keys.key_dir)}
    done = subprocess.run([sys.executable, "-c", EXPORT_SCRIPT, "ledger", "export", "--coop", slug,
                           "--output", str(out)], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    elapsed, cpu, rss_kb = done.stderr.strip().splitlines()[-1].split()
    return float(elapsed), float(cpu), int(rss_kb)


def test_export_of_a_million_entries_runs_in_flat_memory(workdir, million, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, keys = workdir
    build(url, keys, "small", 10_000, pay_rows=False)
    _, _, rss_small = _export(url, keys, "small", tmp_path / "small.json")
    elapsed, cpu, rss = _export(url, keys, "million", tmp_path / "million.json")
    size_mb = (tmp_path / "million.json").stat().st_size / 1e6
    n = 1_000_000
    print(f"  `coop ledger export` of {n:,} entries ({size_mb:.0f} MB of JSON) in {elapsed:.1f} s "
          f"= {n / elapsed:,.0f} entries/s (process CPU time {cpu:.1f} s; {_load()})")
    print(f"  peak RSS {rss / 1024:.1f} MB, vs {rss_small / 1024:.1f} MB exporting 10,000 entries")
    assert rss < rss_small + 50 * 1024  # flat: a hundred times the entries, not a hundred times the memory
    started, cpu = time.perf_counter(), time.process_time()
    result = export_file.verify_file(tmp_path / "million.json")[0]
    offline, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.ok and result.entries == n
    print(f"  offline verification of that export: {offline:.1f} s = {n / offline:,.0f} entries/s "
          f"(CPU {cpu:.1f} s = {n / cpu:,.0f} entries/s; {_load()})")
