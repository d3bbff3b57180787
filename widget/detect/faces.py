"""Face flags from face detections: absence, multiple faces, mismatch, misalignment — and, when
the exam turns them on, gaze (detect/gaze.py), liveness (detect/liveness.py) and prohibited
objects (detect/objects.py), which need the same frame's single face.

Input per analysed frame: the faces found (score, box normalized to 0..1, yaw/pitch in degrees,
optionally an embedding, antispoof/liveness scores and the iris offset) and, on frames where the
object model ran, the objects. Output: Findings, each after its condition persisted, with a cooldown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..events import FACE_ABSENCE, FACE_MISALIGNMENT, FACE_MISMATCH, MULTIPLE_FACE
from . import Finding, intersection
from .gaze import GazeJudge
from .identity import cosine
from .liveness import SpoofJudge
from .objects import ObjectJudge, Thing
from .persistence import Persistence


@dataclass
class Face:
    score: float
    box: tuple[float, float, float, float]  # x, y, width, height as fractions of the frame
    yaw: float = 0.0  # degrees, 0 = facing the camera
    pitch: float = 0.0
    embedding: np.ndarray | None = None
    real: float | None = None  # antispoof score (0 = a reproduction, 1 = real), None when not measured
    live: float | None = None  # liveness score (0 = a still picture, 1 = alive), None when not measured
    gaze: tuple[float, float] | None = None  # iris offset from the eye centre, in eye widths

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Face":
        emb = d.get("embedding")
        gaze = d.get("gaze")
        real, live = d.get("real"), d.get("live")
        return cls(
            score=float(d["score"]),
            box=(float(d["box"][0]), float(d["box"][1]), float(d["box"][2]), float(d["box"][3])),
            yaw=float(d.get("yaw") or 0.0),
            pitch=float(d.get("pitch") or 0.0),
            embedding=None if emb is None else np.asarray(emb, dtype=np.float32),
            real=None if real is None or real < 0 else float(real),
            live=None if live is None or live < 0 else float(live),
            gaze=None if gaze is None else (float(gaze[0]), float(gaze[1])),
        )

    def area(self) -> float:
        return self.box[2] * self.box[3]

    def centre_offset(self) -> float:
        """Distance of the face centre from the frame centre (0 = centred, 0.5 = at an edge)."""
        x, y, w, h = self.box
        return float(max(abs(x + w / 2 - 0.5), abs(y + h / 2 - 0.5)))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two boxes (x, y, w, h)."""
    inter = intersection(a, b)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


@dataclass
class FaceThresholds:
    """Defaults; each is settable through ``config.thresholds`` (README: Face and sound flags)."""

    min_score: float = 0.5  # a detection below this is not a face
    absence_seconds: float = 3.0
    multiple_seconds: float = 2.0
    mismatch_seconds: float = 3.0
    misalignment_seconds: float = 3.0
    cooldown_seconds: float = 30.0
    match_threshold: float = 0.6  # cosine below this is another person
    max_yaw_degrees: float = 35.0
    max_pitch_degrees: float = 30.0
    max_centre_offset: float = 0.3
    reference_min_score: float = 0.8  # how clear the first frame must be to become the reference
    embed_seconds: float = 3.0  # an embedding (the costly part of identity) at least this often ...
    steady_embed_seconds: float = 9.0  # ... or this often while the same face stays, matching, in place
    steady_matches: int = 3  # matching embeddings in a row that make identity steady


