"""Appends are serialised per co-op: several processes appending at once never fork the chain."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from coop.db import make_engine, make_session_factory
from coop.ledger import merkle
from coop.ledger.keys import KeyStore
from coop.models import Cooperative, LedgerEntry, LedgerHead
from coop.services import checkpoints, ledger, verification
from tests.clock import NOW
from tests.factories import make_coop
from tests.querycount import count_queries

PROCESSES = 4
APPENDS_EACH = 15


def _append_many(url: str, coop_id: int, worker: int, barrier) -> None:  # type: ignore[no-untyped-def]
    """One process, its own engine; every append its own committed transaction."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    barrier.wait()
    for n in range(APPENDS_EACH):
        with factory() as s, s.begin():
            ledger.append(s, coop_id, "decision", {"worker": worker, "n": n}, now=NOW)
    engine.dispose()


def test_processes_appending_at_once_leave_one_gapless_chain_that_verifies(committed_url, tmp_path):
    keys = KeyStore(tmp_path / "keys")
    engine = make_engine(committed_url)
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        coop_id = make_coop(s, keys, slug="busy").id

    ctx = multiprocessing.get_context("spawn")  # no inherited connections
    barrier = ctx.Barrier(PROCESSES)
    procs = [ctx.Process(target=_append_many, args=(committed_url, coop_id, w, barrier))
             for w in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    assert [p.exitcode for p in procs] == [0] * PROCESSES

    total = PROCESSES * APPENDS_EACH
    with factory() as s, s.begin():
        coop = s.get(Cooperative, coop_id)
        entries = s.execute(select(LedgerEntry.index, LedgerEntry.body).where(LedgerEntry.coop_id == coop_id)
                            .order_by(LedgerEntry.index)).all()
        head = s.get(LedgerHead, coop_id)
        assert [i for i, _ in entries] == list(range(total))
        bodies = [bytes(b) for _, b in entries]
        assert head.size == total and bytes(head.root) == merkle.root(bodies)
        # Every worker's appends are all there, each exactly once.
        assert sorted(b for b in bodies) == sorted(set(bodies))
        checkpoints.sign(s, keys, coop, now=NOW)
        result = verification.verify_coop(s, coop, now=NOW)
        assert result.ok, result.problems
    engine.dispose()


def test_lock_head_takes_a_row_lock_on_postgresql(db, keys, backend):
    coop = make_coop(db, keys)
    with count_queries(db) as q:
        ledger.lock_head(db, coop.id)
    locking = q.matching("FROM ledger_heads")
    if backend == "postgresql":
        assert "FOR UPDATE" in locking[0].upper()
    else:
        assert locking  # SQLite has no row locks: BEGIN IMMEDIATE already holds the write lock


@pytest.mark.postgres
def test_a_second_writer_waits_for_the_head_lock_on_postgresql(committed_url, tmp_path):
    if not committed_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole transactions")
    keys = KeyStore(tmp_path / "keys")
    engine = make_engine(committed_url)
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        coop_id = make_coop(s, keys, slug="locked").id
    holder, waiter = factory(), factory()
    try:
        holder.begin()
        ledger.lock_head(holder, coop_id)
        waiter.begin()
        waiter.execute(text("SET LOCAL lock_timeout = '100ms'"))
        with pytest.raises(OperationalError, match="lock timeout"):
            ledger.append(waiter, coop_id, "decision", {"blocked": True}, now=NOW)
    finally:
        waiter.rollback()
        holder.rollback()
        waiter.close()
        holder.close()
        engine.dispose()
