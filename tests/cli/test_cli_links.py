"""The command line and the configured address: links it prints or mails start with
COOP_BASE_URL, and nothing is mailed, or served, without one outside local mode."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

import webui.cli  # noqa: F401  (registers `coop serve`)
from coop.cli import cli
from coop.models import Cooperative
from coop.services import outbox
from tests.cli.conftest import Coop
from tests.clock import NOW


class FakeSMTP:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def send_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.sent.append(message.get_content())


@pytest.fixture
def acme(coop: Coop) -> Coop:
    coop.ok("coops", "create", "--slug", "acme", "--name", "Acme Workers")
    return coop


def test_notifications_send_refuses_to_mail_links_without_a_base_url(acme: Coop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = acme.engine()
    with Session(engine) as s:
        c = s.query(Cooperative).one()
        outbox.queue(s, c, "ann@example.org", outbox.PASSWORD_RESET, "Vote open", "A vote opened.",
                     "/c/acme/proposals/1", now=NOW)
        s.commit()
    engine.dispose()
    smtp = FakeSMTP()
    monkeypatch.setattr(outbox, "_connect", lambda settings: smtp)
    monkeypatch.setenv("COOP_SMTP_HOST", "smtp.example.org")
    line = acme.fails("notifications", "send")
    assert "COOP_BASE_URL is not set" in line and smtp.sent == []
    monkeypatch.setenv("COOP_BASE_URL", "https://coop.example.org/")
    assert "sent 1 message(s)" in acme.ok("notifications", "send").output
    assert "https://coop.example.org/c/acme/proposals/1" in smtp.sent[0]


def test_an_invitation_printed_by_the_cli_starts_with_the_configured_address(acme: Coop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    acme.ok("members", "add", "--name", "Ann Lee", "--email", "ann@example.org", "--status", "active")
    monkeypatch.setenv("COOP_BASE_URL", "https://coop.example.org")
    out = acme.ok("accounts", "invite", "ann@example.org").output
    assert "portal: https://coop.example.org/c/acme/accept/" in out


def test_coop_serve_refuses_to_start_without_a_base_url_outside_local_mode(coop: Coop) -> None:
    # An address this machine does not have: should the check ever go, serve fails to bind
    # at once instead of serving for good.
    line = coop.fails("serve", "--host", "203.0.113.1", "--port", "5999")
    assert "COOP_BASE_URL is not set" in line and "COOP_SECURE_COOKIES=0" in line


@pytest.mark.parametrize("name, value", [
    ("COOP_BASE_URL", "coop.example.org"), ("COOP_BASE_URL", "https://coop.example.org/?x=1"),
    ("COOP_BASE_URL", "ftp://coop.example.org"), ("COOP_TRUSTED_HOSTS", "https://proxy.internal"),
])
def test_a_malformed_address_setting_is_one_line_naming_the_variable(coop: Coop, monkeypatch, name, value) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(name, value)
    # Without obj=: the command builds its Context (and reads the settings) as `coop` does.
    result = CliRunner().invoke(cli, ["coops", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {name}: ") and len(result.stderr.splitlines()) == 1
