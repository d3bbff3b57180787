"""Split screen: the window's share of the screen, checked on ``resize`` and every second, fed
to ``WindowJudge`` → WINDOW_RESIZED when it stays too small (``thresholds.minWindowShare`` for
``thresholds.windowResizeSeconds``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..detect.window import WindowJudge
from ..events import WINDOW_RESIZED
from .base import Flag, Monitor, Report

if TYPE_CHECKING:
    from ..browser.adapter import Browser

CHECK_SECONDS = 1.0


class WindowMonitor(Monitor):
    def __init__(self, browser: "Browser", report: Report, flag: Flag, *, judge: WindowJudge):
        super().__init__(browser, report, flag)
        self.judge = judge

    def begin(self) -> None:
        self.listen("window", "resize", lambda *_: self._check())
        self.every(CHECK_SECONDS, self._check)
        self._check()

    def _check(self) -> None:
        share = self.browser.window_share()
        small_for = self.judge.observe(self.browser.now(), share)
        if small_for is not None:
            self.flag(WINDOW_RESIZED, f"The exam window covers only {share:.0%} of the screen (split screen?)",
                      {"share": round(share, 3), "minShare": self.judge.th.min_share, "seconds": round(small_for, 1)})
