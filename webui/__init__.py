"""The web faces over the core: the member portal and the REST API.

``create_app`` builds everything (nothing happens at import time) and never migrates: the
schema is made by ``coop db upgrade``. It refuses to start without COOP_BASE_URL outside local
mode (``coop.config.ConfigError``): the trusted hosts and every mailed link come from it.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

from flask import Flask

from coop.clock import offset_clock
from coop.config import Settings
from coop.db import make_engine, make_session_factory
from coop.ledger.keys import KeyStore
from webui import limiter, request_db, security
from webui.converters import IdConverter, TextConverter

#: Blueprint modules, each exposing ``init_app(app)``. Listed here so each face stays in its
#: own package.
FACES = ["webui.api", "webui.portal"]


def create_app(settings: Settings | None = None, engine: Any = None,
               clock: Callable[[], dt.datetime] | None = None, **overrides: Any) -> Flask:
    """``clock`` (default: the wall clock) is read once per request; tests pass a fixed one."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        COOP_SETTINGS=settings,
    )
    app.config.update(overrides)
    if engine is None:
        if settings.database_url.startswith("sqlite"):
            settings.instance_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.database_url)
    app.extensions["coop.engine"] = engine
    app.extensions["coop.sessions"] = make_session_factory(engine)
    app.extensions["coop.keys"] = KeyStore(settings.key_dir)
    app.extensions["coop.clock"] = clock or offset_clock(settings.clock_offset)
    app.url_map.converters["coop_id"] = IdConverter
    app.url_map.converters["default"] = TextConverter
    request_db.init_app(app)
    security.init_app(app, settings)
    limiter.init_app(app)
    for name in FACES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.init_app(app)
    return app
