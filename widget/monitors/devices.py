"""Devices: a camera or microphone track that ends mid-exam → DEVICE_LOST (one flag per device)."""

from __future__ import annotations

from typing import Any

from ..events import DEVICE_LOST
from .base import Monitor


class DeviceMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, media: Any):
        super().__init__(browser, report, flag)
        self.media = media
        self.lost: set[str] = set()

    def begin(self) -> None:
        self.media.on_ended(self._ended)

    def _ended(self, device: str) -> None:
        if self.running and device not in self.lost:
            self.lost.add(device)
            self.flag(DEVICE_LOST, f"The {device} stopped during the exam", {"device": device})
