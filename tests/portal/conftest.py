"""Portal test helpers: members who can log in, and a client that fills in the CSRF token
the way a browser submitting the page's form would."""

from __future__ import annotations

import re
from functools import cache
from html import unescape
from typing import Any

import pytest

from coop.services import accounts

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@cache
def password_hash() -> str:
    """argon2 is deliberately slow; hash the test password once for the whole run."""
    return accounts.hash_password(PASSWORD)


def with_password(db: Any, *members: Any) -> None:
    for m in members:
        m.password_hash = password_hash()
    db.flush()


class Portal:
    """A browser-like client: GETs the page a form lives on to read its CSRF token."""

    def __init__(self, client: Any):
        self.client = client

    def refused(self, response: Any) -> Any:
        """A refused form redirects (303, post/redirect/get) to the page it lives on, which
        shows the message once: that page's response."""
        assert response.status_code == 303, (response.status_code, response.get_data(as_text=True)[:500])
        return self.client.get(response.headers["Location"])

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def token(self, url: str) -> str:
        page = self.client.get(url)
        match = CSRF.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {url} ({page.status_code})"
        return match.group(1)

    def post(self, url: str, data: dict[str, Any] | None = None, form_page: str | None = None,
             **kw: Any) -> Any:
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(form_page or _coop_page(url)))
        return self.client.post(url, data=data, **kw)

    def login(self, coop: Any, member: Any, password: str = PASSWORD) -> Any:
        response = self.post(f"/c/{coop.slug}/login", {"email": member.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    def logout(self, coop: Any) -> None:
        self.post(f"/c/{coop.slug}/logout")


def _coop_page(url: str) -> str:
    """Any page of the same co-op carries a valid token (it is tied to the session)."""
    slug = url.split("/")[2]
    return f"/c/{slug}/login"


@pytest.fixture
def portal(client: Any) -> Portal:
    return Portal(client)


def text_of(response: Any) -> str:
    """The page's text without tags, whitespace collapsed, entities decoded: what a reader sees."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def app_with(engine: Any, db: Any, settings: Any, clock: Any, **changes: Any) -> Any:
    """The app as `coop serve` builds it from the test settings with ``changes`` (a base URL,
    secure cookies…), sharing the test's rolled-back transaction and clock like the ``app``
    fixture.
    CSRF is off: tests that use it are about hosts, links and headers, and post directly."""
    import dataclasses

    from sqlalchemy.orm import sessionmaker

    from webui import create_app

    app = create_app(dataclasses.replace(settings, **changes), engine=engine, clock=clock, TESTING=True,
                     WTF_CSRF_ENABLED=False)
    app.extensions["coop.sessions"] = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)
    return app
