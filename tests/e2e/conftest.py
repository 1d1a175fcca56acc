"""End-to-end fixtures: the real portal served over HTTP, driven by a real browser.

* ``live_server`` (session; once per backend): a fresh, migrated database — a SQLite file in
  tmp, and a throwaway PostgreSQL database when ``COOP_TEST_POSTGRES_URL`` is set — with
  ``webui.create_app`` served by waitress on a free port in a background thread. Plain HTTP,
  so secure cookies are off. Its data really commits: every test builds its own co-op
  (``make_coop``) and never sees another test's.
* ``browser`` (session): Debian's chromium, headless, through Playwright. Every test using it
  is skipped, with the reason, when ``/usr/bin/chromium`` is missing.
* ``page`` (a fresh browser context and page) and ``visitor()`` (more of them, e.g. one per
  voter), with ``login(page, coop, who)`` through the login form and ``signed_in(visitor,
  live_server, coop, [who, …])`` for many members at once; ``shot(page, name)`` saves a
  screenshot to ``build/screenshots/`` for review.
* ``live_server.elapse_notice(id)`` / ``elapse_voting(id)``: the served app reads the real
  clock, so "the notice period has passed" is made true by moving that one deadline back.
* ``live_server.coop_cli(...)``: runs the ``coop`` command against the same database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from coop.clock import utcnow
from coop.config import Settings
from coop.db import make_engine, make_session_factory
from coop.ledger.keys import KeyStore
from coop.migrate import upgrade
from coop.models import Cooperative, Member, Proposal
from coop.pay import Pay
from coop.services import accounts, coops, ledger, members, pay
from coop.services.actor import Actor
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.pgdb import throwaway_database

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
COOP_BIN = Path(sys.executable).with_name("coop")
PASSWORD = "e2e-password-1"
OPERATOR = Actor.operator()

#: Playwright's default is 30 s; a page of this portal answers in well under a second, so a
#: wait that long only hides a hang.
TIMEOUT_MS = 10_000


# -- the server -------------------------------------------------------------------------------

@dataclass
class LiveServer:
    url: str
    database_url: str
    key_dir: Path
    instance_dir: Path
    backend: str
    sessions: Any = field(repr=False)
    app: Any = field(repr=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short transaction of the test's own, committed at the end. Keep it short: on
        SQLite every transaction takes the write lock, so the server waits while it is open."""
        s: Session = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def elapse_notice(self, proposal_id: int) -> None:
        """The notice period has passed: its end moves to just before now."""
        with self.session() as s:
            s.execute(update(Proposal).where(Proposal.id == proposal_id)
                      .values(deliberation_ends_at=utcnow() - dt.timedelta(seconds=1)))

    def elapse_voting(self, proposal_id: int) -> None:
        """The voting period has ended (the proposal is overdue, not yet closed)."""
        with self.session() as s:
            s.execute(update(Proposal).where(Proposal.id == proposal_id)
                      .values(voting_closes_at=utcnow() - dt.timedelta(seconds=1)))

    def session_cookie(self, member_id: int) -> str:
        """The signed session cookie of ``member_id`` logged in, as the login form sets it."""
        from flask import session
        from flask_login import login_user

        from webui.portal.auth import PortalUser

        with self.session() as s:
            member = s.get(Member, member_id)
            assert member is not None
            s.expunge(member)
        with self.app.test_request_context():
            login_user(PortalUser(member))
            return str(self.app.session_interface.get_signing_serializer(self.app).dumps(dict(session)))

    def qualify(self, coop: "E2ECoop", who: str, field: str, level: int, issuer: str = "Chamber of Commerce") -> None:
        """Give ``who`` a qualification, verified by the operator (so they can give expert opinions)."""
        with self.session() as s:
            row = s.get(Cooperative, coop.id)
            member = s.get(Member, coop[who].id)
            assert row is not None and member is not None
            q = members.add_qualification(s, OPERATOR, row, member, field, level, issuer, dt.date(2015, 6, 30),
                                          now=utcnow())
            members.verify_qualification(s, OPERATOR, row, q, now=utcnow())

    def cli_env(self) -> dict[str, str]:
        return {**os.environ, "COOP_DATABASE_URL": self.database_url, "COOP_KEY_DIR": str(self.key_dir),
                "COOP_INSTANCE_DIR": str(self.instance_dir), "COOP_SECRET_KEY": "e2e-secret"}

    def coop_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``coop ARGS…`` in a separate process, on the same database and keys."""
        return subprocess.run([str(COOP_BIN), *args], env=self.cli_env(), capture_output=True,
                              text=True, timeout=120, cwd=ROOT)


def _serve(app: Any) -> tuple[Any, threading.Thread]:
    from waitress.server import create_server

    # Eight threads: a test drives several browser contexts at once (one per voter).
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, name="e2e-waitress", daemon=True)
    thread.start()
    return server, thread


def _stop(server: Any, thread: threading.Thread) -> None:
    """Waitress has no public stop; this is what WebTest's StopableWSGIServer does."""
    logging.getLogger("waitress").setLevel(logging.CRITICAL)
    while server._map:
        for channel in list(server._map.values()):
            channel.handle_close()
    server.task_dispatcher.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from webui import create_app

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install chromium)")
    base = tmp_path_factory.mktemp(f"e2e-{request.param}")
    with _database(request.param, base) as url:
        upgrade(url)
        settings = Settings(database_url=url, secret_key="e2e-secret", key_dir=base / "keys",
                            instance_dir=base / "instance", secure_cookies=False)
        engine = make_engine(url)
        app = create_app(settings, engine=engine)
        server, thread = _serve(app)
        try:
            yield LiveServer(url=f"http://127.0.0.1:{server.effective_port}", database_url=url,
                             key_dir=settings.key_dir, instance_dir=settings.instance_dir,
                             backend=request.param, sessions=make_session_factory(engine), app=app)
        finally:
            _stop(server, thread)
            engine.dispose()


