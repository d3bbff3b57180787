"""Sound flags from raw microphone PCM: RMS level in dBFS against an adaptive noise floor, the
share of energy in the voice band (rfft), and hysteresis, so one burst of talking is one flag.

Fed ~100 ms chunks. A sound episode starts when the level rises ``margin_db`` above the noise
floor (and above ``min_level_db``) with enough voice-band energy, and ends after ``release``
seconds below ``floor + release_db``. An episode that lasts ``min_seconds`` is flagged once — when
it ends, or once it has lasted ``max_clip_seconds`` — with a WAV clip of it (from a ring buffer,
including ``pre_roll`` seconds before it began).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..events import SOUND_DETECTED
from . import Finding
from .wav import encode_wav


@dataclass
class SoundThresholds:
    margin_db: float = 15.0  # above the noise floor
    min_level_db: float = -50.0  # never flag quieter than this
    release_db: float = 6.0
    min_seconds: float = 1.0
    release_seconds: float = 0.6
    cooldown_seconds: float = 10.0
    voice_ratio: float = 0.35  # share of 80 Hz–4 kHz energy in the chunk
    initial_floor_db: float = -70.0
    lowest_floor_db: float = -100.0  # no real microphone is quieter; digital silence would drag the floor to -180
    floor_adapt: float = 0.05  # per quiet chunk
    max_clip_seconds: float = 6.0
    pre_roll: float = 0.5


def rms_db(chunk: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(chunk, dtype=np.float64)))) if chunk.size else 0.0
    return 20.0 * float(np.log10(max(rms, 1e-9)))


def voice_band_ratio(chunk: np.ndarray, rate: int, low: float = 80.0, high: float = 4000.0) -> float:
    power = np.abs(np.fft.rfft(chunk * np.hanning(chunk.size))) ** 2
    freqs = np.fft.rfftfreq(chunk.size, 1.0 / rate)
    total = float(power[freqs >= 20].sum())
    if total <= 0:
        return 0.0
    return float(power[(freqs >= low) & (freqs <= high)].sum() / total)


class SoundDetector:
    def __init__(self, rate: int, thresholds: SoundThresholds | None = None):
        self.rate = rate
        self.th = thresholds or SoundThresholds()
        self.floor_db = self.th.initial_floor_db
        self._ring = np.zeros(int(rate * (self.th.max_clip_seconds + self.th.pre_roll)), dtype=np.float32)
        self._ring_end = 0  # samples written in total
        self.active = False
        self._start: float | None = None
        self._start_sample = 0
        self._quiet_since: float | None = None
        self._flagged = False
        self._peak_db = -120.0
        self._voice = 0.0
        self._last_flag: float | None = None

    def _remember(self, chunk: np.ndarray) -> None:
        n = self._ring.size
        if chunk.size >= n:
            self._ring[:] = chunk[-n:]
        else:
            self._ring = np.roll(self._ring, -chunk.size)
            self._ring[-chunk.size :] = chunk
        self._ring_end += chunk.size

    def clip(self) -> np.ndarray:
        """The current episode, with its pre-roll, at most ``max_clip_seconds`` + pre-roll long."""
        pre = int(self.th.pre_roll * self.rate)
        wanted = min(self._ring_end - self._start_sample + pre, self._ring.size, self._ring_end)
        return self._ring[-wanted:].copy()

    def feed(self, chunk: np.ndarray, t: float) -> Finding | None:
        """One chunk ending at time ``t``; returns a SOUND_DETECTED finding when one is due."""
        chunk = np.asarray(chunk, dtype=np.float32)
        self._remember(chunk)
        th = self.th
        level = rms_db(chunk)
        loud = level > max(self.floor_db + th.margin_db, th.min_level_db)
        ratio = voice_band_ratio(chunk, self.rate) if loud else 0.0
        voiced = ratio >= th.voice_ratio
        if not self.active:
            if voiced:
                self.active = True
                self._start = t - chunk.size / self.rate
                self._start_sample = self._ring_end - chunk.size
                self._quiet_since = None
                self._flagged = False
                self._peak_db = level
                self._voice = ratio
            else:
                self.floor_db = max(th.lowest_floor_db, self.floor_db + th.floor_adapt * (level - self.floor_db))
            return None
        self._peak_db = max(self._peak_db, level)
        ended = False
        if level < self.floor_db + th.release_db:
            self._quiet_since = self._quiet_since if self._quiet_since is not None else t
            if t - self._quiet_since >= th.release_seconds:
                self.active = False
                ended = True
        else:
            self._quiet_since = None
        assert self._start is not None
        until = self._quiet_since if ended and self._quiet_since is not None else t
        duration = until - self._start
        cooling = self._last_flag is not None and t - self._last_flag < th.cooldown_seconds
        due = ended or duration >= th.max_clip_seconds
        if self._flagged or cooling or duration < th.min_seconds or not due:
            return None
        self._flagged = True
        self._last_flag = t
        return Finding(
            SOUND_DETECTED,
            f"Sound or voice for {duration:.1f} s ({self._peak_db:.0f} dBFS, noise floor {self.floor_db:.0f} dBFS)",
            {
                "rmsDb": round(self._peak_db, 1),
                "noiseFloorDb": round(self.floor_db, 1),
                "durationMs": int(duration * 1000),
                "voiceRatio": round(self._voice, 2),
            },
        )

    def wav(self) -> bytes:
        return encode_wav(self.clip(), self.rate)
