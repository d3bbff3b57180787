"""Rate limits through the ``limits`` library (moving windows): in this process's memory by
default, or in Redis (``EYE_REDIS_URL=redis://host:6379/0``) so that every instance behind a load
balancer counts against the same windows. Refusals are ``429`` with ``Retry-After``.
"""

from __future__ import annotations

import math
import os
import time

from limits import RateLimitItem, parse, storage, strategies

REDIS_ENV = "EYE_REDIS_URL"

#: name → limit, in ``limits``' notation ("N per T"): an average rate with room for a burst.
LIMITS = {
    "key": "200 per 10 seconds",  # per API key: session creations (20/s on average)
    "key_address": "60 per 30 seconds",  # per API key and client address (a test centre behind one NAT)
    "preflight": "200 per 10 seconds",  # the same, for the checks the widget makes before consent
    "preflight_address": "60 per 30 seconds",
    "events": "40 per 4 seconds",  # per session: event batches
    "media": "20 per 4 seconds",  # per session: evidence uploads
    "secret_key": "200 per 10 seconds",  # per secret key: platform API requests (shared across instances)
    "login_email": "5 per minute",  # per (reviewer email, client address): sign-in tries
    "login_ip": "30 per 30 seconds",  # per client address: sign-in tries
    "check_address": "12 per minute",  # per client address: the setup check's upload probes (no key)
}


def storage_for(url: str | None = None) -> storage.Storage:
    """Redis when ``url`` (or ``EYE_REDIS_URL``) names one, else this process's memory."""
    found = storage.storage_from_string(url or os.environ.get(REDIS_ENV) or "memory://")
    if not isinstance(found, storage.Storage):  # an async storage URL ("async+redis://") cannot serve these strategies
        raise ValueError(f"{REDIS_ENV}: expected a redis:// or memory:// URL, received an asynchronous storage")
    return found


class RateLimiter:
    """One named limit over a shared storage: ``take(key)`` spends one request."""

    def __init__(self, name: str, item: RateLimitItem | str, store: storage.Storage):
        self.name = name
        self.item = parse(item) if isinstance(item, str) else item
        self._limiter = strategies.MovingWindowRateLimiter(store)

    def take(self, key: str) -> float | None:
        """None when allowed, else the seconds to wait before the next request can pass."""
        if self._limiter.hit(self.item, "eye", self.name, key):
            return None
        reset = self._limiter.get_window_stats(self.item, "eye", self.name, key).reset_time
        return float(max(1, math.ceil(reset - time.time())))


def limiters(store: storage.Storage, limits: dict[str, str] | None = None) -> dict[str, RateLimiter]:
    return {name: RateLimiter(name, item, store) for name, item in (limits or LIMITS).items()}
