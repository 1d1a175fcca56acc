"""Portal benchmark: median server time of the salary page, the dashboard and a member's pay
history for a co-op of 2,000 members and 20,000 ledger entries, beside the floor of rendering
the same rows with a bare template (plain Jinja over the rows one hand-written SQL query
fetches).

Not collected by default. Run (add COOP_TEST_POSTGRES_URL=… for PostgreSQL as well):

    .venv/bin/pytest tests/benchmarks/test_portal_bench.py -s -p no:cacheprovider

"Server time" is the whole request inside the WSGI app (routing, session, queries, the
real template), measured through Flask's test client: no network and no browser, so the
figures are what one app process spends per page. Results: docs/portal-performance.md.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from coop.clock import utcnow
from coop.config import Settings
from coop.db import make_engine, make_session_factory
from coop.ledger.keys import KeyStore
from coop.migrate import upgrade
from coop.services import accounts, proposals
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.factories import as_member, general_vote
from tests.pgdb import throwaway_database
from tests.portal import bulk

pytestmark = pytest.mark.benchmark

MEMBERS = 2_000
ENTRIES = 20_000
ROUNDS = 25
WARMUP = 3
PASSWORD = "bench-password-1"


# -- the co-op ------------------------------------------------------------------------------

class Big:
    def __init__(self, engine: Engine, app: Any, slug: str, coop_id: int, member_id: int, email: str,
                 backend: str, entries: int):
        self.engine, self.app, self.slug, self.coop_id = engine, app, slug, coop_id
        self.member_id, self.email, self.backend, self.entries = member_id, email, backend, entries


def _database(backend: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    assert POSTGRES_URL
    database = throwaway_database(POSTGRES_URL, "coop_bench")
    return database.__enter__(), lambda: database.__exit__(None, None, None)


@pytest.fixture(scope="module", params=BACKENDS)
def big(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Big]:
    from webui import create_app

    tmp = tmp_path_factory.mktemp(f"bench-{request.param}")
    url, drop = _database(request.param, tmp)
    try:
        upgrade(url)
        engine = make_engine(url)
        keys = KeyStore(tmp / "keys")
        started = time.perf_counter()
        with make_session_factory(engine)() as s:
            built = bulk.build(s, keys, MEMBERS, ENTRIES, slug="big")
            coop, me = built.coop, built.members[7]
            # A dashboard with something on it: open votes (one already voted in), a
            # deliberation and a draft of my own, each vote with a 2,000-member electorate.
            author = built.members[0]
            opened = [general_vote(s, coop, author, f"Open motion {n}") for n in range(5)]
            proposals.cast_ballot(s, as_member(me), coop, opened[0].id, "yes", now=utcnow())
            p = proposals.draft_general(s, as_member(author), coop, "Under discussion", "", now=utcnow())
            proposals.open_deliberation(s, as_member(author), coop, p.id, now=utcnow())
            proposals.draft_general(s, as_member(me), coop, "My draft", "", now=utcnow())
            me.password_hash = accounts.hash_password(PASSWORD)
            ids = (coop.id, me.id, me.email)
            s.commit()
        print(f"\n[{request.param}] built {MEMBERS:,} members, {built.entries:,} ledger entries, "
              f"{built.proposals:,} closed proposals in {time.perf_counter() - started:.1f} s")
        settings = Settings(database_url=url, secret_key="bench", key_dir=keys.key_dir,
                            instance_dir=tmp / "instance", secure_cookies=False)
        app = create_app(settings, engine=engine, WTF_CSRF_ENABLED=False)
        yield Big(engine, app, "big", *ids, backend=request.param, entries=built.entries)
        engine.dispose()
    finally:
        drop()


# -- measuring ------------------------------------------------------------------------------

class Queries:
    """Statements sent to the database while a block runs."""

    def __init__(self, engine: Engine):
        self.engine, self.count = engine, 0

    def _before(self, *args: Any) -> None:
        self.count += 1

    def __enter__(self) -> "Queries":
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


def median_ms(fn: Callable[[], Any]) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``fn``. The CPU time is this process's only
    (not the PostgreSQL server's), and is what to compare when other jobs load the machine:
    they stretch the wall clock, not the CPU a request spends."""
    for _ in range(WARMUP):
        fn()
    wall, cpu = [], []
    for _ in range(ROUNDS):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def get_page(client: Any, url: str) -> Callable[[], bytes]:
    def fetch() -> bytes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.data
    return fetch


