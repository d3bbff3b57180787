"""Clipboard: copy, cut or paste in the exam page → CLIPBOARD with ``details.action`` and
``details.length`` (characters). The content itself is never read into the event or sent."""

from __future__ import annotations

from typing import Any

from ..events import CLIPBOARD
from .base import Monitor

ACTIONS = ("copy", "cut", "paste")


class ClipboardMonitor(Monitor):
    def begin(self) -> None:
        for action in ACTIONS:
            self.listen("document", action, lambda event, action=action: self._on(action, event))

    def _on(self, action: str, event: Any) -> None:
        length = self.browser.clipboard_length(event, action)
        self.flag(CLIPBOARD, f"The candidate used {action} in the exam page ({length} characters)",
                  {"action": action, "length": length})
