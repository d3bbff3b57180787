"""The photo-ID check before the exam: does the face on the ID card match the live face?

The candidate holds the card next to their face, so one frame holds two faces: the live face
(the larger) and the card's photo (the next). Both are compared with the same embedding and
threshold as the identity check. ``IdCheck`` counts the tries: no match after ``tries`` attempts
is a mismatch for the reviewer to decide; the exam goes on either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..language import N_
from .faces import Face
from .identity import cosine


@dataclass
class IdAttempt:
    match: bool
    similarity: float | None  # None when the frame did not hold both faces
    problem: str | None  # what the candidate should fix, for the next try (English; shown translated)
    live: Face | None = None


def compare(faces: Sequence[Face], *, threshold: float, min_score: float) -> IdAttempt:
    """One try: the faces of one frame (with embeddings)."""
    usable = sorted((f for f in faces if f.score >= min_score and f.embedding is not None), key=Face.area, reverse=True)
    if not usable:
        return IdAttempt(False, None, N_("No face was found. Face the camera and hold your ID next to your face."))
    if len(usable) == 1:
        return IdAttempt(False, None, N_("The photo on your ID was not found. Hold the ID closer to the camera, "
                                         "photo side towards it, next to your face."), usable[0])
    live, card = usable[0], usable[1]
    assert live.embedding is not None and card.embedding is not None
    similarity = cosine(live.embedding, card.embedding)
    if similarity >= threshold:
        return IdAttempt(True, similarity, None, live)
    return IdAttempt(False, similarity, N_("The photo on the ID does not look like you. Hold it still, in good light, "
                                           "and try again."), live)


class IdCheck:
    def __init__(self, *, threshold: float, min_score: float, tries: int = 3):
        self.threshold = threshold
        self.min_score = min_score
        self.tries = tries
        self.attempts: list[IdAttempt] = []

    def attempt(self, faces: Sequence[Face]) -> IdAttempt:
        result = compare(faces, threshold=self.threshold, min_score=self.min_score)
        self.attempts.append(result)
        return result

    @property
    def done(self) -> bool:
        return bool(self.attempts) and (self.attempts[-1].match or len(self.attempts) >= self.tries)

    def best_similarity(self) -> float | None:
        known = [a.similarity for a in self.attempts if a.similarity is not None]
        return max(known) if known else None
