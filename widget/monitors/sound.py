"""Sound: microphone PCM chunks → SoundDetector → SOUND_DETECTED with a WAV clip as a File."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..detect.sound import SoundDetector, SoundThresholds
from .base import Monitor


class SoundMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, media: Any, thresholds: SoundThresholds):
        super().__init__(browser, report, flag)
        self.media = media
        self.thresholds = thresholds
        self.detector: SoundDetector | None = None
        self.chunks = 0

    def begin(self) -> None:
        self.browser.spawn(self._start())

    async def _start(self) -> None:
        try:
            await self.media.start_audio(self._on_chunk)
        except Exception:
            if self.running:  # a real failure; one after the session ended (audio closed mid-start) is not
                raise

    def _on_chunk(self, chunk: Any, rate: int) -> None:
        if not self.running:
            return
        if self.detector is None or self.detector.rate != rate:
            self.detector = SoundDetector(rate, self.thresholds)
        self.chunks += 1
        finding = self.detector.feed(np.asarray(chunk, dtype=np.float32), self.browser.now())
        if finding is not None:
            clip = self.browser.make_file(self.detector.wav(), "sound.wav", "audio/wav")
            self.flag(finding.type, finding.description, finding.details, clip)
