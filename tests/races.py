"""Running jobs at the same moment in threads, each with its own connection and transaction,
for races the database must resolve (row locks, constraints)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from coop.db import make_engine, make_session_factory


def race(url: str, jobs: list[Callable[[Session], object]]) -> list[BaseException | None]:
    """Run each job in its own thread and session, all released at once; each commits if it
    returns. Returns what each job raised, or None."""
    engine = make_engine(url, pool_size=len(jobs) + 2)
    factory = make_session_factory(engine)
    barrier = threading.Barrier(len(jobs))
    results: list[BaseException | None] = [None] * len(jobs)

    def run(i: int, job: Callable[[Session], object]) -> None:
        barrier.wait()
        try:
            with factory() as s, s.begin():
                job(s)
        except BaseException as exc:  # noqa: BLE001 — recorded for the assertion
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    engine.dispose()
    return results
