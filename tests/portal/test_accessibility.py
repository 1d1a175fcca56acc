"""Accessibility basics the server can guarantee: a language, a skip link to the main
content, a label for every form control, error messages tied to their fields, visible focus
and text colours with WCAG AA contrast."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coop.services import proposals
from tests.clock import NOW
from tests.factories import as_member
from tests.office_factories import qualify
from tests.portal.conftest import text_of
from tests.portal.world import build_world, passed_raise

CSS = Path(__file__).resolve().parents[2] / "webui" / "static" / "portal.css"
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class Controls(HTMLParser):
    """Every form control, the ids of all elements, the labels' ``for`` targets, and which
    controls sit inside a <label>."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.label_text: dict[str, str] = {}
        self._label_depth = 0
        self._current_for: str | None = None
        self.html_lang: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])  # type: ignore[arg-type]
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])  # type: ignore[arg-type]
        if tag == "label":
            self._label_depth += 1
            self._current_for = a.get("for")
            if a.get("for"):
                self.label_for.add(a["for"])  # type: ignore[arg-type]
                self.label_text[a["for"]] = ""  # type: ignore[index]
        if tag in ("input", "select", "textarea") and (a.get("type") or "text") not in UNLABELLED_TYPES:
            self.controls.append({**a, "_tag": tag, "_wrapped": "yes" if self._label_depth else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
            self._current_for = None

    def handle_data(self, data: str) -> None:
        if self._current_for:
            self.label_text[self._current_for] += data


def unlabelled(html: str) -> list[str]:
    parsed = Controls()
    parsed.feed(html)
    problems = []
    for c in parsed.controls:
        name = f"{c['_tag']} name={c.get('name')!r}"
        if c.get("aria-labelledby"):
            missing = [i for i in (c["aria-labelledby"] or "").split() if i not in parsed.ids]
            if missing:
                problems.append(f"{name}: aria-labelledby points at missing ids {missing}")
            continue
        if c.get("aria-label") or c["_wrapped"]:
            continue
        if not c.get("id") or c["id"] not in parsed.label_for:
            problems.append(f"{name}: no <label for>, wrapping label or aria-label")
        elif not parsed.label_text.get(c["id"], "").strip():
            problems.append(f"{name}: its label is empty")
        for described in (c.get("aria-describedby") or "").split():
            if described not in parsed.ids:
                problems.append(f"{name}: aria-describedby points at missing id {described}")
    return problems


@pytest.fixture
def w(db, keys):
    world = build_world(db, keys)
    passed_raise(db, world)
    qualify(db, world.coop, world.ada, "engineering", 6)
    return world


def key_pages(db, w) -> list[tuple[str, str, dict[str, str] | None]]:
    """(who, path, form posted or None): the pages with forms, in the states that show the most."""
    p = proposals.draft_general(db, as_member(w.ada), w.coop, "Open motion", "", now=NOW)
    proposals.open_deliberation(db, as_member(w.ada), w.coop, p.id, now=NOW)
    p.deliberation_ends_at = NOW - dt.timedelta(seconds=1)
    db.flush()
    proposals.open_voting(db, as_member(w.ada), w.coop, p.id, now=NOW)
    talk = proposals.draft_general(db, as_member(w.ada), w.coop, "Talking", "", now=NOW)
    proposals.open_deliberation(db, as_member(w.ada), w.coop, talk.id, now=NOW)
    return [
        ("", "login", None), ("", "forgot", None), ("", "reset/some-token", None), ("", "", None),
        ("", "pay", None), ("", "rules/pay.policy", None), ("", "decisions", None), ("", "verify", None),
        ("ada", "dashboard", None), ("ada", f"proposals/{p.id}", None), ("ada", f"proposals/{talk.id}", None),
        ("ada", "proposals", None), ("ada", "proposals/new", None), ("ada", "proposals/new/pay", None),
        ("ada", "proposals/new/pay", {"subject_member_id": str(w.ben.id), "hourly_rate": "60.00",
                                      "reason": "skills", "supplements_mode": "keep", "action": "preview"}),
        ("ada", "proposals/new/pay", {"subject_member_id": str(w.ben.id), "hourly_rate": "bad",
                                      "reason": "skills", "supplements_mode": "keep", "action": "preview"}),
        ("ada", "proposals/new/rule", None),
        ("ada", "proposals/new/rule", {"action": "amend", "rule_key": "pay.policy", "text": "New text.",
                                       "entrenched": "keep", "action_step": "preview"}),
        ("ada", "members", None), ("ada", "me", None), ("ada", "me/tokens", None), ("ada", "notifications", None),
        ("ada", "admin/members", None), ("ada", "admin/members/new", None), ("ada", "admin/import", None),
        ("ada", "admin/import", {"csv": "name,email\nX,\n", "step": "preview"}),
        ("ada", "admin/settings", None), ("ada", "admin/settings", {"name": " "}),
        ("ada", "me/tokens", {"name": "x", "scopes": "read", "expires_days": "never"}),
    ]


def test_every_form_control_on_the_key_pages_has_a_label(db, w, portal):
    w.ada.role = "admin"  # for the settings page
    db.flush()
    pages = key_pages(db, w)
    problems = {}
    logged_in = False
    for who, path, form in pages:
        if who and not logged_in:
            portal.login(w.coop, w.ada)
            logged_in = True
        url = w.url(path)
        response = portal.post(url, form, form_page=url) if form is not None else portal.get(url)
        assert response.status_code < 500, (url, response.status_code)
        found = unlabelled(response.get_data(as_text=True))
        if found:
            problems[f"{path} {form or ''}"] = found
    assert not problems, problems


def test_the_label_check_catches_an_unlabelled_control():
    assert unlabelled('<input type="text" name="q">')
    assert unlabelled('<label for="x"></label><input id="x" name="q">')
    assert unlabelled('<input name="q" aria-labelledby="nowhere">')
    assert not unlabelled('<label for="x">Search</label><input id="x" name="q">')
    assert not unlabelled('<label><input type="radio" name="c"> Yes</label>')


def test_every_page_has_a_language_a_title_and_a_skip_link_to_the_main_content(db, w, portal):
    for path in ("", "pay", "login", "rules"):
        html = portal.get(w.url(path)).get_data(as_text=True)
        parsed = Controls()
        parsed.feed(html)
        assert parsed.html_lang == "en"
        assert re.search(r"<title>[^<]*\S[^<]*</title>", html)
        assert parsed.links and parsed.links[0] == "#main" and "main" in parsed.ids
        assert re.search(r'<main id="main"', html)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html  # responsive


def test_errors_are_announced_and_linked_to_their_fields(db, w, portal):
    portal.login(w.coop, w.ada)
    url = w.url("proposals/new")
    html = portal.post(url, {"title": "", "body": ""}, form_page=url).get_data(as_text=True)
    assert 'role="alert"' in html and 'href="#f-title"' in html
    assert re.search(r'<input[^>]*id="f-title"[^>]*aria-describedby="e-title"[^>]*aria-invalid="true"', html)
    assert 'id="e-title"' in html


def test_charts_have_a_text_alternative_and_a_data_table(w, client):
    html = client.get(w.url("pay")).get_data(as_text=True)
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+"', html)
    assert "<caption>Members by total hourly pay: the numbers behind the chart</caption>" in html


def _css_vars() -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", CSS.read_text()))


def _luminance(hex_: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("fg, bg", [
    ("ink", "paper"), ("muted", "paper"), ("link", "paper"), ("ok", "paper"), ("bad", "paper"),
    ("muted", "wash"), ("link", "wash"), ("ink", "wash"), ("brand-ink", "brand"), ("ink", "warn-bg"),
    ("ink", "focus"), ("after", "paper"),
])
def test_text_colours_meet_wcag_aa_contrast(fg, bg):
    colours = _css_vars()
    assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg, round(contrast(colours[fg], colours[bg]), 2))


def test_the_focus_ring_is_visible_against_the_page_and_the_header():
    colours = _css_vars()
    css = CSS.read_text()
    assert re.search(r":focus-visible\s*{[^}]*outline:\s*3px solid var\(--focus\)", css)
    # The ring is the focus colour with a dark halo: one of the two stands out on any background.
    for bg in ("paper", "wash", "brand"):
        assert max(contrast(colours["focus"], colours[bg]), contrast(colours["ink"], colours[bg])) >= 3


def test_a_page_reads_in_order_without_styles(w, client):
    body = text_of(client.get(w.url("pay")))
    assert body.index("Skip to main content") < body.index("Pay at") < body.index("Every member's pay")
