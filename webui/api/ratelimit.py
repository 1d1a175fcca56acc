"""The API's rate limits, keyed on what identifies the caller (counted by ``webui.limiter``).

- With a valid token: its own budget of requests (``COOP_API_TOKEN_LIMIT`` a minute).
- With an invalid token: the client address's budget of failures; once spent, invalid
  tokens from it get 429 while valid tokens from the same address keep working (a token
  holds 256 random bits: the budget curbs a flood, not a guess that could succeed).
- Without a token: a generous budget of requests per client address.
- Email and password (``POST …/tokens``): the sign-in budgets shared with the portal
  (``webui.limiter.password_attempt``).
"""

from __future__ import annotations

from flask import request

from webui.limiter import TooManyRequests, client_address, current

__all__ = ["TooManyRequests", "anonymous_request", "bad_token", "token_request"]


def anonymous_request() -> None:
    if "Authorization" not in request.headers:
        current().take("api.anonymous", client_address())


def bad_token() -> None:
    """Count an invalid token against the client's address; 429 once its budget is spent."""
    current().take("api.bad_token", client_address())


def token_request(token_id: int) -> None:
    current().take("api.token", str(token_id))