@contextmanager
def _database(backend: str, base: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{base / 'coop.sqlite3'}"
        return
    with throwaway_database(POSTGRES_URL, "coop_e2e") as url:
        yield url


# -- co-ops and members ----------------------------------------------------------------------

@cache
def password_hash() -> str:
    """argon2 is slow on purpose; every e2e member shares one hash of the test password."""
    return accounts.hash_password(PASSWORD)


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class E2ECoop:
    id: int
    slug: str
    people: dict[str, Person]

    def __getitem__(self, key: str) -> Person:
        return self.people[key]

    def path(self, rest: str = "") -> str:
        return f"/c/{self.slug}/{rest.lstrip('/')}"


_slugs = itertools.count(1)


@pytest.fixture
def make_coop(live_server: LiveServer) -> Callable[..., E2ECoop]:
    """``make_coop({"lena": "24.00", "ben": None, …}, roles={"ada": "secretary"})``: a new
    co-op of active members who can log in with ``PASSWORD`` (emails ``<key>@<slug>.example``,
    names the capitalised keys), each with founding pay at the hourly rate given (None: no
    pay), 37.50 hours a week. Committed, so the server sees it."""

    def build(people: dict[str, str | None], roles: dict[str, str] | None = None,
              name: str = "Orchard Tools Co-operative") -> E2ECoop:
        roles = roles or {}
        slug = f"e2e-{next(_slugs)}-{uuid.uuid4().hex[:6]}"
        with live_server.session() as s:
            coop: Cooperative = coops.create_coop(s, OPERATOR, KeyStore(live_server.key_dir), slug, name, now=utcnow())
            made: dict[str, Member] = {}
            for key in people:
                m = members.add_member(s, OPERATOR, coop, key.capitalize(), f"{key}@{slug}.example",
                                       role=roles.get(key, "member"), status="active",
                                       active_since=utcnow() - dt.timedelta(days=400), now=utcnow())
                m.password_hash = password_hash()
                made[key] = m
            weeks = pay.policy(s, coop.id).weeks_per_year
            for key, rate in people.items():
                if rate is not None:
                    m = made[key]
                    ledger.append_pay_record(s, coop, m.id, m.name, Pay(Decimal(rate), Decimal("37.50")),
                                             weeks, authority="founding", effective_date=utcnow().date(), now=utcnow())
            s.flush()
            result = E2ECoop(coop.id, slug, {k: Person(m.id, m.name, m.email, m.role) for k, m in made.items()})
        return result

    return build


# -- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def visitor(browser: Any, live_server: LiveServer) -> Iterator[Callable[[], Any]]:
    """``visitor()`` opens another browser context (its own cookies) and returns its page."""
    contexts: list[Any] = []

    def open_page() -> Any:
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for c in contexts:
        c.close()


@pytest.fixture
def page(visitor: Callable[[], Any]) -> Any:
    return visitor()


def login(page: Any, coop: E2ECoop, who: str, password: str = PASSWORD) -> Any:
    """Log ``who`` (a key of ``coop.people``) in through the login form; lands on the dashboard."""
    page.goto(coop.path("login"))
    page.get_by_label("Email address").fill(coop[who].email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{coop.path('dashboard')}")
    return page


def signed_in(visitor: Callable[[], Any], server: LiveServer, coop: E2ECoop, who: list[str]) -> dict[str, Any]:
    """Pages for several members, each in a browser context of its own holding the session
    cookie the login form would have set (made with Flask-Login's ``login_user`` in the served
    app). The form itself is covered by ``login``; doing it for every voter would spend most
    of a test checking argon2 hashes, which are slow on purpose."""
    pages = {}
    for name in who:
        page = visitor()
        page.context.add_cookies([{"name": server.app.config["SESSION_COOKIE_NAME"],
                                   "value": server.session_cookie(coop[name].id), "url": server.url}])
        pages[name] = page
    return pages


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot in build/screenshots/ (gitignored), for people to review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def main_text(page: Any) -> str:
    """What a reader sees in the page's main region, whitespace collapsed."""
    return " ".join(page.locator("main").inner_text().split())


def proposal_id_of(page: Any) -> int:
    """The id in a proposal page's URL (…/proposals/<id>)."""
    return int(page.url.split("/proposals/")[1].split("?")[0].split("#")[0].split("/")[0])


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    """Screenshots are of this run only."""
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
