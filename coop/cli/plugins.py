"""Command groups of later capabilities (ledger, pay, audit, tokens, offices…) register by
being listed here, so adding one never means editing another group's module."""

from __future__ import annotations

import importlib

MODULES = [
    "coop.cli.seed",
    "coop.cli.ledger",
    "coop.cli.pay",
    "coop.cli.audit",
    "coop.cli.tokens",
    "coop.cli.webhooks",
    "coop.cli.accounts",
    "coop.cli.offices",
    "coop.cli.education",
    "coop.cli.notifications",
]


def load_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # Only a group that does not exist yet is skipped; a broken import inside an
            # existing group must surface.
            if exc.name != name:
                raise
