"""Migrations are the only way the schema is made: one head, a real downgrade, no drift."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import coop.models  # noqa: F401
from coop.db import Base, make_engine
from coop.migrate import alembic_config, downgrade, upgrade
from tests.pgdb import throwaway_database

PG = os.environ.get("COOP_TEST_POSTGRES_URL")


def test_there_is_exactly_one_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads: {heads}"


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG else []))
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mig.sqlite3'}"
        return
    # A throwaway database beside the test database, so the suite's schema is untouched.
    with throwaway_database(PG, "coop_mig") as url:
        yield url


def _drift(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trips_and_models_match_migrations(empty_url):
    upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
    assert _drift(empty_url) == []
    downgrade(empty_url, "base")
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert _drift(empty_url) == []


def test_every_revision_downgrades_one_step_at_a_time(empty_url):
    upgrade(empty_url)
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions())
    for _ in revisions:
        downgrade(empty_url, "-1")
    assert _tables(empty_url) == set()


def test_append_only_tables_refuse_update_and_delete(empty_url):
    from sqlalchemy.exc import DBAPIError

    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO cooperatives (slug, name, currency, public_pages, created_at)"
                              " VALUES ('x', 'X', 'EUR', true, CURRENT_TIMESTAMP)"))
            coop_id = conn.execute(text("SELECT id FROM cooperatives")).scalar()
            conn.execute(text("INSERT INTO audit_events (coop_id, action, object_type, at, details)"
                              " VALUES (:c, 'a', 'b', CURRENT_TIMESTAMP, '{}')"), {"c": coop_id})
        for sql in ("UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(sql))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT action FROM audit_events")).scalar() == "a"
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "TRUNCATE checkpoints", "TRUNCATE audit_events, ballot_history", "TRUNCATE ledger_entries, ledger_nodes CASCADE",
    "TRUNCATE pay_records", "TRUNCATE cooperatives CASCADE"])
def test_append_only_tables_refuse_truncate_on_postgresql(statement):
    # Row triggers do not fire on TRUNCATE: without statement triggers these emptied the record.
    from sqlalchemy.exc import DBAPIError

    with throwaway_database(PG, "coop_mig") as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO cooperatives (slug, name, currency, public_pages, created_at)"
                                  " VALUES ('x', 'X', 'EUR', true, CURRENT_TIMESTAMP)"))
                conn.execute(text("INSERT INTO audit_events (coop_id, action, object_type, at, details)"
                                  " SELECT id, 'a', 'b', CURRENT_TIMESTAMP, '{}' FROM cooperatives"))
            with pytest.raises(DBAPIError, match="is append-only: TRUNCATE refused"), engine.begin() as conn:
                conn.execute(text(statement))
            with engine.connect() as conn:
                assert conn.execute(text("SELECT action FROM audit_events")).scalar() == "a"
        finally:
            engine.dispose()
