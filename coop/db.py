"""Database plumbing: one MetaData with a naming convention, engines, sessions, types.

SQLite (the embedded default) and PostgreSQL (production) are both first-class.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, MetaData, String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

#: Predictable constraint names, so migrations can name what they drop (Alembic naming.rst).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class DecimalString(TypeDecorator[Decimal]):
    """Exact decimal stored as text, quantised to a fixed number of places.

    SQLite has no exact decimal type (its NUMERIC goes through binary floating point), and
    money must never pass through a float. Text keeps the value exact on both engines;
    ordering and sums happen in Python with ``decimal``.
    """

    impl = String(40)
    cache_ok = True

    def __init__(self, places: int = 2):
        super().__init__()
        self.places = places
        self._quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money and hours are Decimal, never float")
        try:
            dec = Decimal(value)
        except (InvalidOperation, TypeError) as exc:
            raise TypeError(f"not a decimal: {value!r}") from exc
        if dec != dec.quantize(self._quantum):
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return str(dec.quantize(self._quantum))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine; SQLite gets WAL, foreign keys and explicit transaction control."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)
        install_sqlite_hooks(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def install_sqlite_hooks(engine: Engine) -> None:
    """SQLAlchemy's documented recipe for SQLite transactions.

    pysqlite starts transactions lazily and never for SELECTs, which breaks SAVEPOINT-based
    isolation and lets a read-then-write race. We turn its handling off and emit
    ``BEGIN IMMEDIATE`` ourselves: every transaction takes SQLite's write lock at its start,
    so two requests can never interleave a read and a write (SQLite has one writer anyway).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"
