"""Periodic snapshots: a JPEG at randomized intervals (PERIODIC_SNAPSHOT) — of the camera, or,
with screen monitoring on, of the camera and the shared screen in turn (``details.source``)."""

from __future__ import annotations

from typing import Any

from ..detect.snapshots import SnapshotSchedule
from ..events import PERIODIC_SNAPSHOT
from .base import Monitor


class SnapshotMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, media: Any, schedule: SnapshotSchedule,
                 screen: Any = None):
        super().__init__(browser, report, flag)
        self.media = media
        self.schedule = schedule
        self.screen = screen  # a SharedScreen, or None without screen monitoring
        self.taken = 0

    def begin(self) -> None:
        self.every(self.schedule.next_delay, lambda: self.browser.spawn(self._take()))

    async def _take(self) -> None:
        self.taken += 1
        image = None
        source = "camera"
        if self.screen is not None and self.taken % 2 == 0:
            image, source = await self.screen.snapshot("screen.jpg"), "screen"
        if image is None:  # the camera's turn, or the screen is not shared right now
            image, source = await self.media.snapshot("snapshot.jpg"), "camera"
        if self.running:
            self.flag(PERIODIC_SNAPSHOT, f"Periodic snapshot ({source})", {"source": source}, image)
