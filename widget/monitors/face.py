"""Faces: camera frames → the face worker → FaceJudge → FACE_* flags with a JPEG of the moment.

Analyses at most one frame at a time, every ``interval`` seconds; embeddings (slower) only
every ``embed_every`` seconds and only when identity is checked.
"""

from __future__ import annotations

from typing import Any

from ..detect.faces import Face, FaceJudge
from .base import Monitor


class FaceMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, media: Any, analyzer: Any, judge: FaceJudge,
                 interval: float = 0.5, embed_every: float = 3.0):
        super().__init__(browser, report, flag)
        self.media = media
        self.analyzer = analyzer
        self.judge = judge
        self.interval = interval
        self.embed_every = embed_every
        self.busy = False
        self._last_embed: float | None = None
        self.analysed = 0
        self.analysis_ms: list[float] = []

    def begin(self) -> None:
        self.every(self.interval, self._tick)

    def _tick(self) -> None:
        if not self.busy:
            self.busy = True
            self.browser.spawn(self._analyse())

    async def _analyse(self) -> None:
        try:
            now = self.browser.now()
            embed = self.judge.wants_embedding() and (
                self._last_embed is None or now - self._last_embed >= self.embed_every
            )
            frame = await self.media.frame()
            result = await self.analyzer.analyse(frame, embed)
            if not self.running:
                return
            if embed:
                self._last_embed = now
            self.analysed += 1
            self.analysis_ms.append(result["ms"])
            del self.analysis_ms[:-600]
            faces = [Face.from_dict(f) for f in result["faces"]]
            for finding in self.judge.observe(self.browser.now(), faces):
                snapshot = await self.media.snapshot(f"{finding.type.lower()}.jpg")
                self.flag(finding.type, finding.description, {**finding.details, "analysisMs": round(result["ms"], 1)}, snapshot)
        finally:
            self.busy = False
