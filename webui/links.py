"""Where the web app's links and redirects may point.

Two rules, each kept in one function:

- A link that leaves the request (a reset or invitation link, shown to a secretary or put in
  mail) is built from the configured address, COOP_BASE_URL, never from the request's Host
  header: the client chooses that header, so a forged one would put an attacker's site in
  a member's mailbox with a valid token attached.
- A redirect whose target the client supplies (``next=``) is followed only to a path on this
  site; anything else goes to the page's default. An open redirect lets a phishing link log
  people in to the real portal and then send them elsewhere.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` at the configured address (``Settings.links_base``).

    Built on a URL adapter bound to that address, so a base with a path
    (``https://example.org/coop``) is the application root, as it is for mail links.
    """
    base = urlsplit(current_app.config["COOP_SETTINGS"].links_base())
    current_app.inject_url_defaults(endpoint, values)  # the co-op slug, as url_for adds it
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def local_target(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``.

    The value is parsed as a URL exactly as received, nothing stripped: browsers drop tabs
    and line breaks from URLs and read a backslash as a slash, so ``/\\t/evil.example`` or
    ``/\\evil.example`` would become ``//evil.example``, another site. Refused: anything with a
    scheme or a host, anything not starting with exactly one ``/``, backslashes, and control
    characters (which would also break the Location header).
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(unicodedata.category(c) == "Cc" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
