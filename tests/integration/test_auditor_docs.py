"""docs/auditors.md, run as written: every command of the page, in order, in an empty directory
(the scripts it says to save are saved from its ``python`` blocks), each output compared with
the one the page shows, up to what legitimately differs between runs (keys, hashes, dates).

So the auditor's path — export and offline verify, the root and the proofs recomputed with the
standard library, the signature checked with OpenSSL, a rewritten history caught by a saved
checkpoint — fails a test as soon as a command or an output on the page stops being true."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docsnippets import DOCS

PAGE = DOCS / "auditors.md"
DOC_DIR = "/tmp/coop-audit"  # the page's working directory; the test uses its own

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the page uses OpenSSL")


def steps(text: str) -> list[tuple[str, str, str]]:
    """(kind, command or file name, expected output or file text), in page order: ``run`` for
    each ``$ …`` of a console block and each line of a sh block, ``save`` for a python block
    the page asks to save as a file."""
    out: list[tuple[str, str, str]] = []
    for m in re.finditer(r"^```(sh|console|python)\n(.*?)^```", text, re.S | re.M):
        kind, body = m.group(1), m.group(2)
        if kind == "python":
            name = re.findall(r"Save (?:this|it) as `([^`]+)`", text[:m.start()])
            assert name, "a python block with no file name before it"
            out.append(("save", name[-1], body))
        elif kind == "sh":
            out.extend(("run", line, "") for line in body.splitlines() if line.strip())
        else:
            for cmd in re.split(r"^\$ ", body, flags=re.M)[1:]:
                command, _, expected = cmd.partition("\n")
                out.append(("run", command, expected))
    return out


_VARYING = [
    (re.compile(r"[A-Za-z0-9+/]{20,}={0,2}"), "<b64>"),  # keys, roots, signatures (hex ones too)
    (re.compile(r"\b[0-9a-f]{8}\b"), "<id>"),  # key IDs
    (re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?"), "<date>"),
]


def normalised(text: str) -> list[str]:
    for pattern, placeholder in _VARYING:
        text = pattern.sub(placeholder, text)
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def expect_failure(expected: str) -> bool:
    return any(word in expected for word in ("does not match", "NOT in", "Verification Failure"))


def run_page(workdir: Path) -> list[tuple[str, str, int]]:
    """Run the page's steps in ``workdir`` as one shell session; (command, output, status) each."""
    script = ["set +e"]
    commands = []
    for kind, what, body in steps(PAGE.read_text(encoding="utf-8")):
        if kind == "save":
            (workdir / what).write_text(body, encoding="utf-8")
            continue
        command = what.replace(DOC_DIR, str(workdir))
        commands.append(command)
        # The blank line keeps the marker on a line of its own after output with no final newline.
        script += [f"echo '@@@ {len(commands) - 1}'", f"{{ {command}\n}} 2>&1", 'status=$?; echo; echo "@@@ status $status"']
    env = {k: v for k, v in os.environ.items() if not k.startswith("COOP_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    results = []
    for i, command in enumerate(commands):
        m = re.search(rf"^@@@ {i}\n(.*?)^@@@ status (\d+)$", done.stdout, re.S | re.M)
        assert m, f"the page stopped before {command!r}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        results.append((command, m.group(1), int(m.group(2))))
    return results


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str, int]]]:
    workdir = tmp_path_factory.mktemp("coop-audit")
    return workdir, run_page(workdir)


def test_every_command_of_the_auditors_page_runs_and_prints_what_the_page_shows(page) -> None:
    workdir, results = page
    expected = {cmd.replace(DOC_DIR, str(workdir)): out
                for kind, cmd, out in steps(PAGE.read_text(encoding="utf-8")) if kind == "run"}
    assert len(results) >= 30  # the page's whole path, not a block that went missing
    for command, output, status in results:
        want = expected[command]
        assert status == (1 if expect_failure(want) else 0), f"{command!r} exited {status}:\n{output}"
        if command.startswith(("coop db upgrade", "mkdir", "export", "cd ")):
            continue  # setup: its output is not shown on the page
        assert normalised(output) == normalised(want), f"{command!r} printed:\n{output}"


def test_the_page_s_consistency_verifier_refuses_a_real_proof_against_another_history(page) -> None:
    # The page shows the verifier saying yes; it must say no when the later checkpoint is the
    # rewritten history's (same key, same size) rather than the one the proof leads to.
    workdir, _ = page
    forged = json.loads((workdir / "forged.json").read_text(encoding="utf-8"))["checkpoints"][-1]
    assert forged["size"] == 20
    (workdir / "checkpoint-forged.txt").write_text(forged["note"], encoding="utf-8")
    verify = [sys.executable, "rfc9162_proofs.py", "consistency", "consistency-19.json", "checkpoint-1.txt"]
    honest = subprocess.run([*verify, "checkpoint-2.txt"], cwd=workdir, capture_output=True, text=True, check=False)
    other = subprocess.run([*verify, "checkpoint-forged.txt"], cwd=workdir, capture_output=True, text=True,
                           check=False)
    assert honest.returncode == 0 and "only appended to" in honest.stdout
    assert other.returncode == 1 and "did NOT only append to" in other.stdout
