"""Search: one box in the header, results grouped by type with links."""

from __future__ import annotations

from typing import Any

from flask import request

from coop.errors import CoopError, InvalidInput
from coop.services import search
from webui.portal.web import bp, coop, db, me, render
from webui.request_db import request_now

#: Hits shown per group on the first results page; "more" pages a single group.
PER_GROUP = 10
PER_PAGE = 50


@bp.route("/search")
def search_page() -> Any:
    q = request.args.get("q", "")
    only = request.args.get("type") or None
    cursor = request.args.get("cursor") or None
    context: dict[str, Any] = {"form": {"q": q}, "only": only, "groups": {}, "next": {}, "searched": False}
    if not q.strip() and not only:
        search.readable_types(coop(), me())  # the page itself follows the co-op's reading rule
        return render("portal/search.html", **context)
    try:
        if only is not None and only not in search.TYPES:
            raise InvalidInput(f"one of {', '.join(search.TYPES)}", field="type")
        types = [t for t in search.readable_types(coop(), me()) if only is None or t == only]
        for t in types:
            page = search.search(db(), coop(), me(), q, type=t, cursor=cursor if only else None,
                                 limit=PER_PAGE if only else PER_GROUP, now=request_now())
            context["groups"][t] = page.items
            context["next"][t] = page.next_cursor
    except CoopError as exc:
        if exc.http_status in (401, 403):
            raise
        context["errors"] = {exc.field or "q": exc.message}
        return render("portal/search.html", 400, **context)
    context["searched"] = True
    return render("portal/search.html", **context)