# -- the floors: one hand-written query, a bare template ------------------------------------

SALARY_SQL = """
SELECT m.id, m.name, r.hourly_rate, r.supplements, r.weekly_hours, r.annualised,
       r.effective_date, r.authority, r.proposal_id, r.entry_index, p.title
FROM pay_records r
JOIN (SELECT member_id, max(entry_index) AS entry_index FROM pay_records
      WHERE coop_id = :coop GROUP BY member_id) latest
  ON latest.member_id = r.member_id AND latest.entry_index = r.entry_index
JOIN members m ON m.id = r.member_id
LEFT JOIN proposals p ON p.id = r.proposal_id
WHERE r.coop_id = :coop
ORDER BY m.name, m.id
"""

SALARY_BARE = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<title>Pay</title><table><thead><tr><th>Member</th><th>Hourly rate</th><th>Supplements</th>
<th>Hours a week</th><th>A year</th><th>Since</th><th>Decided by</th></tr></thead><tbody>
{% for r in rows %}<tr><th><a href="/c/{{ slug }}/pay/members/{{ r.id }}">{{ r.name }}</a></th>
<td>{{ r.hourly_rate }}</td><td>{{ r.supplements }}</td><td>{{ r.weekly_hours }}</td><td>{{ r.annualised }}</td>
<td>{{ r.effective_date }}</td><td>{% if r.proposal_id %}<a href="/c/{{ slug }}/proposals/{{ r.proposal_id }}">#{{ r.proposal_id }} {{ r.title }}</a>{% else %}{{ r.authority }}{% endif %}
<br>ledger entry {{ r.entry_index }}</td></tr>{% endfor %}</tbody></table>""")

# The dashboard's sections in one query: open votes in my electorate (with my ballot),
# deliberations, my drafts, the ten latest decisions, and my pay in force.
DASHBOARD_SQL = """
SELECT 'vote' AS section, p.id, p.title, p.voting_closes_at AS at, b.choice AS note
FROM proposals p
JOIN electorate_members e ON e.proposal_id = p.id AND e.member_id = :me
LEFT JOIN ballots b ON b.proposal_id = p.id AND b.member_id = :me
WHERE p.coop_id = :coop AND p.status = 'voting'
UNION ALL
SELECT 'deliberation', p.id, p.title, p.deliberation_ends_at, NULL FROM proposals p
WHERE p.coop_id = :coop AND p.status = 'deliberation'
UNION ALL
SELECT 'draft', p.id, p.title, p.created_at, NULL FROM proposals p
WHERE p.coop_id = :coop AND p.status = 'draft' AND p.author_id = :me
UNION ALL
SELECT * FROM (SELECT 'decision', p.id, p.title, p.closed_at, p.outcome FROM proposals p
  WHERE p.coop_id = :coop AND p.status = 'closed' ORDER BY p.closed_at DESC, p.id DESC LIMIT 10) d
UNION ALL
SELECT * FROM (SELECT 'pay', r.entry_index, r.hourly_rate, r.effective_date, r.weekly_hours FROM pay_records r
  WHERE r.coop_id = :coop AND r.member_id = :me ORDER BY r.entry_index DESC LIMIT 1) mine
