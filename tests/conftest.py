"""Test infrastructure.

The schema is made by the migrations, once per run and per database; each test then runs
inside a transaction that is rolled back (SQLAlchemy's "joining a Session into an external
transaction" recipe, with the SQLite begin/savepoint hooks from coop.db). Every DB-backed
test runs on SQLite, and again on PostgreSQL when COOP_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from coop.db import make_engine
from coop.ledger.keys import KeyStore
from coop.migrate import upgrade
from tests.clock import Clock
from tests.pgdb import throwaway_database

POSTGRES_URL = os.environ.get("COOP_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of each backend, made once per test run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'coop.sqlite3'}"
    else:
        assert POSTGRES_URL
        url = POSTGRES_URL
        reset_postgres(url)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end of the test. Services may use
    savepoints (``begin_nested``); the outer transaction is never committed."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The test's clock, at ``tests.clock.NOW``: the test app reads it once per request and an
    in-process command (click's CliRunner) once per command, so no test depends on the day
    it runs."""
    test_clock = Clock()
    monkeypatch.setattr("coop.cli.base.utcnow", test_clock)
    return test_clock


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords and not POSTGRES_URL:
            item.add_marker(pytest.mark.skip(reason="set COOP_TEST_POSTGRES_URL to run"))


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def settings(database_url: str, keys: KeyStore, tmp_path: Path):  # type: ignore[no-untyped-def]
    from coop.config import Settings

    return Settings(database_url=database_url, secret_key="test-secret", key_dir=keys.key_dir,
                    instance_dir=tmp_path, secure_cookies=False)


@pytest.fixture
def app(engine: Engine, db: Session, settings, clock: Clock):  # type: ignore[no-untyped-def]
    """The Flask app, its requests sharing the test's rolled-back transaction: each request's
    commit only releases a savepoint, so the test sees (and then discards) what it wrote."""
    from sqlalchemy.orm import sessionmaker

    from webui import create_app

    flask_app = create_app(settings, engine=engine, clock=clock, TESTING=True, WTF_CSRF_ENABLED=True)
    flask_app.extensions["coop.sessions"] = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)
    return flask_app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def committed_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of the same backend whose data really commits, for tests
    of concurrency and of tampering that need several connections or processes."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'committed.sqlite3'}"
        upgrade(url)
        yield url
        return
    with throwaway_database(database_url, "coop_c") as url:
        upgrade(url)
        yield url
