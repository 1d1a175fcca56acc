"""The Python one-liners the docs give readers (`… | python3 -c '…'`), run as written, so a
doc command that no longer fits the data it reads fails a test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def python_snippet(doc: str, marker: str) -> str:
    """The program of the ``python3 -c '…'`` in the shell block of ``doc`` that contains ``marker``."""
    for block in re.findall(r"^```sh\n(.*?)^```", (DOCS / doc).read_text(encoding="utf-8"), re.S | re.M):
        if marker in block:
            found = re.search(r"python3 -c '(.*?)'\n", block, re.S)
            assert found, f"the block with {marker!r} in {doc} has no python3 -c '…'"
            return found.group(1)
    raise AssertionError(f"no shell block with {marker!r} in {doc}")


def run_snippet(program: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", program], input=stdin, capture_output=True, text=True,
                          timeout=60, check=False)
