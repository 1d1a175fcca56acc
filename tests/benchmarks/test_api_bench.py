"""API throughput under concurrent load on loopback, beside a floor.

Not collected by default. Run:

    .venv/bin/pytest tests/benchmarks/test_api_bench.py -s -p no:cacheprovider

On SQLite, and again on PostgreSQL when ``COOP_TEST_POSTGRES_URL`` is set (a fresh database
is created on that server for the run, and dropped after). Two servers, each its own
process, both waitress with the same settings (`coop serve`'s defaults: 8 threads): the
real app (`coop serve`, the whole stack: token check, services, ORM, marshmallow, the
per-request commit) and the floor (``api_floor.py``: bare Flask routes
with hand-written SQL producing the same JSON). A load generator in a third process keeps
``CONNECTIONS`` keep-alive connections busy for ``SECONDS`` and counts 2xx answers; app and
floor are measured in ``ROUNDS`` alternating rounds and the best of each is kept.

Measured: ``GET /pay`` on a 100-row pay table, and ``PUT …/ballot`` (voters changing their
ballots on an open proposal, alternating yes/no). The figure is requests per second and the
ratio app/floor (aim: ≥ 0.5). The floor is held to the same answers (compared before the
runs) and every acknowledged ballot is checked to be a committed history row. Set
``COOP_BENCH_SECONDS`` / ``COOP_BENCH_CONNECTIONS`` / ``COOP_BENCH_ROUNDS`` to vary.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from coop.clock import utcnow
from coop.db import make_engine
from coop.models import Member
from coop.services import coops, tokens
from coop.services.actor import Actor
from tests.api.live import coop_env, free_port, run_coop, seed_demo, serve
from tests.factories import general_vote
from tests.pgdb import throwaway_database

pytestmark = pytest.mark.benchmark

HERE = Path(__file__).resolve().parent
SECONDS = float(os.environ.get("COOP_BENCH_SECONDS", "4"))
#: Rounds of (app, floor), alternating which goes first; the best of each is reported, so a
#: burst of other work on the machine during one round does not decide the ratio.
ROUNDS = int(os.environ.get("COOP_BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("COOP_BENCH_CONNECTIONS", "8"))
THREADS = 8
PAID = 100
POSTGRES_URL = os.environ.get("COOP_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _worker(port: int, method: str, path: str, headers: dict[str, str], bodies: list[bytes],
            stop_at: float, counts: list[int], errors: list[int], slot: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while time.monotonic() < stop_at:
        body = bodies[i % len(bodies)] if bodies else None
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if 200 <= response.status < 300:
            counts[slot] += 1
        else:
            errors[slot] += 1
        i += 1
    conn.close()


def _load(port: int, jobs: list[tuple[str, str, dict[str, str], list[bytes]]], seconds: float,
          out: Any) -> None:
    """One process: a thread per connection, each with its own request; puts (ok, errors)."""
    stop_at = time.monotonic() + seconds
    counts, errors = [0] * len(jobs), [0] * len(jobs)
    threads = [threading.Thread(target=_worker, args=(port, m, p, h, b, stop_at, counts, errors, i))
               for i, (m, p, h, b) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((sum(counts), sum(errors)))


SENT_OK: list[int] = []  # every 2xx answer, warm-ups included, to check against the database


def throughput(port: int, jobs: list[tuple[str, str, dict[str, str], list[bytes]]]) -> tuple[float, int]:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    _run = ctx.Process(target=_load, args=(port, jobs, 1.0, out))  # warm up
    _run.start()
    SENT_OK.append(out.get()[0])
    _run.join()
    run = ctx.Process(target=_load, args=(port, jobs, SECONDS, out))
    run.start()
    ok, errors = out.get()
    run.join()
    SENT_OK.append(ok)
    return ok / SECONDS, errors


def best_of(app: Any, floor: Any) -> tuple[tuple[float, int], tuple[float, int]]:
    """(best req/s, total errors) of the app and of the floor over ROUNDS alternating rounds."""
    runs: dict[str, list[tuple[float, int]]] = {"app": [], "floor": []}
    for i in range(ROUNDS):
        order = [("app", app), ("floor", floor)] if i % 2 == 0 else [("floor", floor), ("app", app)]
        for name, measure in order:
            runs[name].append(measure())
    return tuple((max(r for r, _ in runs[k]), sum(e for _, e in runs[k])) for k in ("app", "floor"))  # type: ignore[return-value]


def _get(port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET",
         body: bytes | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, json.loads(data)


@pytest.fixture(scope="module", params=BACKENDS)
def setup(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("api-bench")
    with ExitStack() as stack:
        if request.param == "sqlite":
            env = seed_demo(workdir, COOP_API_TOKEN_LIMIT="100000000", COOP_API_ANONYMOUS_LIMIT="100000000")
        else:
            env = coop_env(workdir, COOP_API_TOKEN_LIMIT="100000000", COOP_API_ANONYMOUS_LIMIT="100000000")
            env["COOP_DATABASE_URL"] = stack.enter_context(throwaway_database(POSTGRES_URL, "coop_bench"))
            run_coop(env, "db", "upgrade")
            run_coop(env, "seed-demo")
        yield _grow(env, request.param)


def _grow(env: dict[str, str], backend: str) -> dict[str, Any]:
    workdir = Path(env["COOP_INSTANCE_DIR"])
    # The demo pays 12 members; 88 more make a 100-row pay table.
    extra = PAID - 12
    (workdir / "m.csv").write_text("name,email\n" + "".join(
        f"Bench Member {i:03d},bench{i}@riverside.example\n" for i in range(extra)))
    (workdir / "p.csv").write_text("email,hourly_rate,weekly_hours\n" + "".join(
        f"bench{i}@riverside.example,{20 + i % 10}.{i % 4 * 25:02d},37.50\n" for i in range(extra)))
    run_coop(env, "members", "import", "--coop", "demo", str(workdir / "m.csv"))
    run_coop(env, "pay", "import", "--coop", "demo", str(workdir / "p.csv"))
    engine = make_engine(env["COOP_DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as s, s.begin():
        coop = coops.get_by_slug(s, "demo")
        voters = s.query(Member).filter(Member.coop_id == coop.id, Member.email.like("bench%")).order_by(Member.id)
        voters = voters.limit(CONNECTIONS).all()
        ada = s.query(Member).filter(Member.email == "ada@riverside.example").one()
        # Voting opens now: the electorate (every active member, ~100) is fixed; the voters
        # below are a few of them, so the proposal never closes early during the run.
        p = general_vote(s, coop, ada, "Benchmark motion")
        secrets = [tokens.create_token(s, Actor.operator(), coop, v, ["read", "vote"], now=utcnow())[1] for v in voters]
        proposal_id = p.id
    engine.dispose()
    return {"env": env, "proposal_id": proposal_id, "secrets": secrets, "backend": backend}


def test_api_throughput_against_the_floor(setup: dict[str, Any]) -> None:
    env, pid, secrets = setup["env"], setup["proposal_id"], setup["secrets"]
    SENT_OK.clear()
    load_before = os.getloadavg()[0]  # the machine's other work, before this run adds its own
    floor_port = free_port()
    floor = subprocess.Popen([sys.executable, str(HERE / "api_floor.py"), env["COOP_DATABASE_URL"],
                              str(floor_port), str(THREADS)], env={**env, "PYTHONPATH": str(HERE.parents[1])})
    try:
        with serve(env, threads=THREADS) as live:
            app_port = int(live.base_url.rsplit(":", 1)[1])
            for _ in range(100):
                try:
                    _get(floor_port, "/floor/coops/demo/pay")
                    break
                except OSError:
                    time.sleep(0.1)
            # Same responses: the floor is a floor for this exact answer.
            s1, app_pay = _get(app_port, "/api/v1/coops/demo/pay")
            s2, floor_pay = _get(floor_port, "/floor/coops/demo/pay")
            assert s1 == s2 == 200 and app_pay == floor_pay and app_pay["count"] == PAID
            body = json.dumps({"choice": "yes"}).encode()
            auth = {"Authorization": f"Bearer {secrets[0]}", "Content-Type": "application/json"}
            s1, app_ballot = _get(app_port, f"/api/v1/coops/demo/proposals/{pid}/ballot", auth, "PUT", body)
            s2, floor_ballot = _get(floor_port, f"/floor/coops/demo/proposals/{pid}/ballot", auth, "PUT", body)
            assert s1 == s2 == 200, (app_ballot, floor_ballot)
            assert set(app_ballot) == set(floor_ballot)
            assert floor_ballot["changes"] == app_ballot["changes"] + 1
            assert {k: app_ballot[k] for k in ("proposal_id", "member_id", "choice", "approvals")} == \
                   {k: floor_ballot[k] for k in ("proposal_id", "member_id", "choice", "approvals")}

            pay_jobs = [("GET", "/api/v1/coops/demo/pay", {}, [])] * CONNECTIONS
            floor_pay_jobs = [("GET", "/floor/coops/demo/pay", {}, [])] * CONNECTIONS
            votes = [json.dumps({"choice": c}).encode() for c in ("yes", "no")]

            def ballots(prefix: str) -> list[tuple[str, str, dict[str, str], list[bytes]]]:
                return [("PUT", f"{prefix}/coops/demo/proposals/{pid}/ballot",
                         {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}, votes)
                        for secret in secrets]

            figures = {}
            figures["GET pay (100 rows)"] = best_of(lambda: throughput(app_port, pay_jobs),
                                                    lambda: throughput(floor_port, floor_pay_jobs))
            SENT_OK.clear()
            figures["PUT ballot"] = best_of(lambda: throughput(app_port, ballots("/api/v1")),
                                            lambda: throughput(floor_port, ballots("/floor")))
            # Every acknowledged ballot (app and floor alike) is a committed history row.
            engine = make_engine(env["COOP_DATABASE_URL"])
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT count(*) FROM ballot_history WHERE proposal_id = :pid"),
                                    {"pid": pid}).scalar()
            engine.dispose()
            assert rows == 2 + sum(SENT_OK), (rows, SENT_OK)
    finally:
        floor.terminate()
        floor.wait(10)

    print(f"\n{CONNECTIONS} keep-alive connections, best of {ROUNDS} rounds of {SECONDS:.0f} s, "
          f"waitress {THREADS} threads, {setup['backend']}, {os.cpu_count()} CPUs, "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} at the end")
    print(f"{'request':22} {'app req/s':>10} {'floor req/s':>12} {'ratio':>6} {'errors':>7}")
    for name, ((app_rps, app_err), (floor_rps, floor_err)) in figures.items():
        print(f"{name:22} {app_rps:10.0f} {floor_rps:12.0f} {app_rps / floor_rps:6.2f} {app_err + floor_err:7d}")
        assert app_err == 0 and floor_err == 0
        assert app_rps > 0 and floor_rps > 0
