"""Prohibited objects: a phone, book, laptop or screen in view, from the object model's boxes.

Input: what the object model found in one frame (COCO labels, scores, boxes normalized to 0..1);
the model runs at a lower rate than faces (``ObjectThresholds.every_seconds``). An object counts
when its label is prohibited for the exam and its score reaches ``min_score``; it must be seen in
every object pass for ``seconds`` (one glimpse is not a flag), and the flag is not repeated
within ``cooldown_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..events import PROHIBITED_OBJECT
from . import Finding, intersection
from .persistence import Persistence

#: COCO labels (as the object model names them) that are prohibited unless the exam says otherwise.
DEFAULT_PROHIBITED = ("cell phone", "book", "laptop", "tv", "remote", "keyboard", "mouse")
#: Labels of things that show pictures: a face inside one of these is a face on a screen.
SCREENS = ("cell phone", "tv", "laptop")


@dataclass
class Thing:
    label: str
    score: float
    box: tuple[float, float, float, float]  # x, y, width, height as fractions of the frame

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Thing":
        b = d["box"]
        return cls(str(d["label"]), float(d["score"]), (float(b[0]), float(b[1]), float(b[2]), float(b[3])))

    def contains(self, box: Sequence[float], share: float = 0.7) -> bool:
        """At least ``share`` of ``box`` (x, y, w, h) lies inside this thing's box."""
        w, h = box[2], box[3]
        return w > 0 and h > 0 and intersection(self.box, box) >= share * w * h


@dataclass
class ObjectThresholds:
    """Defaults; settable through ``config.thresholds`` (docs/config.md)."""

    min_score: float = 0.4  # object model score from which a prohibited thing counts
    seconds: float = 4.0  # seen in every object pass for this long → PROHIBITED_OBJECT
    cooldown_seconds: float = 30.0
    every_seconds: float = 3.0  # how often the object model runs
    prohibited: tuple[str, ...] = field(default=DEFAULT_PROHIBITED)


class ObjectJudge:
    def __init__(self, thresholds: ObjectThresholds | None = None):
        self.th = thresholds or ObjectThresholds()
        self._seen = Persistence(self.th.seconds, self.th.cooldown_seconds)

    def prohibited(self, things: Sequence[Thing]) -> list[Thing]:
        allowed = set(self.th.prohibited)
        return [t for t in things if t.label in allowed and t.score >= self.th.min_score]

    def observe(self, t: float, things: Sequence[Thing]) -> list[Finding]:
        """Feed one object pass at time ``t``."""
        found = self.prohibited(things)
        if not self._seen.update(bool(found), t):
            return []
        labels = sorted({f.label for f in found})
        return [Finding(PROHIBITED_OBJECT, f"Prohibited object in view: {', '.join(labels)}",
                        {"objects": [{"label": f.label, "score": round(f.score, 3)} for f in found]})]
