"""Retry timing: exponential backoff with jitter, capped; a server's Retry-After wins."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None):
        self.base = base
        self.cap = cap
        self.rng = rng or random.Random()
        self.failures = 0

    def failure(self, retry_after: float | None = None) -> float:
        """Seconds to wait after one more failure (``retry_after`` from a 429 is honoured)."""
        self.failures += 1
        delay: float = min(self.cap, self.base * 2 ** (self.failures - 1)) * float(self.rng.uniform(0.5, 1.5))
        return max(delay, retry_after or 0.0)

    def success(self) -> None:
        self.failures = 0
