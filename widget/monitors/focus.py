"""Tab focus: Page Visibility plus window blur/focus → TAB_FOCUS_CHANGE and TAB_NOT_FOCUS."""

from __future__ import annotations

from typing import Any

from ..events import TAB_FOCUS_CHANGE, TAB_NOT_FOCUS
from .base import Monitor


class FocusMonitor(Monitor):
    """The page counts as focused while it is visible and its window has focus.

    Each change is reported once; every loss of focus is one TAB_NOT_FOCUS flag (one incident).
    """

    def begin(self) -> None:
        self.focused = self.browser.is_focused()
        self.listen("document", "visibilitychange", self._on_visibility)
        self.listen("window", "blur", self._on_blur)
        self.listen("window", "focus", self._on_focus)

    def _on_visibility(self, *_: Any) -> None:
        self._observe(self.browser.is_focused(), "the page was hidden (tab switched or window minimized)")

    def _on_blur(self, *_: Any) -> None:
        self._observe(False, "the exam window lost focus")

    def _on_focus(self, *_: Any) -> None:
        self._observe(self.browser.is_visible(), "")

    def _observe(self, focused: bool, why: str) -> None:
        if focused == self.focused:
            return
        self.focused = focused
        self.report(TAB_FOCUS_CHANGE, {"focused": focused})
        if not focused:
            self.flag(TAB_NOT_FOCUS, f"Candidate left the exam: {why}", {"visible": self.browser.is_visible()})
