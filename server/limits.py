"""Rate limits: token buckets per key (API key, session), in this process's memory.

Each instance limits on its own; behind a load balancer of N instances the effective limit is up
to N times higher, which still bounds abuse. Refusals are ``429`` with ``Retry-After``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class Limit:
    rate: float  # tokens per second
    burst: float  # bucket size


class RateLimiter:
    def __init__(self, limit: Limit, clock=time.monotonic, max_keys: int = 100_000):  # type: ignore[no-untyped-def]
        self.limit = limit
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float | None:
        """Spend ``cost``; None when allowed, else the seconds to wait before retrying."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.limit.burst, now))
            tokens = min(self.limit.burst, tokens + (now - last) * self.limit.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                return None
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self.max_keys:
                self._buckets.clear()  # bounded memory; a burst of new keys only resets buckets
            return max(1.0, math.ceil((cost - tokens) / self.limit.rate))
