"""`coop accounts`: invitation and reset links, and passwords set at the command line."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import text

from coop.db import make_engine
from coop.errors import InvalidInput
from coop.services import accounts, coops
from tests.cli.conftest import Coop
from tests.clock import NOW


@pytest.fixture
def acme(coop: Coop) -> Coop:
    coop.ok("coops", "create", "--slug", "acme", "--name", "Acme Workers")
    coop.ok("members", "add", "--name", "Ann Lee", "--email", "ann@example.org", "--status", "active")
    return coop


def _token(output: str, page: str = "accept") -> str:
    match = re.search(rf"^portal: /c/acme/{page}/(\S+)$", output, re.MULTILINE)
    assert match, output
    assert f"token: {match.group(1)}" in output
    return match.group(1)


def test_an_invitation_prints_a_one_time_link_that_sets_the_password(acme: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    out = acme.ok("accounts", "invite", "ann@example.org").output
    assert "invitation for Ann Lee <ann@example.org>, valid for 7 days" in out
    token = _token(out)
    with session_for() as s:
        c = coops.get_by_slug(s, "acme")
        accounts.redeem(s, c, token, "a long enough password", now=NOW)
    with session_for() as s:
        assert accounts.authenticate(s, coops.get_by_slug(s, "acme"), "ann@example.org",
                                     "a long enough password").name == "Ann Lee"


def test_a_reset_link_lasts_24_hours_and_replaces_the_previous_one(acme: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    first = _token(acme.ok("accounts", "reset", "1").output, "reset")
    out = acme.ok("accounts", "reset", "1").output
    assert "password reset for Ann Lee <ann@example.org>, valid for 24 hours" in out
    second = _token(out, "reset")
    with session_for() as s:
        c = coops.get_by_slug(s, "acme")
        with pytest.raises(InvalidInput, match="already been used"):
            accounts.redeem(s, c, first, "a long enough password", now=NOW)
        accounts.redeem(s, c, second, "a long enough password", now=NOW)


def test_set_password_asks_twice_without_echoing(acme: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    result = acme.run("accounts", "set-password", "ann@example.org",
                      input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output
    assert "password set for Ann Lee" in result.output
    with session_for() as s:
        assert accounts.authenticate(s, coops.get_by_slug(s, "acme"), "ann@example.org", "a long enough password")


def test_set_password_reads_standard_input_for_scripts(acme: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    acme.ok("accounts", "set-password", "1", "--password-stdin", input="from a script 123\n")
    with session_for() as s:
        assert accounts.authenticate(s, coops.get_by_slug(s, "acme"), "ann@example.org", "from a script 123")


def test_a_short_password_is_refused_and_nothing_is_written(acme: Coop) -> None:
    line = acme.fails("accounts", "set-password", "1", "--password-stdin", input="short\n")
    assert line == "error: password: a password needs at least 10 characters"
    assert acme.fails("accounts", "set-password", "1", "--password-stdin", input="") == \
        "error: password: no password given"


def test_mismatched_passwords_are_asked_again(acme: Coop) -> None:
    result = acme.run("accounts", "set-password", "1",
                      input="first password 1\nsecond password\nfirst password 1\nfirst password 1\n")
    assert result.exit_code == 0 and "do not match" in result.output


def test_account_commands_refuse_unknown_and_departed_members(acme: Coop) -> None:
    assert acme.fails("accounts", "invite", "ghost@example.org") == \
        "error: member: no member 'ghost@example.org' in this co-op"
    acme.ok("members", "depart", "1")
    assert "departed" in acme.fails("accounts", "reset", "1")
    assert "departed" in acme.fails("accounts", "set-password", "1", "--password-stdin",
                                    input="a long enough password\n")


def test_account_commands_on_a_database_without_the_tokens_table_say_to_upgrade(bare: Coop) -> None:
    bare.ok("db", "upgrade", "--revision", "b2d1f0000002")
    bare.ok("coops", "create", "--slug", "acme", "--name", "Acme")
    # Written as that revision's schema has it: today's model has columns it lacks.
    engine = make_engine(bare.url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO members (coop_id, name, email, status, role, joined_at) "
                          "SELECT id, 'Ann', 'ann@example.org', 'active', 'member', :at FROM cooperatives"),
                     {"at": dt.datetime(2026, 11, 20)})
    engine.dispose()
    assert "coop db upgrade" in bare.fails("accounts", "invite", "ann@example.org")
