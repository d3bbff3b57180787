"""Liveness: is the face in view a live person, or a photo or screen held up to the camera?

Two kinds of evidence, either enough when it persists for ``seconds``:

- the face models' own scores: ``antispoof`` (0 = a reproduction, 1 = real skin) and ``liveness``
  (0 = a still picture, 1 = alive) below ``min_antispoof`` / ``min_liveness``;
- the object model: the face lies inside a phone, a monitor or a laptop it found (``objects.SCREENS``)
  — a face shown on a device.

A face under suspicion is ``suspect``: it never becomes the identity reference, and it does not
count as the candidate for the identity check (FaceJudge asks before deciding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..events import SPOOF_SUSPECTED
from . import Finding
from .objects import SCREENS, Thing
from .persistence import Persistence


@dataclass
class LivenessThresholds:
    """Defaults; settable through ``config.thresholds`` (docs/config.md)."""

    min_antispoof: float = 0.3
    min_liveness: float = 0.3
    min_device_score: float = 0.25  # object score from which a device around the face counts
    seconds: float = 4.0
    cooldown_seconds: float = 30.0


class SpoofJudge:
    def __init__(self, thresholds: LivenessThresholds | None = None):
        self.th = thresholds or LivenessThresholds()
        self._spoof = Persistence(self.th.seconds, self.th.cooldown_seconds)
        self._device: Thing | None = None  # the device around the face in the last object pass
        self.suspect = False  # the latest frame's face looked like a reproduction

    def objects(self, things: Sequence[Thing], face_box: Sequence[float] | None) -> None:
        """Feed an object pass: remembers a screen device around the face until the next pass."""
        self._device = None
        if face_box is None:
            return
        around = [t for t in things if t.label in SCREENS and t.score >= self.th.min_device_score and t.contains(face_box)]
        self._device = max(around, key=lambda t: t.score) if around else None

    def observe(self, t: float, real: float | None, live: float | None) -> list[Finding]:
        """Feed one frame's single face: antispoof and liveness scores (None: not measured)."""
        reasons = []
        if real is not None and real < self.th.min_antispoof:
            reasons.append("antispoof")
        if live is not None and live < self.th.min_liveness:
            reasons.append("liveness")
        if self._device is not None:
            reasons.append("device")
        self.suspect = bool(reasons)
        if not self._spoof.update(self.suspect, t):
            return []
        details: dict[str, object] = {
            "antispoof": None if real is None else round(real, 3),
            "liveness": None if live is None else round(live, 3),
            "reasons": reasons,
        }
        if self._device is not None:
            details["device"] = {"label": self._device.label, "score": round(self._device.score, 3)}
        what = f"shown on a {self._device.label}" if self._device is not None else "a photo or a screen"
        return [Finding(SPOOF_SUSPECTED, f"The face in view looks like a reproduction ({what}), not a live person", details)]

    def forget(self) -> None:
        """No single face in view: nothing to judge, so no suspect (the device seen around the last
        face is kept until the next object pass)."""
        self.suspect = False
