"""Split screen: is the exam window persistently smaller than a share of the screen?

``share`` is the smaller of the window's width and height as fractions of the screen's available
area (outer window size where the browser reports it). A window below ``min_share`` for
``seconds`` is one incident (one flag); the next needs the window to have been large again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class WindowThresholds:
    min_share: float = 0.8
    seconds: float = 3.0


class WindowJudge:
    def __init__(self, thresholds: WindowThresholds | None = None):
        self.th = thresholds or WindowThresholds()
        self._small_since: float | None = None
        self._flagged = False

    def observe(self, now: float, share: float) -> float | None:
        """Feed one measurement; returns how long the window has been small when that becomes an
        incident (once per incident), else None."""
        if share >= self.th.min_share:
            self._small_since, self._flagged = None, False
            return None
        if self._small_since is None:
            self._small_since = now
        small_for = now - self._small_since
        if not self._flagged and small_for >= self.th.seconds:
            self._flagged = True
            return small_for
        return None
