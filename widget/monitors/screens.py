"""More than one screen: ``screen.isExtended`` true at the start or becoming true (its ``change``
event) → MULTIPLE_SCREENS, once per time it becomes true. ``details.screens`` lists them (label,
size, primary) when the page already holds the Window Management permission; Eye never asks
for it."""

from __future__ import annotations

from ..events import MULTIPLE_SCREENS
from .base import Monitor


class ScreensMonitor(Monitor):
    def begin(self) -> None:
        self.extended = False
        self.listen("screen", "change", lambda *_: self.browser.spawn(self._check()))
        self.browser.spawn(self._check())

    async def _check(self) -> None:
        extended = bool(self.browser.screen_extended())
        if extended and not self.extended and self.running:
            self.extended = True
            details: dict[str, object] = {"isExtended": True}
            screens = await self.browser.screen_list()
            if screens is not None:
                details["screens"] = screens
            if self.running:
                self.flag(MULTIPLE_SCREENS, "More than one screen is connected", details)
        elif not extended:
            self.extended = False
