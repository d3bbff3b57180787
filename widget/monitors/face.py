"""Faces: camera frames → the face worker → FaceJudge → FACE_* (and GAZE_AWAY, SPOOF_SUSPECTED,
PROHIBITED_OBJECT) flags with a JPEG of the moment.

Analyses at most one frame at a time, every ``interval`` seconds; embeddings (slower) only
every 3 s (9 s while the same face stays in place and keeps matching, at once when the face in
view changed: FaceJudge.embedding_due) and only when identity is checked; the object model (slower still)
on the first frame and then every ``judge.objects_every`` seconds, only when the judge wants objects. On a slow device the rate
adapts: the next frame is asked for no sooner than 1.25 × the recent time per analysis (at
most every ``MAX_INTERVAL`` seconds), so the worker is never queued behind, and it speeds up
again when analysis gets faster. ``diagnostics()`` reports the interval and the effective rate.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..detect.faces import Face, FaceJudge
from ..detect.objects import Thing
from .base import Monitor

MAX_INTERVAL = 2.0
HEADROOM = 1.25


class FaceMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, media: Any, analyzer: Any, judge: FaceJudge,
                 interval: float = 0.5):
        super().__init__(browser, report, flag)
        self.media = media
        self.analyzer = analyzer
        self.judge = judge
        self.interval = interval
        self.busy = False
        self._last_embed: float | None = None
        self._last_objects: float | None = None
        self.object_passes = 0
        self.analysed = 0
        self.analysis_ms: list[float] = []
        self.frame_interval = interval
        self._wall: float | None = None  # smoothed seconds per analysis, frame grab to result
        self._done_at: deque[float] = deque(maxlen=64)

    def begin(self) -> None:
        self.every(lambda: self.frame_interval, self._tick)

    def effective_rate(self, window: float = 10.0) -> float:
        """Frames analysed per second over the last ``window`` seconds."""
        now = self.browser.now()
        recent = [t for t in self._done_at if now - t <= window]
        return round(len(recent) / window, 2)

    def _adapt(self, seconds: float) -> None:
        self._wall = seconds if self._wall is None else 0.7 * self._wall + 0.3 * seconds
        self.frame_interval = min(MAX_INTERVAL, max(self.interval, HEADROOM * self._wall))

    def _tick(self) -> None:
        if not self.busy:
            self.busy = True
            self.browser.spawn(self._analyse())

    async def _analyse(self) -> None:
        try:
            now = self.browser.now()
            embed = self.judge.embedding_due(now, self._last_embed)
            objects = self.judge.wants_objects() and (
                self._last_objects is None or now - self._last_objects >= self.judge.objects_every
            )
            frame = await self.media.frame()
            result = await self.analyzer.analyse(frame, embed, objects)
            if not self.running:
                return
            finished = self.browser.now()
            self._done_at.append(finished)
            self._adapt(finished - now)
            if embed:
                self._last_embed = now
            found = result.get("objects")
            things = None if found is None else [Thing.from_dict(o) for o in found]
            if things is not None:
                self._last_objects = now
                self.object_passes += 1
            self.analysed += 1
            self.analysis_ms.append(result["ms"])
            del self.analysis_ms[:-600]
            faces = [Face.from_dict(f) for f in result["faces"]]
            for finding in self.judge.observe(self.browser.now(), faces, things):
                snapshot = await self.media.snapshot(f"{finding.type.lower()}.jpg")
                self.flag(finding.type, finding.description, {**finding.details, "analysisMs": round(result["ms"], 1)}, snapshot)
        finally:
            self.busy = False
