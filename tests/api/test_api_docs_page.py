"""The API's reference page: every operation has a "try it" form, the page runs only its own
script (CSP), and in a real browser the form sends the request and shows the answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.live import Live, create_token, seed_demo, serve

CHROMIUM = Path("/usr/bin/chromium")


def test_every_operation_has_a_try_it_form_and_the_page_runs_only_its_own_script(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "<script>" not in html and '<script src="docs.js" defer></script>' in html
    for path, ops in spec["paths"].items():
        for method in ops:
            assert f'<form class="try-form" data-method="{method.upper()}" data-path="{path}">' in html, (method, path)
    script = client.get("/api/v1/docs.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert "textContent" in script.get_data(as_text=True) and "innerHTML" not in script.get_data(as_text=True)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(seed_demo(tmp_path_factory.mktemp("docs"))) as server:
        yield server


@pytest.mark.e2e
def test_try_it_sends_the_request_with_the_token_and_shows_the_answer(live: Live) -> None:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    token = create_token(live.env, "lena@riverside.example", "read")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(live.base_url + "/api/v1/docs")
            # A public read, without a token.
            section = page.locator("section#pay_statistics")
            section.locator("summary").click()
            section.locator("button").click()
            out = section.locator(".try-out")
            out.get_by_text("200 OK").wait_for(timeout=10_000)
            assert '"currency": "EUR"' in out.text_content()
            # A members' read: 401 without the token, 200 with it.
            me = page.locator("section#me")
            me.locator("summary").click()
            me.locator("button").click()
            me.locator(".try-out").get_by_text("401").wait_for(timeout=10_000)
            page.fill("#token", token)
            me.locator("button").click()
            me.locator(".try-out").get_by_text("200 OK").wait_for(timeout=10_000)
            assert '"name": "Lena Fischer"' in me.locator(".try-out").text_content()
            assert not [e for e in errors if "401" not in e], errors
        finally:
            browser.close()