class FaceJudge:
    """Decides face flags, frame by frame. ``presence`` switches absence/multiple/misalignment on,
    ``identity`` the mismatch check (an accommodation can turn either off); ``gaze``, ``spoof``
    and ``objects`` are the optional judges (None when the exam does not use them)."""

    def __init__(self, thresholds: FaceThresholds | None = None, *, identity: bool = True, presence: bool = True,
                 gaze: GazeJudge | None = None, spoof: SpoofJudge | None = None, objects: ObjectJudge | None = None,
                 objects_every: float = 3.0):
        self.th = thresholds or FaceThresholds()
        self.identity = identity
        self.presence = presence
        self.gaze = gaze
        self.spoof = spoof
        self.objects = objects
        self.objects_every = objects_every  # seconds between object passes (objects and spoof need them)
        self.reference: np.ndarray | None = None
        self.reference_source: str | None = None
        th = self.th
        self._absent = Persistence(th.absence_seconds, th.cooldown_seconds)
        self._multiple = Persistence(th.multiple_seconds, th.cooldown_seconds)
        self._mismatch = Persistence(th.mismatch_seconds, th.cooldown_seconds)
        self._misaligned = Persistence(th.misalignment_seconds, th.cooldown_seconds)
        self.last_similarity: float | None = None
        self._matches = 0  # matching embeddings in a row since the last change
        self._last_single: Face | None = None  # the one face of the previous frame
        self._changed = True  # the scene changed since the last embedding (a face came, went, jumped)

    def embedding_due(self, now: float, last: float | None) -> bool:
        """Should the next frame compute embeddings? Every ``embed_seconds``; only every
        ``steady_embed_seconds`` while the same face stays in place and keeps matching; and at
        once when the one face in view is new or jumped (a swap shows as a change first)."""
        if not self.identity:
            return False
        if last is None or (self._changed and self._last_single is not None):
            return True
        steady = self.reference is not None and self._matches >= self.th.steady_matches
        return now - last >= (self.th.steady_embed_seconds if steady else self.th.embed_seconds)

    def _track(self, single: Face | None) -> None:
        """Note whether the one face in view is the same, in place, as in the previous frame."""
        previous, self._last_single = self._last_single, single
        if single is None or previous is None or _overlap(single.box, previous.box) < 0.3:
            self._changed, self._matches = True, 0

    def set_reference(self, embedding: np.ndarray, source: str) -> None:
        self.reference = np.asarray(embedding, dtype=np.float32)
        self.reference_source = source

    def wants_embedding(self) -> bool:
        return self.identity

    def wants_objects(self) -> bool:
        return self.objects is not None or self.spoof is not None

    def aligned(self, face: Face) -> bool:
        th = self.th
        return (
            abs(face.yaw) <= th.max_yaw_degrees
            and abs(face.pitch) <= th.max_pitch_degrees
            and face.centre_offset() <= th.max_centre_offset
        )

    def observe(self, t: float, detections: Sequence[Face], things: Sequence[Thing] | None = None) -> list[Finding]:
        """Feed one analysed frame: its faces and, when the object model ran on it, its objects."""
        th = self.th
        faces = [f for f in detections if f.score >= th.min_score]
        found: list[Finding] = []
        single = faces[0] if len(faces) == 1 else None
        if self.presence:
            found.extend(self._presence(t, faces, single))
        if self.objects is not None and things is not None:
            found.extend(self.objects.observe(t, things))
        if self.spoof is not None:
            if things is not None:
                self.spoof.objects(things, single.box if single is not None else None)
            if single is not None:
                found.extend(self.spoof.observe(t, single.real, single.live))
            else:
                self.spoof.forget()
        if self.gaze is not None:
            aligned = single is not None and self.aligned(single)
            found.extend(self.gaze.observe(t, single.gaze if single is not None else None, aligned=aligned,
                                           score=single.score if single is not None else 0.0))
        if self.identity:
            self._track(single)
            found.extend(self._identity(t, single))
        return found

    def suspect(self) -> bool:
        """The face in the latest frame looked like a photo or a screen."""
        return self.spoof is not None and self.spoof.suspect

    def _presence(self, t: float, faces: list[Face], single: Face | None) -> list[Finding]:
        th = self.th
        found: list[Finding] = []
        if self._absent.update(not faces, t):
            found.append(Finding(FACE_ABSENCE, f"No face visible for {th.absence_seconds:g} s", {"faces": 0}))
        if self._multiple.update(len(faces) > 1, t):
            found.append(Finding(MULTIPLE_FACE, f"{len(faces)} faces visible", {"faces": len(faces)}))
        misaligned = single is not None and not self.aligned(single)
        if self._misaligned.update(misaligned, t) and single is not None:
            found.append(
                Finding(
                    FACE_MISALIGNMENT,
                    "Face turned away or out of the frame centre",
                    {
                        "yaw": round(single.yaw, 1),
                        "pitch": round(single.pitch, 1),
                        "centreOffset": round(single.centre_offset(), 3),
                    },
                )
            )
        return found

    def _identity(self, t: float, single: Face | None) -> list[Finding]:
        if single is None or single.embedding is None or self.suspect():
            return []  # no evidence either way (a reproduction proves nothing): keep the running state
        self._changed = False
        if self.reference is None:
            if single.score >= self.th.reference_min_score and self.aligned(single):
                self.set_reference(single.embedding, "first clear frame")
            return []
        similarity = cosine(single.embedding, self.reference)
        self.last_similarity = similarity
        self._matches = self._matches + 1 if similarity >= self.th.match_threshold else 0
        if self._mismatch.update(similarity < self.th.match_threshold, t):
            return [
                Finding(
                    FACE_MISMATCH,
                    "The face does not match the reference photo" if self.reference_source == "candidateImageUrl"
                    else "The face does not match the candidate seen at the start",
                    {"similarity": round(similarity, 3), "threshold": self.th.match_threshold, "reference": self.reference_source},
                )
            ]
        return []
