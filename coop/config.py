"""Settings, read from the environment once and passed around explicitly.

Nothing here builds an engine or touches the disk at import time (app-factory habit).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from coop.clock import parse_offset
from coop.webhook_targets import TargetPolicy, parse_networks

#: Where links point when no COOP_BASE_URL is set in local mode (COOP_SECURE_COOKIES=0):
#: `coop serve`'s own default address, the one the README's demo opens.
LOCAL_BASE_URL = "http://127.0.0.1:5000"
#: The names a browser on the same machine uses; trusted in local mode only.
LOCAL_HOSTS = ("127.0.0.1", "localhost")
#: A host name or IPv4 address as Werkzeug matches it; a leading dot trusts every subdomain.
_HOST = re.compile(r"\.?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable to fix."""


def _default_instance_dir() -> Path:
    return Path(os.environ.get("COOP_INSTANCE_DIR", Path.cwd() / "instance"))


@dataclass(frozen=True)
class Settings:
    #: SQLAlchemy URL. Default: an embedded SQLite file under ./instance — nothing to install.
    database_url: str
    #: Flask session and CSRF signing key.
    secret_key: str
    #: Where per-co-op Ed25519 checkpoint signing keys live. Keys are deliberately kept out of
    #: the database: the database is not trusted, and whoever can write it must not also be
    #: able to sign a rewritten history.
    key_dir: Path
    instance_dir: Path
    #: Cookies only over HTTPS. On by default; the local demo turns it off explicitly.
    secure_cookies: bool = True
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "coop@localhost"
    #: The address members reach the portal at (``https://coop.example.org``, no trailing
    #: slash). Links that leave the request — reset and invitation links, links in mail —
    #: are built from it, never from a request's Host header, which the client chooses.
    base_url: str | None = None
    #: Further host names the web app answers to, besides ``base_url``'s (a proxy's
    #: internal name, say). Any other Host header is refused with 400.
    trusted_hosts: tuple[str, ...] = ()
    #: Where webhooks may be sent: the public internet, plus the networks in
    #: COOP_WEBHOOK_ALLOW_NETWORKS (receivers on the premises). See coop/webhook_targets.py.
    webhook_targets: TargetPolicy = TargetPolicy()
    extra: dict[str, str] = field(default_factory=dict)
    #: Added to the wall clock at the entry points (COOP_CLOCK_OFFSET): demo and test
    #: installations only, to let a notice period or a vote pass at once.
    clock_offset: dt.timedelta = dt.timedelta(0)

    def links_base(self) -> str:
        """The address external links start with.

        COOP_BASE_URL when set. Without it, local mode (COOP_SECURE_COOKIES=0, the demo on
        one's own machine) falls back to ``LOCAL_BASE_URL``; anywhere else there is no
        address we could honestly put in a member's mailbox, so this refuses.

        :raise ConfigError: no COOP_BASE_URL outside local mode.
        """
        if self.base_url:
            return self.base_url
        if not self.secure_cookies:
            return LOCAL_BASE_URL
        raise ConfigError("COOP_BASE_URL is not set: give the portal's public address, e.g. "
                          "COOP_BASE_URL=https://coop.example.org (or COOP_SECURE_COOKIES=0 for "
                          "plain-HTTP use on this machine, which links to " + LOCAL_BASE_URL + ")")

    def allowed_hosts(self) -> list[str]:
        """The Host header values the web app accepts (ports are not compared).

        :raise ConfigError: as :meth:`links_base`.
        """
        hosts = [urlsplit(self.links_base()).hostname or ""]
        if not self.secure_cookies:
            hosts += LOCAL_HOSTS
        return list(dict.fromkeys(hosts + list(self.trusted_hosts)))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        instance_dir = Path(env.get("COOP_INSTANCE_DIR") or _default_instance_dir())
        url = env.get("COOP_DATABASE_URL") or f"sqlite:///{instance_dir / 'coop.sqlite3'}"
        secure_cookies = env.get("COOP_SECURE_COOKIES", "1") not in ("0", "false", "no")
        offset = parse_offset(env.get("COOP_CLOCK_OFFSET", ""))
        if offset and secure_cookies:
            # A moved clock closes votes early and dates pay wrongly: never in production.
            raise ValueError("COOP_CLOCK_OFFSET is for demo and test installations only; it is refused "
                             "while COOP_SECURE_COOKIES is on (production)")
        return cls(
            database_url=url,
            secret_key=env.get("COOP_SECRET_KEY") or _dev_secret(instance_dir),
            key_dir=Path(env.get("COOP_KEY_DIR") or instance_dir / "keys"),
            instance_dir=instance_dir,
            secure_cookies=secure_cookies,
            smtp_host=env.get("COOP_SMTP_HOST") or None,
            smtp_port=int(env.get("COOP_SMTP_PORT") or 25),
            mail_from=env.get("COOP_MAIL_FROM") or "coop@localhost",
            base_url=parse_base_url(env.get("COOP_BASE_URL") or ""),
            trusted_hosts=parse_hosts(env.get("COOP_TRUSTED_HOSTS") or ""),
            webhook_targets=TargetPolicy(parse_networks(env.get("COOP_WEBHOOK_ALLOW_NETWORKS", ""))),
            clock_offset=offset,
        )


def parse_base_url(raw: str) -> str | None:
    """``http(s)://host[:port][/path]`` without a trailing slash, or None when blank.

    :raise ConfigError: anything else (a query, a fragment, credentials, no host).
    """
    raw = raw.strip()
    if not raw:
        return None
    problem = "COOP_BASE_URL: give the portal's address as https://host[:port][/path], e.g. https://coop.example.org"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (raises ValueError on a port out of range)
    except ValueError:
        raise ConfigError(problem) from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(host) or host.startswith(".") \
            or parts.query or parts.fragment or parts.username is not None or "\\" in raw:
        raise ConfigError(problem)
    return raw.rstrip("/")


def parse_hosts(raw: str) -> tuple[str, ...]:
    """COOP_TRUSTED_HOSTS: host names separated by commas or spaces; ``.example.org``
    trusts every subdomain of example.org.

    :raise ConfigError: an entry that is not a host name (a scheme, a port, a path, ``*``).
    """
    hosts = tuple(h.lower() for h in re.split(r"[\s,]+", raw.strip()) if h)
    for host in hosts:
        if not _HOST.fullmatch(host):
            raise ConfigError(f"COOP_TRUSTED_HOSTS: '{host}' is not a host name (write coop.example.org, "
                              "or .example.org for every subdomain; no scheme, port or path)")
    return hosts


def _dev_secret(instance_dir: Path) -> str:
    """A per-installation random secret kept in the instance folder.

    Production sets COOP_SECRET_KEY; a laptop demo still gets a secret nobody else knows
    rather than a constant compiled into the code.
    """
    import secrets

    path = instance_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value
