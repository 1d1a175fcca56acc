"""One database session, one reading of the clock and one commit per request.

Handlers call services, which flush; the commit happens once, after the handler, only if
the response is not an error. A test may install a session of its own (``coop.session``
in ``app.extensions``'s factory) to keep its work inside a rolled-back transaction.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from coop.ledger.keys import KeyStore
from coop.services import autosign


def get_session() -> Session:
    if "db" not in g:
        g.db = current_app.extensions["coop.sessions"]()
    return g.db  # type: ignore[no-any-return]


def request_now() -> dt.datetime:
    """The request's one reading of the clock (the app's ``coop.clock``): every service the
    request calls gets this same instant, so a page never mixes two times."""
    if "now" not in g:
        g.now = current_app.extensions["coop.clock"]()
    return g.now  # type: ignore[no-any-return]


def keys() -> KeyStore:
    return current_app.extensions["coop.keys"]  # type: ignore[no-any-return]


def commit_despite_refusal() -> None:
    """Commit this request's session although the answer is an error: for the one write a
    refusal must leave behind (the mail telling a member their login was locked), made after
    the refused work was rolled back (``webui.limiter``)."""
    g.coop_commit_refused = True


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit(response: Response) -> Response:
        session: Session | None = g.pop("db", None)
        if session is None:
            return response
        try:
            if response.status_code < 400:
                # A request that appended to a ledger signs a checkpoint of it before committing,
                # so the published checkpoint is never behind the ledger.
                autosign.sign_appended(session, keys(), now=request_now())
                session.commit()
            elif g.pop("coop_commit_refused", False):
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
        return response

    @app.teardown_request
    def _cleanup(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db", None)
        if session is not None:
            session.rollback()
            session.close()
