"""`coop serve`: a port that cannot be bound is one readable line, not a claim and a traceback."""

from __future__ import annotations

import socket

from click.testing import CliRunner

import webui.cli  # noqa: F401  (registers `coop serve`)
from coop.cli import cli
from coop.cli.base import Context


def test_serve_on_a_busy_port_fails_in_one_line_without_claiming_to_serve(tmp_path, monkeypatch):
    monkeypatch.setenv("COOP_DATABASE_URL", f"sqlite:///{tmp_path / 'coop.db'}")
    monkeypatch.setenv("COOP_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("COOP_BASE_URL", "https://coop.example.org")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)], obj=Context())
    assert result.exit_code == 1
    assert "serving on" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in result.output
