"""API test helpers: a client whose every /api/v1 response is checked against the published
spec, tokens for members, and a counter of SQL statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from coop.services import tokens
from coop.services.actor import Actor
from tests.api.spec_check import check_response
from tests.clock import NOW


class ApiClient:
    """The Flask test client, with a bearer token if given, checking every answer."""

    def __init__(self, client: Any, spec: dict[str, Any]):
        self.client = client
        self.spec = spec
        self.responses = 0

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        if path.startswith("/api/v1/") and not path.startswith(("/api/v1/openapi.json", "/api/v1/docs")):
            check_response(self.spec, method, path.split("?")[0], response.status_code,
                           response.headers.get("Content-Type"), response.get_data())
            self.responses += 1
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api(client: Any) -> ApiClient:
    spec = client.get("/api/v1/openapi.json").get_json()
    return ApiClient(client, spec)


def make_token(db: Any, coop: Any, member: Any, *scopes: str, expires_days: int = 90) -> str:
    _, secret = tokens.create_token(db, Actor.operator(), coop, member, scopes or ("read", "vote", "propose", "admin"),
                                    expires_days=expires_days, now=NOW)
    return secret


@contextmanager
def count_queries(engine: Any) -> Iterator[list[str]]:
    """Every statement sent to the database inside the block (savepoints excluded)."""
    statements: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def app(engine, db, settings, clock):  # type: ignore[no-untyped-def]
    """The whole application, portal included, as `coop serve` runs it: the API must work
    beside the portal's session, CSRF and login hooks."""
    from sqlalchemy.orm import sessionmaker

    from webui import create_app

    flask_app = create_app(settings, engine=engine, clock=clock, TESTING=True)
    flask_app.extensions["coop.sessions"] = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)
    return flask_app
