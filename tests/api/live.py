"""A real `coop serve` (waitress) on a free loopback port, over a migrated SQLite database
seeded with the demo co-op: what the fuzzer and the benchmarks talk to over HTTP.

The server is a separate process started with the `coop` console script, exactly as an
operator starts it, so these tests also prove `coop serve` works.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

COOP = str(Path(sys.executable).with_name("coop"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def coop_env(workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env.update(COOP_DATABASE_URL=f"sqlite:///{workdir / 'coop.sqlite3'}", COOP_KEY_DIR=str(workdir / "keys"),
               COOP_INSTANCE_DIR=str(workdir), COOP_SECRET_KEY="live-test-secret", **extra)
    return env


def run_coop(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([COOP, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"coop {' '.join(args)} failed: {done.stderr or done.stdout}"
    return done.stdout


def create_token(env: dict[str, str], email: str, *scopes: str) -> str:
    args = ["tokens", "create", email, "--coop", "demo", "--name", "live test"]
    for scope in scopes:
        args += ["--scope", scope]
    return run_coop(env, *args).strip().splitlines()[-1]


@dataclass
class Live:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]


def seed_demo(workdir: Path, **extra_env: str) -> dict[str, str]:
    env = coop_env(workdir, **extra_env)
    run_coop(env, "db", "upgrade")
    run_coop(env, "seed-demo")
    return env


@contextmanager
def serve(env: dict[str, str], threads: int = 8) -> Iterator[Live]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # As an operator runs it: secure cookies (the default), so the public address is required.
    env = {"COOP_BASE_URL": base, **env}
    process = subprocess.Popen([COOP, "serve", "--port", str(port), "--threads", str(threads)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/api/v1/coops", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"coop serve did not start: {process.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.1)
        yield Live(base, env, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
