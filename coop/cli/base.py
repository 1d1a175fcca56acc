"""Shared plumbing for commands: settings, one session per command, errors as one line."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from coop.clock import utcnow
from coop.config import Settings
from coop.db import make_engine, make_session_factory
from coop.errors import CoopError, InvalidInput
from coop.ledger.keys import KeyStore
from coop.services import autosign

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self) -> None:
        try:
            self.settings = Settings.from_env()
        except ValueError as exc:  # a malformed COOP_* variable: one line, not a traceback
            fail(str(exc))
        self._engine = None
        #: The command's one reading of the clock: every service it calls gets this instant
        #: (moved by COOP_CLOCK_OFFSET on a demo installation).
        self.now: dt.datetime = utcnow() + self.settings.clock_offset

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        if self._engine is None:
            if self.settings.database_url.startswith("sqlite"):
                self.settings.instance_dir.mkdir(parents=True, exist_ok=True)
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    @property
    def keys(self) -> KeyStore:
        return KeyStore(self.settings.key_dir)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction per command: commit once at the end, roll back on any error."""
        session = make_session_factory(self.engine)()
        try:
            yield session
            # A command that appended to a ledger signs a checkpoint of it in its transaction.
            autosign.sign_appended(session, self.keys, now=self.now)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def read_csv_text(path: Path) -> str:
    """The text of an uploaded CSV file; a file that is not UTF-8 is one readable error."""
    try:
        return path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} is not UTF-8 text; save it as CSV UTF-8", field="CSV") from None


def handle_errors(fn: F) -> F:
    """Domain and database errors become one readable line and exit code 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CoopError as exc:
            fail(str(exc))
        except IntegrityError as exc:
            fail(f"refused by the database: {str(exc.orig).splitlines()[0]}")
        except OperationalError as exc:
            fail(f"database problem: {str(exc.orig).splitlines()[0]} "
                 "(is COOP_DATABASE_URL right, and has `coop db upgrade` run?)")
        except ProgrammingError as exc:
            # PostgreSQL's "relation … does not exist": usually a database not migrated yet.
            fail(f"database error: {str(exc.orig).splitlines()[0]} "
                 "(has `coop db upgrade` run?)")
        except DBAPIError as exc:
            fail(f"database error: {str(exc.orig).splitlines()[0]}")
        except (OSError, ValueError) as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="coop")
def cli() -> None:
    """coop: governance toolkit for worker co-operatives.

    The database comes from COOP_DATABASE_URL (default: SQLite under ./instance).
    """


def coop_option(fn: F) -> F:
    """--coop SLUG; optional when the installation hosts exactly one co-op."""
    return click.option("--coop", "coop_slug", metavar="SLUG", envvar="COOP_SLUG",
                        help="the co-op (default: the only one)")(fn)


def resolve_coop(session: Session, slug: str | None):  # type: ignore[no-untyped-def]
    from coop.services import coops

    if slug:
        return coops.get_by_slug(session, slug)
    all_coops = coops.list_coops(session)
    if len(all_coops) == 1:
        return all_coops[0]
    if not all_coops:
        raise CoopError("there is no co-op yet: run `coop coops create` or `coop seed-demo`")
    raise CoopError("several co-ops here: say which with --coop SLUG")
