"""The ``coop`` command, for operators and auditors.

Every command takes the database from COOP_DATABASE_URL, commits once at its end, prints
one readable line and exits non-zero on any error. Command groups live in one module each.
"""

from __future__ import annotations

import click

from coop.cli import coops as _coops  # noqa: F401
from coop.cli import db as _db  # noqa: F401  (registers `coop db`)
from coop.cli import members as _members  # noqa: F401
from coop.cli import plugins as _plugins
from coop.cli import proposals as _proposals  # noqa: F401
from coop.cli import rules as _rules  # noqa: F401
from coop.cli.base import cli

_plugins.load_all()


def main() -> None:
    cli(prog_name="coop")


__all__ = ["cli", "main", "click"]
