"""Domain errors raised by the services.

Each carries a message a person can act on and, where one input is at fault, the field
that is wrong. The faces map them: HTTP status and problem+json in the API, a flash
message in the portal, one line and a non-zero exit code in the CLI.
"""

from __future__ import annotations


class CoopError(Exception):
    """Base class. ``http_status`` is a hint for the web faces."""

    http_status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(CoopError):
    """The request is well-formed but a value is not acceptable."""

    http_status = 422


class NotFound(CoopError):
    http_status = 404


class PermissionDenied(CoopError):
    http_status = 403


class Unauthenticated(CoopError):
    http_status = 401


class Conflict(CoopError):
    """The action is not possible in the object's current state (vote after close…)."""

    http_status = 409


class PolicyViolation(InvalidInput):
    """The co-op's own rules forbid it (pay policy, the pale, thresholds)."""
