"""Gaze: the eyes turned off the screen while the head still faces it (reading notes beside the
monitor), which head-pose misalignment cannot see.

Input per analysed frame: where the iris sits in each eye (``Face.gaze``: x along the eye's
corner-to-corner axis, y across it, in eye widths, averaged over both eyes) for a face whose head
is aligned. The candidate's own "looking at the screen" is learnt first: the median of the first
``calibration_frames`` clear, aligned frames, so glasses, a squint or a camera beside the screen
do not cause flags. Afterwards an offset from that baseline beyond ``max_offset`` (horizontal) or
``max_offset_vertical`` held for ``seconds`` is one GAZE_AWAY; a turned head is
FACE_MISALIGNMENT's business, and resets nothing here but is not counted either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..events import GAZE_AWAY
from . import Finding
from .persistence import Persistence


@dataclass
class GazeThresholds:
    """Defaults; settable through ``config.thresholds`` (docs/config.md)."""

    max_offset: float = 0.12  # iris shift from the calibrated centre, in eye widths (left/right)
    max_offset_vertical: float = 0.15  # the same, up/down (eyelids make it noisier)
    seconds: float = 4.0
    cooldown_seconds: float = 30.0
    calibration_frames: int = 6
    min_score: float = 0.8  # how clear a frame must be to calibrate on


class GazeJudge:
    def __init__(self, thresholds: GazeThresholds | None = None):
        self.th = thresholds or GazeThresholds()
        self._samples: list[tuple[float, float]] = []
        self.baseline: tuple[float, float] | None = None
        self._away = Persistence(self.th.seconds, self.th.cooldown_seconds)
        self.last_offset: tuple[float, float] | None = None

    @property
    def calibrated(self) -> bool:
        return self.baseline is not None

    def observe(self, t: float, gaze: tuple[float, float] | None, *, aligned: bool, score: float) -> list[Finding]:
        """Feed one frame: ``gaze`` of the single face (None when there is not exactly one face
        with eyes found), whether its head faces the screen, and its detection score."""
        if gaze is None or not aligned:
            return []  # no evidence either way: the running state is kept
        gx, gy = float(gaze[0]), float(gaze[1])
        if self.baseline is None:
            if score >= self.th.min_score:
                self._samples.append((gx, gy))
                if len(self._samples) >= self.th.calibration_frames:
                    median = np.median(np.asarray(self._samples), axis=0)
                    self.baseline = (float(median[0]), float(median[1]))
            return []
        dx, dy = gx - self.baseline[0], gy - self.baseline[1]
        self.last_offset = (dx, dy)
        away = abs(dx) > self.th.max_offset or abs(dy) > self.th.max_offset_vertical
        if not self._away.update(away, t):
            return []
        if abs(dx) / self.th.max_offset >= abs(dy) / self.th.max_offset_vertical:
            direction = "right" if dx > 0 else "left"  # as the camera sees it
        else:
            direction = "down" if dy > 0 else "up"
        return [Finding(GAZE_AWAY, f"Eyes turned away from the screen ({direction} in the camera image) "
                        f"for {self.th.seconds:g} s while the head faced it",
                        {"direction": direction, "offset": [round(dx, 3), round(dy, 3)],
                         "threshold": [self.th.max_offset, self.th.max_offset_vertical]})]
