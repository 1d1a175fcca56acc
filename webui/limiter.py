"""Rate limits for both faces, counted by the `limits` library (the engine under Flask-Limiter).

What is counted, and on what key:

- failed sign-ins (portal login and the API's password grant alike) per account and per
  client address: a right password is refused while either budget is spent, a success
  clears the account's count (never the address's: one good account must not launder an
  address's guesses at others), and the member is told by mail once per lockout window;
- "forgot password" requests per account and per client address: each would send a mail;
- invalid bearer tokens per client address: a valid token from the same address keeps
  working while the guesser is refused;
- requests per token, and API requests without a token per client address (generously).

An "account" is the co-op and the email typed, whether or not a member has it: the
answers are then the same for strangers and members, so a limit tells nobody who is in the
co-op. Account keys are digests, so no email address sits in the limiter's storage.

Failures are counted in moving windows (no double burst at a window's edge); request
volume in fixed windows (one counter per key, cheap at 1200 a minute). The storage is this
process's memory unless ``COOP_RATELIMIT_STORAGE`` names another (any storage URI `limits`
knows, such as ``redis://host:6379``, with its client package installed), which the
worker processes of one installation then share.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Flask, Response, current_app, g, has_request_context, request
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from coop.errors import CoopError, Unauthenticated
from coop.models import Cooperative
from coop.services import outbox
from webui import request_db

log = logging.getLogger(__name__)

MINUTE, HOUR = 60, 3600


class TooManyRequests(CoopError):
    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Budget:
    #: The environment variable (or app config key) that sets ``amount``.
    setting: str
    amount: int
    seconds: int
    #: Moving window (failures) or fixed window (request volume).
    moving: bool
    #: How a refusal names what was spent: "too many {what}".
    what: str


BUDGETS: dict[str, Budget] = {
    "login.account": Budget("COOP_LOGIN_FAILURES_PER_ACCOUNT", 10, 15 * MINUTE, True,
                            "failed sign-ins for this account"),
    "login.address": Budget("COOP_LOGIN_FAILURES_PER_ADDRESS", 50, 15 * MINUTE, True,
                            "failed sign-ins from your network address"),
    "reset.account": Budget("COOP_RESET_MAILS_PER_ACCOUNT", 3, HOUR, True,
                            "password-reset requests for this email address"),
    "reset.address": Budget("COOP_RESET_REQUESTS_PER_ADDRESS", 10, HOUR, True,
                            "password-reset requests from your network address"),
    "api.bad_token": Budget("COOP_API_BAD_TOKEN_LIMIT", 20, MINUTE, True,
                            "invalid tokens from your network address"),
    "api.token": Budget("COOP_API_TOKEN_LIMIT", 1200, MINUTE, False, "requests with this token"),
    "api.anonymous": Budget("COOP_API_ANONYMOUS_LIMIT", 600, MINUTE, False,
                            "requests without a token from your network address"),
}
#: One lockout mail per account per lockout window, whatever the number of attempts.
NOTICE = "login.notice"


class SweptMemoryStorage(MemoryStorage):
    """`limits`' memory storage, forgetting expired counts inline (at most once a
    ``sweep_every`` seconds, on a write) instead of on its timer thread.

    Its timer is a non-daemon thread started on every burst of writes: a process cannot exit
    while one waits, and under libfaketime (CI runs the suite a year ahead) a timed wait never
    ends, so the test run hung at exit. The overrides are of two private methods of
    limits 5 (pinned below 6 in pyproject), which tests/api/test_api_ratelimits.py holds."""

    STORAGE_SCHEME = ["coop-memory"]  # not "memory": storage_from_string keeps limits' own

    def __init__(self, sweep_every: float = 1.0):
        super().__init__()
        self.timer.cancel()  # the one its constructor started
        self.timer.join()
        self.sweep_every = sweep_every
        self._swept_at = -math.inf

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= self.sweep_every:
            self._swept_at = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
            for key in list(self.events):  # it empties a key's list of events but keeps the key
                with self.locks[key]:
                    if not self.events.get(key):
                        self.events.pop(key, None)
                        self.locks.pop(key, None)


def _setting(config: Mapping[str, Any], name: str, default: Any) -> Any:
    """The app's config first (tests), then the environment (`coop serve` operators)."""
    value = config.get(name, os.environ.get(name))
    return default if value in (None, "") else value


