"""Settings, read from the environment once and passed around explicitly.

Nothing here builds an engine or touches the disk at import time (app-factory habit).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


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
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        instance_dir = Path(env.get("COOP_INSTANCE_DIR") or _default_instance_dir())
        url = env.get("COOP_DATABASE_URL") or f"sqlite:///{instance_dir / 'coop.sqlite3'}"
        return cls(
            database_url=url,
            secret_key=env.get("COOP_SECRET_KEY") or _dev_secret(instance_dir),
            key_dir=Path(env.get("COOP_KEY_DIR") or instance_dir / "keys"),
            instance_dir=instance_dir,
            secure_cookies=env.get("COOP_SECURE_COOKIES", "1") not in ("0", "false", "no"),
            smtp_host=env.get("COOP_SMTP_HOST") or None,
            smtp_port=int(env.get("COOP_SMTP_PORT") or 25),
            mail_from=env.get("COOP_MAIL_FROM") or "coop@localhost",
        )


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