"""

DASHBOARD_BARE = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<title>Dashboard</title>{% for section, items in rows|groupby('section') %}<h2>{{ section }}</h2><ul>
{% for r in items %}<li><a href="/c/{{ slug }}/proposals/{{ r.id }}">#{{ r.id }} {{ r.title }}</a> {{ r.at }} {{ r.note or '' }}</li>
{% endfor %}</ul>{% endfor %}""")


# One member's pay records, latest first, each with the vote behind it.
PAY_HISTORY_SQL = """
SELECT r.effective_date, r.hourly_rate, r.supplements, r.weekly_hours, r.annualised, r.authority,
       r.entry_index, p.id, p.title, p.yes_count, p.no_count, p.abstain_count, p.outcome
FROM pay_records r LEFT JOIN proposals p ON p.id = r.proposal_id
WHERE r.coop_id = :coop AND r.member_id = :me
ORDER BY r.entry_index DESC
"""

PAY_HISTORY_BARE = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<title>Pay history</title><table>{% for r in rows %}<tr><td>{{ r.effective_date }}</td><td>{{ r.hourly_rate }}</td>
<td>{{ r.supplements }}</td><td>{{ r.weekly_hours }}</td><td>{{ r.annualised }}</td><td>{% if r.id %}<a href="/c/{{ slug }}/proposals/{{ r.id }}">#{{ r.id }} {{ r.title }}</a>
{{ r.yes_count }} {{ r.no_count }} {{ r.abstain_count }} {{ r.outcome }}{% else %}{{ r.authority }}{% endif %}</td>
<td>{{ r.entry_index }}</td></tr>{% endfor %}</table>""")


def bare(engine: Engine, sql: str, template: jinja2.Template, **params: Any) -> Callable[[], str]:
    def render() -> str:
        with engine.connect() as conn:
            rows = conn.execute(text(sql), params).mappings().all()
        return template.render(rows=rows, slug="big")
    return render


# -- the benchmark --------------------------------------------------------------------------

def test_salary_page_and_dashboard_against_a_bare_template(big: Big) -> None:
    client = big.app.test_client()
    login = client.post(f"/c/{big.slug}/login", data={"email": big.email, "password": PASSWORD})
    assert login.status_code == 302, login.data[:500]

    pages = {"salary page": f"/c/{big.slug}/pay", "dashboard": f"/c/{big.slug}/dashboard",
             "pay history": f"/c/{big.slug}/pay/members/{big.member_id}"}
    floors = {
        "salary page": bare(big.engine, SALARY_SQL, SALARY_BARE, coop=big.coop_id),
        "dashboard": bare(big.engine, DASHBOARD_SQL, DASHBOARD_BARE, coop=big.coop_id, me=big.member_id),
        "pay history": bare(big.engine, PAY_HISTORY_SQL, PAY_HISTORY_BARE, coop=big.coop_id, me=big.member_id),
    }
    # The floor renders the same rows: as many as the real page shows.
    assert get_page(client, pages["salary page"])().count(b"<tr>") >= MEMBERS
    assert floors["salary page"]().count("<tr>") == MEMBERS + 1  # and the heading row

    print(f"\n[{big.backend}] {MEMBERS:,} members, {big.entries:,} ledger entries; "
          f"median of {ROUNDS} after {WARMUP} warm-up requests")
    print(f"{'page':<13}{'server ms':>11}{'cpu ms':>8}{'queries':>9}{'bare ms':>10}{'cpu ms':>8}"
          f"{'ratio':>8}{'KiB':>8}")
    for name, url in pages.items():
        fetch = get_page(client, url)
        with Queries(big.engine) as q:
            body = fetch()
        served, served_cpu = median_ms(fetch)
        floor, floor_cpu = median_ms(floors[name])
        print(f"{name:<13}{served:>11.1f}{served_cpu:>8.1f}{q.count:>9}{floor:>10.1f}{floor_cpu:>8.1f}"
              f"{served / floor:>7.1f}x{len(body) / 1024:>8.0f}")
