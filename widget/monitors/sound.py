"""Sound: microphone PCM chunks → SoundDetector → SOUND_DETECTED with a WAV clip as a File.

The microphone worklet posts half a second of PCM at a time (one crossing into Python instead of
five); the detector still judges it in 100 ms windows, each with its own time."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..detect.sound import SoundDetector, SoundThresholds
from .base import Monitor

#: The detector's window: levels, the noise floor and the voice band are judged per 100 ms.
WINDOW_SECONDS = 0.1


class SoundMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, media: Any, thresholds: SoundThresholds):
        super().__init__(browser, report, flag)
        self.media = media
        self.thresholds = thresholds
        self.detector: SoundDetector | None = None
        self.chunks = 0  # 100 ms windows judged

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
        samples = np.asarray(chunk, dtype=np.float32)
        step = max(1, int(rate * WINDOW_SECONDS))
        end = self.browser.now()
        for start in range(0, samples.size, step):
            window = samples[start : start + step]
            self.chunks += 1
            finding = self.detector.feed(window, end - (samples.size - start - window.size) / rate)
            if finding is not None:
                clip = self.browser.make_file(self.detector.wav(), "sound.wav", "audio/wav")
                self.flag(finding.type, finding.description, finding.details, clip)
