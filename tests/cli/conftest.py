"""Command-line tests: each test gets its own committed database, made by `coop db upgrade`.

The commands commit, so the rolled-back ``db`` fixture of the other suites does not fit here.
Migrating (and seeding the demo) for every test would take minutes, so the first test of a
run does it for real and keeps a template; later tests start from a copy of it:

- SQLite: a fresh file per test, copied from the template file.
- PostgreSQL (when COOP_TEST_POSTGRES_URL is set): a database of its own, named after the
  test database with a ``_cli`` suffix. Between tests its tables are truncated (identities
  restarted) and, for the demo, refilled from a copy kept in schema ``cli_demo``. If a test
  changed the schema itself (dropped a trigger, downgraded), the schema's fingerprint no
  longer matches and it is rebuilt with `coop db upgrade`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from coop.cli import cli
from coop.cli.base import Context
from coop.db import Base, make_engine
from tests.pgdb import throwaway_database

POSTGRES_URL = os.environ.get("COOP_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@dataclass
class Coop:
    """Runs `coop …` in-process against this test's database and instance folder."""

    url: str
    tmp: Path
    backend: str

    def run(self, *args: str, input: str | None = None) -> Result:
        ctx = Context()
        try:
            return CliRunner().invoke(cli, list(args), input=input, obj=ctx, catch_exceptions=True)
        finally:
            if ctx._engine is not None:  # release connections: the next test resets the schema
                ctx._engine.dispose()

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, (result.output, result.stderr, result.exception)
        return result

    def fails(self, *args: str, input: str | None = None) -> str:
        """Run a command that must fail with exactly one readable line and change nothing."""
        before = self.counts()
        result = self.run(*args, input=input)
        assert result.exit_code == 1, (result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: ") and "Traceback" not in result.output
        assert self.counts() == before
        return lines[0]

    def count_queries(self, *args: str) -> int:
        """SQL statements a successful command issues (to check read paths stay query-bounded)."""
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            statements.append(statement)

        event.listen(Engine, "before_cursor_execute", count)
        try:
            self.ok(*args)
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        return len(statements)

    def engine(self) -> Engine:
        return make_engine(self.url)

    def counts(self) -> dict[str, int]:
        """Rows in every table: the database state an error must leave untouched."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                present = set(inspect(conn).get_table_names())
                return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                        for t in Base.metadata.sorted_tables if t.name in present}
        finally:
            engine.dispose()


# -- templates ---------------------------------------------------------------------------------

@dataclass
class Templates:
    """What the first test of the run made, for the others to copy."""

    root: Path
    #: sqlite: backend -> template file; keys of the demo co-op
    files: dict[str, Path] = field(default_factory=dict)
    demo_keys: dict[str, Path] = field(default_factory=dict)
    #: postgresql: fingerprint of a freshly migrated schema, and of the one cli_demo was copied from
    fresh_schema: str | None = None
    demo_schema: str | None = None


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(root=tmp_path_factory.mktemp("cli-templates"))


def _copy_sqlite(src: Path, dst: Path) -> None:
    for suffix in ("", "-wal"):
        if Path(f"{src}{suffix}").exists():
            shutil.copyfile(f"{src}{suffix}", f"{dst}{suffix}")


def _pg_fingerprint(conn: Connection) -> str:
    """Tables, columns, constraints, indexes, triggers and revision of schema public."""
    parts = [
        "SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY 1",
        "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal ORDER BY 1",
    ]
    found = [",".join(conn.execute(text(q)).scalars()) for q in parts]
    if "alembic_version" in inspect(conn).get_table_names():
        found.append(",".join(conn.execute(text("SELECT version_num FROM alembic_version ORDER BY 1")).scalars()))
    return "|".join(found)


def _pg_tables(conn: Connection, schema: str = "public") -> list[str]:
    return [t for t in inspect(conn).get_table_names(schema=schema) if t != "alembic_version"]


def _pg_truncate(conn: Connection) -> None:
    tables = _pg_tables(conn)
    if tables:
        # The append-only tables refuse TRUNCATE (a statement trigger): triggers are off for
        # this transaction, as when the demo is copied in.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(f'public.{t}' for t in tables)} RESTART IDENTITY CASCADE"))


def _pg_restart_sequences(conn: Connection) -> None:
    for table, column in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND (column_default LIKE 'nextval%' OR is_identity = 'YES')")).all():
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('public.{table}', '{column}'), "
            f"coalesce((SELECT max({column}) FROM public.{table}), 0) + 1, false)"))


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def cli_postgres_url() -> Iterator[str]:
    """A database next to the test database, created once per run and dropped after it."""
    assert POSTGRES_URL
    with throwaway_database(POSTGRES_URL, "coop_cli") as url:
        yield url


# -- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def cli_env(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Coop:
    """Environment for this test's commands; the database is left as it is."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'coop.sqlite3'}"
    else:
        url = request.getfixturevalue("cli_postgres_url")
    monkeypatch.setenv("COOP_DATABASE_URL", url)
    monkeypatch.setenv("COOP_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("COOP_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("COOP_SECRET_KEY", "cli-test-secret")
    monkeypatch.delenv("COOP_SLUG", raising=False)
    for name in ("COOP_BASE_URL", "COOP_TRUSTED_HOSTS", "COOP_SECURE_COOKIES", "COOP_WEBHOOK_ALLOW_NETWORKS"):
        monkeypatch.delenv(name, raising=False)  # as in production, whatever the shell says
    return Coop(url=url, tmp=tmp_path, backend=request.param)


@pytest.fixture
def bare(cli_env: Coop) -> Coop:
    """An empty database that has not been migrated."""
    if cli_env.backend == "postgresql":
        reset_postgres(cli_env.url)
    return cli_env


@pytest.fixture
def coop(cli_env: Coop, templates: Templates) -> Coop:
    """A database migrated by `coop db upgrade`, with no co-op yet."""
    if cli_env.backend == "sqlite":
        template = templates.files.get("sqlite")
        db_file = cli_env.tmp / "coop.sqlite3"
        if template is None:
            assert "database at heads" in cli_env.ok("db", "upgrade").output
            templates.files["sqlite"] = templates.root / "migrated.sqlite3"
            _copy_sqlite(db_file, templates.files["sqlite"])
        else:
            _copy_sqlite(template, db_file)
        return cli_env
    engine = cli_env.engine()
    try:
        with engine.begin() as conn:
            fresh = templates.fresh_schema is not None and _pg_fingerprint(conn) == templates.fresh_schema
            if fresh:
                _pg_truncate(conn)
    finally:
        engine.dispose()
    if not fresh:
        reset_postgres(cli_env.url)
        assert "database at heads" in cli_env.ok("db", "upgrade").output
        engine = cli_env.engine()
        with engine.connect() as conn:
            templates.fresh_schema = _pg_fingerprint(conn)
        engine.dispose()
    return cli_env


@pytest.fixture
def demo(coop: Coop, templates: Templates) -> Coop:
    """The demo co-op, as `coop seed-demo` makes it (seeded once a run, then copied)."""
    keys = coop.tmp / "keys"
    if coop.backend == "sqlite":
        template = templates.files.get("sqlite-demo")
        if template is None:
            coop.ok("seed-demo")
            templates.files["sqlite-demo"] = templates.root / "demo.sqlite3"
            _copy_sqlite(coop.tmp / "coop.sqlite3", templates.files["sqlite-demo"])
            shutil.copytree(keys, templates.root / "sqlite-keys")
        else:
            _copy_sqlite(template, coop.tmp / "coop.sqlite3")
            shutil.copytree(templates.root / "sqlite-keys", keys)
        return coop
    engine = coop.engine()
    try:
        if templates.demo_schema is not None and templates.demo_schema == templates.fresh_schema:
            with engine.begin() as conn:
                # Foreign keys and the append-only triggers are triggers: off while copying.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in _pg_tables(conn, "cli_demo"):
                    conn.execute(text(f"INSERT INTO public.{table} SELECT * FROM cli_demo.{table}"))
                _pg_restart_sequences(conn)
            shutil.copytree(templates.root / "pg-keys", keys)
            return coop
        coop.ok("seed-demo")
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS cli_demo CASCADE"))
            conn.execute(text("CREATE SCHEMA cli_demo"))
            for table in _pg_tables(conn):
                conn.execute(text(f"CREATE TABLE cli_demo.{table} AS SELECT * FROM public.{table}"))
        shutil.rmtree(templates.root / "pg-keys", ignore_errors=True)
        shutil.copytree(keys, templates.root / "pg-keys")
        templates.demo_schema = templates.fresh_schema
    finally:
        engine.dispose()
    return coop


@pytest.fixture
def session_for(coop: Coop) -> Any:
    """``with session_for() as s:`` a session on the test's database that commits at the end."""

    @contextmanager
    def factory() -> Iterator[Session]:
        engine = coop.engine()
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        finally:
            session.close()
            engine.dispose()

    return factory
