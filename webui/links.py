"""Where the web app's links may point.

- A link that leaves the request (a reset or invitation link, shown to a secretary or put in
  mail) is built from the configured address, COOP_BASE_URL, never from the request's Host
  header: the client chooses that header, so a forged one would put an attacker's site in
  a member's mailbox with a valid token attached.
"""

from __future__ import annotations

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

