"""Screen sharing: the shared entire screen ends mid-exam (the candidate pressed "Stop sharing")
→ SCREEN_SHARE_STOPPED, and the overlay asks to share the entire screen again (a browser shows
its screen picker only after a click, so the candidate presses the overlay's button)."""

from __future__ import annotations

from typing import Any

from ..errors import WidgetError
from ..events import SCREEN_SHARE_STOPPED
from ..language import N_, Words, words
from .base import Monitor

ACTIVE_STATUS = N_("Eye proctoring is active (screen shared)")
#: What the candidate reads after sharing something other than the entire screen, by surface.
SHARED_INSTEAD = {
    "window": N_("You shared a window. This exam needs your entire screen."),
    "browser": N_("You shared a browser tab. This exam needs your entire screen."),
    "": N_("You shared only part of your screen. This exam needs your entire screen."),
}


class SharedScreen:
    """Holds the current screen share (None while the candidate has stopped sharing), for the
    monitors and evidence that use it."""

    def __init__(self, screen: Any = None):
        self.screen = screen

    async def snapshot(self, name: str = "screen.jpg") -> Any:
        """A JPEG of the shared screen now, or None while it is not shared."""
        screen = self.screen
        return None if screen is None else await screen.snapshot(name)

    def close(self) -> None:
        screen, self.screen = self.screen, None
        if screen is not None:
            screen.close()


class ScreenShareMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, holder: Any, overlay: Any, say: Words | None = None):
        """``holder.screen`` is the current share; a new one replaces it there (evidence and
        snapshots then use it). ``say``: the candidate's language."""
        super().__init__(browser, report, flag)
        self.holder = holder
        self.overlay = overlay
        self.say = say or words()
        self.stops = 0

    def begin(self) -> None:
        self._watch(self.holder.screen)

    def _watch(self, share: Any) -> None:
        share.on_ended(lambda: self._stopped(share))

    def _stopped(self, share: Any) -> None:
        if not self.running or share is not self.holder.screen:
            return
        self.stops += 1
        self.holder.screen = None
        self.browser.call_later(0, share.close)  # not from inside the track's own event handler
        self.flag(SCREEN_SHARE_STOPPED, "The candidate stopped sharing their screen", {"stops": self.stops})
        self.browser.spawn(self._ask_again())

    async def _ask_again(self) -> None:
        """Until the entire screen is shared again (or the exam ends)."""
        t = self.say
        text = t("You stopped sharing your screen. This exam needs your entire screen: share it again.")
        while self.running and self.holder.screen is None:
            if not await self.overlay.prompt(text, t("Share entire screen")):
                return
            try:
                share = await self.browser.share_screen()
            except WidgetError:  # declined the picker: ask again
                text = t("Screen sharing was declined. This exam needs your entire screen: share it again.")
                continue
            if share.surface != "monitor":
                share.close()
                text = t(SHARED_INSTEAD.get(share.surface, SHARED_INSTEAD[""]))
                continue
            if not self.running:
                share.close()
                return
            self.holder.screen = share
            self._watch(share)
            self.overlay.set_status(t(ACTIVE_STATUS))
