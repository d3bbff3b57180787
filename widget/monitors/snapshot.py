"""Periodic snapshots: a JPEG of the camera at randomized intervals (PERIODIC_SNAPSHOT)."""

from __future__ import annotations

from typing import Any

from ..detect.snapshots import SnapshotSchedule
from ..events import PERIODIC_SNAPSHOT
from .base import Monitor


class SnapshotMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, media: Any, schedule: SnapshotSchedule):
        super().__init__(browser, report, flag)
        self.media = media
        self.schedule = schedule

    def begin(self) -> None:
        self.every(self.schedule.next_delay, lambda: self.browser.spawn(self._take()))

    async def _take(self) -> None:
        image = await self.media.snapshot("snapshot.jpg")
        if self.running:
            self.flag(PERIODIC_SNAPSHOT, "Periodic snapshot", {}, image)
