"""The screenshot set for the guides: every main page at 1280 px and at 360 px (a phone),
of the demo co-op, written to docs/screenshots/ as ``<page>-<width>.png``.

It runs only when asked, because it rewrites files that are committed:
``COOP_SCREENSHOTS=1 .venv/bin/pytest -m e2e tests/e2e/test_screenshots_e2e.py``.
The shots are of the first screen only (the salary page whole, for its table), and when
Debian's ``pngquant`` is installed each PNG is reduced to a palette, which keeps them small.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coop.models import Cooperative, Member, Proposal
from tests.e2e.conftest import ROOT, LiveServer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.environ.get("COOP_SCREENSHOTS"), reason="set COOP_SCREENSHOTS=1 to remake docs/screenshots"),
]

OUT = ROOT / "docs" / "screenshots"
WIDTHS = {1280: 800, 360: 780}


def _pages(slug: str, ids: dict[str, int]) -> dict[str, str]:
    base = f"/c/{slug}/"
    return {
        "home": base, "dashboard": base + "dashboard", "proposals": base + "proposals",
        "proposal-voting": base + f"proposals/{ids['voting']}", "proposal-closed": base + f"proposals/{ids['closed']}",
        "salary": base + "pay", "pay-history": base + f"pay/members/{ids['member']}", "rules": base + "rules",
        "decisions": base + "decisions", "offices": base + "offices", "education": base + "education",
        "verify": base + "verify", "ledger-entry": base + f"ledger/{ids['entry']}", "members": base + "members",
        "notifications": base + "notifications", "login": base + "login",
    }


def _shrink(png: Path) -> None:
    if shutil.which("pngquant"):
        subprocess.run(["pngquant", "--force", "--skip-if-larger", "--quality", "60-90", "--output", str(png), str(png)],
                       check=False, timeout=60)


def test_make_the_screenshot_set_of_every_main_page_at_desktop_and_phone_width(
        live_server: LiveServer, browser: Any) -> None:
    if live_server.backend != "sqlite":
        pytest.skip("one set is enough")
    slug = f"demo-{uuid.uuid4().hex[:6]}"
    seeded = live_server.coop_cli("seed-demo", "--slug", slug)
    assert seeded.returncode == 0, seeded.stderr
    with live_server.session() as s:
        coop_id = s.scalars(select(Cooperative.id).where(Cooperative.slug == slug)).one()
        lena = s.scalars(select(Member.id).where(Member.coop_id == coop_id,
                                                 Member.email == "lena@riverside.example")).one()
        voting = s.scalars(select(Proposal.id).where(Proposal.coop_id == coop_id, Proposal.status == "voting",
                                                     Proposal.kind == "pay_adjustment")).first()
        closed = s.scalars(select(Proposal).where(Proposal.coop_id == coop_id, Proposal.status == "closed",
                                                  Proposal.kind == "pay_adjustment")).first()
        ids = {"voting": voting, "closed": closed.id, "entry": closed.decision_entry_index, "member": lena}
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for width, height in WIDTHS.items():
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            for name, path in _pages(slug, ids).items():
                if name == "login":
                    context.clear_cookies()
                elif not context.cookies():
                    context.add_cookies([{"name": live_server.app.config["SESSION_COOKIE_NAME"],
                                          "value": live_server.session_cookie(lena), "url": live_server.url}])
                response = page.goto(path)
                assert response is not None and response.ok, (path, response and response.status)
                target = OUT / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=name == "salary")
                _shrink(target)
                written.append(target)
        finally:
            context.close()
    assert all(p.stat().st_size < 400_000 for p in written), [(p.name, p.stat().st_size) for p in written]
