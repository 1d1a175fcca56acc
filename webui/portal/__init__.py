"""The member portal: server-rendered pages at ``/`` and ``/c/<slug>/…``.

Usable without JavaScript; CSRF protection on every form (Flask-WTF); sessions with
Flask-Login; charts as server-rendered SVG with text alternatives.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask, g
from flask_wtf.csrf import CSRFError, CSRFProtect

from coop.services import notifications as _notifications  # noqa: F401  (subscribes the listener)


def init_app(app: Flask) -> None:
    # Checked by the portal blueprint itself (webui.portal.web), so the token-authenticated
    # API is not asked for a form token it cannot have.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the session instead
    CSRFProtect(app)

    from webui.portal import (  # noqa: F401,E501
        admin,
        auth,
        drafting,
        election_pages,
        learning,
        member_pages,
        offices,
        proposal_pages,
        public,
        qualifications,
        search_pages,
    )
    from webui.portal.web import bp, register_error_pages, root

    auth.init_login(app)
    register_error_pages(app)
    app.register_blueprint(root)
    app.register_blueprint(bp)
    _filters(app)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        from flask import render_template

        return render_template("portal/error.html", title="Please try again",
                               message="This form was out of date or came from another site "
                                       "(its security token did not match). Go back, reload the "
                                       "page and send it again."), 400

    @app.context_processor
    def _portal_context() -> dict[str, Any]:
        from webui.portal.web import me
        from webui.request_db import get_session

        member = me() if g.get("coop") is not None else None
        unread = _notifications.unread_count(get_session(), member.id) if member is not None else 0
        return {"coop": g.get("coop"), "me": member, "unread": unread}


def _filters(app: Flask) -> None:
    @app.template_filter("money")
    def money(value: Decimal | str | None) -> str:
        from coop.pay import format_money

        if value is None or value == "":
            return "–"
        return format_money(value)

    @app.template_filter("delta")
    def delta(value: Decimal) -> str:
        return f"{value:+,.2f}"

    @app.template_filter("when")
    def when(value: dt.datetime | dt.date | None) -> str:
        if value is None:
            return "–"
        if isinstance(value, dt.datetime):
            return f"{value:%Y-%m-%d %H:%M} UTC"
        return value.isoformat()

    @app.template_filter("ratio")
    def ratio(value: Any, limit: Any = None) -> str:
        """A pay ratio as "3.34" (before ":1"). Above ``limit`` it is rounded up, so a ratio
        of 3.001 never reads as the allowed "3"; otherwise to the nearest hundredth."""
        from decimal import ROUND_CEILING, ROUND_HALF_EVEN

        from coop.pay import format_ratio

        if value is None:
            return "–"
        over = limit is not None and value > limit
        return format_ratio(value, rounding=ROUND_CEILING if over else ROUND_HALF_EVEN)

    @app.template_filter("threshold_words")
    def threshold_words(value: str | None) -> str:
        from coop.governance import parse_threshold

        if not value:
            return "–"
        try:
            return parse_threshold(value).describe()
        except ValueError:
            return value
