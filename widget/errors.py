"""The errors a widget call can end with: each carries one of the contract's ``code``s."""

from __future__ import annotations

INVALID_CONFIG = "INVALID_CONFIG"
INVALID_API_KEY = "INVALID_API_KEY"
DOMAIN_NOT_REGISTERED = "DOMAIN_NOT_REGISTERED"
PERMISSION_DENIED = "PERMISSION_DENIED"
SYSTEM_CHECK_FAILED = "SYSTEM_CHECK_FAILED"
NETWORK_ERROR = "NETWORK_ERROR"
ALREADY_ACTIVE = "ALREADY_ACTIVE"
INVALID_LAUNCH_TOKEN = "INVALID_LAUNCH_TOKEN"  # the key requires a launch token from the exam platform

CODES = (
    INVALID_CONFIG,
    INVALID_API_KEY,
    DOMAIN_NOT_REGISTERED,
    PERMISSION_DENIED,
    SYSTEM_CHECK_FAILED,
    NETWORK_ERROR,
    ALREADY_ACTIVE,
    INVALID_LAUNCH_TOKEN,
)


class WidgetError(Exception):
    """A failure the embedding page can act on: ``code`` is stable, ``message`` is for people.

    ``details`` maps a field (or check) name to what was wrong with it; ``fields`` lists the names.
    """

    def __init__(self, code: str, message: str, details: dict[str, str] | None = None):
        assert code in CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = dict(details or {})

    @property
    def fields(self) -> list[str]:
        return list(self.details)

    def __repr__(self) -> str:
        return f"WidgetError({self.code!r}, {self.message!r})"


class NetworkFailure(Exception):
    """The request never got an HTTP answer (offline, DNS, CORS refused, connection reset)."""
