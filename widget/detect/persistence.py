"""One incident, one flag: a condition must hold for ``hold`` seconds, then stays quiet while it
goes on, and a new incident is not flagged within ``cooldown`` seconds of the last flag."""

from __future__ import annotations


class Persistence:
    def __init__(self, hold: float, cooldown: float):
        self.hold = hold
        self.cooldown = cooldown
        self.since: float | None = None
        self.flagged_at: float | None = None
        self._reported = False

    def update(self, active: bool, t: float) -> bool:
        """Feed the condition at time ``t``; True exactly when a flag is due."""
        if not active:
            self.since = None
            self._reported = False
            return False
        if self.since is None:
            self.since = t
        if self._reported or t - self.since < self.hold:
            return False
        if self.flagged_at is not None and t - self.flagged_at < self.cooldown:
            return False
        self._reported = True
        self.flagged_at = t
        return True

    def duration(self, t: float) -> float:
        return 0.0 if self.since is None else t - self.since