class Limiter:
    """Named budgets over one `limits` storage. ``clock`` (seconds, the storage's own
    wall clock by default) only turns a window's end into a Retry-After."""

    def __init__(self, config: Mapping[str, Any], storage: Storage | None = None,
                 clock: Callable[[], float] = time.time):
        uri = str(_setting(config, "COOP_RATELIMIT_STORAGE", "memory://"))
        self.storage = storage or (SweptMemoryStorage() if uri == "memory://" else storage_from_string(uri))
        self.clock = clock
        self._moving = MovingWindowRateLimiter(self.storage)
        self._fixed = FixedWindowRateLimiter(self.storage)
        self.budgets = dict(BUDGETS)
        self.items: dict[str, RateLimitItem] = {}
        for name, budget in BUDGETS.items():
            raw = _setting(config, budget.setting, budget.amount)
            try:
                amount = int(raw)
            except (TypeError, ValueError):
                amount = 0
            if amount < 1:
                raise ValueError(f"{budget.setting} must be a whole number of at least 1, not {raw!r}")
            self.items[name] = RateLimitItemPerSecond(amount, budget.seconds, namespace="coop")
        lockout = BUDGETS["login.account"]
        self.budgets[NOTICE] = Budget("", 1, lockout.seconds, True, "lockout notices")
        self.items[NOTICE] = RateLimitItemPerSecond(1, lockout.seconds, namespace="coop")

    def _strategy(self, name: str) -> MovingWindowRateLimiter | FixedWindowRateLimiter:
        return self._moving if self.budgets[name].moving else self._fixed

    def limit(self, name: str) -> int:
        return self.items[name].amount

    def hit(self, name: str, key: str) -> bool:
        """Count one event; False (and not counted) once the budget is spent."""
        return self._strategy(name).hit(self.items[name], name, key)

    def spent(self, name: str, key: str) -> bool:
        return not self._strategy(name).test(self.items[name], name, key)

    def clear(self, name: str, key: str) -> None:
        self._strategy(name).clear(self.items[name], name, key)

    def retry_after(self, name: str, key: str) -> int:
        """Whole seconds until the budget has room again (at least 1). A window's last
        instant still counts its oldest event, hence the second past it."""
        stats = self._strategy(name).get_window_stats(self.items[name], name, key)
        wait = math.floor(stats.reset_time - self.clock()) + 1
        return min(max(1, wait), self.budgets[name].seconds)

    def refuse(self, name: str, key: str) -> NoReturn:
        wait = self.retry_after(name, key)
        if has_request_context():  # the portal's pages get their Retry-After from here (see init_app)
            g.coop_retry_after = wait
        raise TooManyRequests(f"too many {self.budgets[name].what}; try again in {wait_words(wait)}",
                              retry_after=wait)

    def check(self, name: str, key: str) -> None:
        if self.spent(name, key):
            self.refuse(name, key)

    def take(self, name: str, key: str) -> None:
        """Count one event, or refuse it if the budget is spent."""
        if not self.hit(name, key):
            self.refuse(name, key)

    def reset(self) -> None:
        """Forget every count (tests; an operator lifting a lockout restarts the server)."""
        self.storage.reset()


def wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


def current() -> Limiter:
    return current_app.extensions["coop.limiter"]  # type: ignore[no-any-return]


def client_address() -> str:
    """The client's address as the server sees it; an IPv6 client by its /64, the block one
    household or server is given (counting each of its 2^64 addresses apart would count
    nothing)."""
    raw = request.remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def account_key(coop_id: int, email: str) -> str:
    return hashlib.sha256(f"{coop_id}:{(email or '').strip().lower()}".encode()).hexdigest()[:32]


# -- what the faces call -----------------------------------------------------------------------

@contextmanager
def password_attempt(coop: Cooperative, email: str) -> Iterator[None]:
    """Around a password check (portal login, the API's password grant): refused with 429
    while the account or the client address has spent its budget of failures, even for the
    right password; a refused password counts against both; a success clears the account's
    count. When an account's budget runs out, its member (if the email is a member's) is told
    by mail, once per lockout window."""
    limiter, account, address = current(), account_key(coop.id, email), client_address()
    limiter.check("login.account", account)
    limiter.check("login.address", address)
    try:
        yield
    except Unauthenticated:
        limiter.hit("login.address", address)
        limiter.hit("login.account", account)
        if limiter.spent("login.account", account) and limiter.hit(NOTICE, account):
            failures, window = limiter.limit("login.account"), limiter.budgets["login.account"].seconds
            coop_id = coop.id
            _after_refusal(lambda session, now: outbox.warn_of_locked_login(
                session, session.get(Cooperative, coop_id), email, failures=failures,
                minutes=window // 60, now=now))
        raise
    limiter.clear("login.account", account)


def reset_requested(coop: Cooperative, email: str) -> None:
    """Before a "forgot password" mail: refused with 429 once the email address or the
    client address has asked too often, counted whether or not the email is a member's."""
    limiter, account, address = current(), account_key(coop.id, email), client_address()
    limiter.check("reset.account", account)
    limiter.check("reset.address", address)
    limiter.hit("reset.account", account)
    limiter.hit("reset.address", address)


def _after_refusal(write: Callable[[Session, Any], object]) -> None:
    """Something to write although the request is refused (its own changes are not kept)."""
    g.setdefault("coop_limiter_writes", []).append(write)


def init_app(app: Flask) -> None:
    app.extensions["coop.limiter"] = Limiter(app.config)

    # Registered after webui.request_db's commit hook, so it runs before it (Flask runs
    # after-request functions in reverse order).
    @app.after_request
    def _limiter_after(response: Response) -> Response:
        writes = g.pop("coop_limiter_writes", None)
        if writes:
            session = request_db.get_session()
            try:
                if response.status_code >= 400:
                    session.rollback()  # what the refused request did is not kept; the notice is
                now = request_db.request_now()
                for write in writes:
                    write(session, now)
                session.flush()
            except SQLAlchemyError:
                log.exception("could not record a lockout notice")
                session.rollback()
            else:
                request_db.commit_despite_refusal()
        wait = g.pop("coop_retry_after", None)
        if response.status_code == 429 and wait is not None:
            response.headers.setdefault("Retry-After", str(wait))
        return response
