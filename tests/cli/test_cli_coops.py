"""`coop coops` and the failures every command shares (no database, no co-op, bad slug)."""

from __future__ import annotations

from tests.cli.conftest import Coop


def test_creating_a_coop_founds_it_with_rules_and_a_key_and_lists_it(coop: Coop) -> None:
    out = coop.ok("coops", "create", "--slug", "acme", "--name", "Acme Workers", "--currency", "GBP").output
    assert "founded Acme Workers (acme), currency GBP" in out
    assert (coop.tmp / "keys" / "acme.ed25519").exists()
    assert coop.counts()["rules"] >= 10
    listing = coop.ok("coops", "list").output
    assert "acme" in listing and "Acme Workers" in listing and "GBP" in listing


def test_listing_coops_on_an_empty_installation_says_how_to_start(coop: Coop) -> None:
    assert "no co-ops yet" in coop.ok("coops", "list").output


def test_a_bad_slug_is_refused_naming_the_field(coop: Coop) -> None:
    line = coop.fails("coops", "create", "--slug", "Not A Slug", "--name", "X")
    assert line.startswith("error: slug:")


def test_a_coop_name_with_a_line_break_is_refused_it_heads_every_mail_subject(coop: Coop) -> None:
    line = coop.fails("coops", "create", "--slug", "acme", "--name", "Acme\r\nBcc: attacker@evil.example")
    assert "single line" in line


def test_a_bad_currency_is_refused(coop: Coop) -> None:
    assert "currency" in coop.fails("coops", "create", "--slug", "x", "--name", "X", "--currency", "euro")


def test_a_second_coop_with_the_same_slug_is_refused_and_the_first_is_untouched(coop: Coop) -> None:
    coop.ok("coops", "create", "--slug", "acme", "--name", "Acme Workers")
    line = coop.fails("coops", "create", "--slug", "acme", "--name", "Other")
    assert "already exists" in line


def test_commands_on_a_database_never_migrated_say_to_run_db_upgrade(bare: Coop) -> None:
    result = bare.run("members", "list")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "coop db upgrade" in lines[0]
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_commands_needing_a_coop_say_there_is_none_yet(coop: Coop) -> None:
    assert "no co-op yet" in coop.fails("members", "list")


def test_with_several_coops_the_coop_must_be_named(coop: Coop) -> None:
    coop.ok("coops", "create", "--slug", "one", "--name", "One")
    coop.ok("coops", "create", "--slug", "two", "--name", "Two")
    assert "--coop" in coop.fails("members", "list")
    assert "no members" in coop.ok("members", "list", "--coop", "two").output
    assert "no co-op with slug 'three'" in coop.fails("members", "list", "--coop", "three")


def test_db_upgrade_twice_is_harmless(coop: Coop) -> None:
    before = coop.counts()
    coop.ok("db", "upgrade")
    assert coop.counts() == before


def test_a_checkpoint_of_a_new_coops_empty_ledger_verifies_then_and_after_it_grows(coop: Coop) -> None:
    # The operator's hourly `coop ledger checkpoint` signs size 0 on a co-op founded minutes
    # before: that checkpoint has no entry to wait for, and must not make verify fail.
    coop.ok("coops", "create", "--slug", "acme", "--name", "Acme Workers")
    assert coop.ok("ledger", "checkpoint", "--coop", "acme").output.startswith("coop/acme\n0\n")  # signed note, size 0
    assert coop.ok("ledger", "verify", "--coop", "acme").output.startswith("ok: 0 entries")
    coop.ok("members", "add", "--coop", "acme", "--name", "Ada Okafor", "--email", "ada@acme.example")
    export = coop.tmp / "acme.json"
    coop.ok("ledger", "export", "--coop", "acme", "--format", "json", "--output", str(export))
    assert coop.ok("ledger", "verify", "--coop", "acme").output.startswith("ok: ")
    assert coop.ok("ledger", "verify", "--export", str(export)).output.startswith("ok: ")
