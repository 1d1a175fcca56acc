"""Fixed-window rate limits, kept in this process's memory.

Three limits: password attempts per client address (on the token endpoint), failed bearer
tokens per client address (token guessing), and requests per token. Counters are per
process: behind several workers each allows its own share, so set the limits per worker
(or put a shared limiter in the proxy in front). The windows are fixed (a burst at a window
edge can reach twice the limit), which is enough to stop guessing.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from coop.errors import CoopError


class TooManyRequests(CoopError):
    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class FixedWindow:
    def __init__(self, limit: int, window_seconds: int, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._counts: dict[Any, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def _slot(self) -> int:
        return int(self.clock() // self.window)

    def retry_after(self) -> int:
        return max(1, math.ceil((self._slot() + 1) * self.window - self.clock()))

    def count(self, key: Any) -> int:
        slot = self._slot()
        with self._lock:
            seen_slot, n = self._counts.get(key, (slot, 0))
            return n if seen_slot == slot else 0

    def hit(self, key: Any) -> bool:
        """Count one event; False if it is over the limit."""
        slot = self._slot()
        with self._lock:
            if len(self._counts) > 100_000:  # forget old windows; bounded memory
                self._counts = {k: v for k, v in self._counts.items() if v[0] == slot}
            seen_slot, n = self._counts.get(key, (slot, 0))
            n = n + 1 if seen_slot == slot else 1
            self._counts[key] = (slot, n)
            return n <= self.limit


def _setting(config: dict[str, Any], name: str, default: int) -> int:
    """The app's config first (tests), then the environment (`coop serve` operators)."""
    value = config.get(name, os.environ.get(name))
    return default if value in (None, "") else int(value)


class Limits:
    def __init__(self, config: dict[str, Any], clock: Callable[[], float] = time.monotonic):
        self.logins = FixedWindow(_setting(config, "COOP_API_LOGIN_LIMIT", 10), 60, clock)
        self.failures = FixedWindow(_setting(config, "COOP_API_BAD_TOKEN_LIMIT", 20), 60, clock)
        self.tokens = FixedWindow(_setting(config, "COOP_API_TOKEN_LIMIT", 1200), 60, clock)

    def _refuse(self, window: FixedWindow, what: str) -> None:
        wait = window.retry_after()
        raise TooManyRequests(f"too many {what}; try again in {wait} s", retry_after=wait)

    def login_attempt(self, address: str | None) -> None:
        if not self.logins.hit(("login", address)):
            self._refuse(self.logins, "sign-in attempts from this address")

    def check_failures(self, address: str | None) -> None:
        """Refuse outright an address that has sent too many bad tokens this window."""
        if self.failures.count(("bad-token", address)) >= self.failures.limit:
            self._refuse(self.failures, "invalid tokens from this address")

    def failed(self, address: str | None) -> None:
        self.failures.hit(("bad-token", address))

    def hit_token(self, token_id: int) -> None:
        if not self.tokens.hit(("token", token_id)):
            self._refuse(self.tokens, "requests with this token")
