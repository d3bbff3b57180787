"""When to take periodic snapshots: around ``interval`` seconds apart, randomized (±``spread``),
so a candidate cannot predict them."""

from __future__ import annotations

import random


class SnapshotSchedule:
    def __init__(self, interval: float, *, spread: float = 0.3, rng: random.Random | None = None):
        self.interval = interval
        self.spread = spread
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        return self.interval * (1.0 + self.rng.uniform(-self.spread, self.spread))
