"""Fullscreen: ``fullscreenchange`` → FULLSCREEN_CHANGE, and EXIT_FULLSCREEN when it is left."""

from __future__ import annotations

from typing import Any

from ..events import EXIT_FULLSCREEN, FULLSCREEN_CHANGE
from .base import Monitor


class FullscreenMonitor(Monitor):
    def begin(self) -> None:
        self.fullscreen = self.browser.is_fullscreen()
        self.listen("document", "fullscreenchange", self._on_change)

    def _on_change(self, *_: Any) -> None:
        now = self.browser.is_fullscreen()
        if now == self.fullscreen:
            return
        self.fullscreen = now
        self.report(FULLSCREEN_CHANGE, {"fullscreen": now})
        if not now:
            self.flag(EXIT_FULLSCREEN, "Candidate left fullscreen mode", {})
