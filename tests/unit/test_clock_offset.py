"""COOP_CLOCK_OFFSET: a demo installation moves its clock; production refuses to."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from coop.cli import cli
from coop.cli.base import Context
from coop.clock import parse_offset
from coop.config import Settings
from tests.clock import NOW

DEMO = {"COOP_SECURE_COOKIES": "0", "COOP_SECRET_KEY": "x", "COOP_INSTANCE_DIR": "/nonexistent"}


@pytest.mark.parametrize(("text", "offset"), [
    ("", dt.timedelta(0)), ("8d", dt.timedelta(days=8)), ("1d6h", dt.timedelta(days=1, hours=6)),
    ("90m", dt.timedelta(minutes=90)), ("-2h", dt.timedelta(hours=-2)),
])
def test_a_clock_offset_is_days_hours_and_minutes(text, offset):
    assert parse_offset(text) == offset


@pytest.mark.parametrize("text", ["8", "a week", "1.5d", "d", "-"])
def test_a_clock_offset_in_another_format_is_refused_naming_the_format(text):
    with pytest.raises(ValueError, match="must look like 8d"):
        parse_offset(text)


def test_a_demo_installation_moves_its_clock_by_the_offset():
    assert Settings.from_env({**DEMO, "COOP_CLOCK_OFFSET": "8d"}).clock_offset == dt.timedelta(days=8)


def test_a_clock_offset_is_refused_in_production():
    with pytest.raises(ValueError, match="refused while COOP_SECURE_COOKIES is on"):
        Settings.from_env({"COOP_SECRET_KEY": "x", "COOP_INSTANCE_DIR": "/nonexistent", "COOP_CLOCK_OFFSET": "8d"})


def test_a_command_reads_the_moved_clock_once(monkeypatch):
    for k, v in {**DEMO, "COOP_CLOCK_OFFSET": "3d"}.items():
        monkeypatch.setenv(k, v)
    assert Context().now == NOW + dt.timedelta(days=3)


def test_a_command_under_a_production_offset_fails_in_one_line(monkeypatch):
    monkeypatch.setenv("COOP_CLOCK_OFFSET", "3d")
    monkeypatch.setenv("COOP_SECURE_COOKIES", "1")
    result = CliRunner().invoke(cli, ["proposals", "list"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: COOP_CLOCK_OFFSET is for demo and test installations only; it is refused "
        "while COOP_SECURE_COOKIES is on (production)"]
