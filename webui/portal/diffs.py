"""Readable diffs of rule text: words removed and added, inline, HTML-escaped.

Rules are prose, so a word-level diff reads better than a line diff. Every piece of text is
escaped before it is wrapped in ``<del>``/``<ins>``; the markers carry words for screen
readers, which do not announce those elements by default.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

#: Spaces, words, and each punctuation mark on its own: "pay" → "pay, hours" then reads as
#: ", hours" added rather than the whole word replaced.
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def text_diff(old: str, new: str) -> Markup:
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(str(escape("".join(a[i1:i2]))))
            continue
        if op in ("delete", "replace"):
            out.append('<del><span class="visually-hidden">[removed: </span>'
                       f'{escape("".join(a[i1:i2]))}<span class="visually-hidden">]</span></del>')
        if op in ("insert", "replace"):
            out.append('<ins><span class="visually-hidden">[added: </span>'
                       f'{escape("".join(b[j1:j2]))}<span class="visually-hidden">]</span></ins>')
    return Markup("".join(out))


@dataclass(frozen=True)
class ParamChange:
    key: str
    old: str | None
    new: str | None

    @property
    def change(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if self.old != self.new else "unchanged"


def parameter_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[ParamChange]:
    old, new = old or {}, new or {}
    return [ParamChange(k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new))]
