"""Integrity score: 0–100 per session, from its flags.

Each flag type has a weight (points off per flag). Counts are capped per type (one long
incident cannot dominate) and made duration-aware: for exams longer than an hour, what counts is
flags per hour, so a 3-hour exam with 3 tab switches scores like a 1-hour exam with one.

    penalty(type) = weight(type) × min(count, CAP) × min(1, 60 / exam minutes)
    score = max(0, round(100 − Σ penalty))
"""

from __future__ import annotations

from dataclasses import dataclass

WEIGHTS = {
    "FACE_MISMATCH": 25.0,
    "ID_MISMATCH": 25.0,
    "SPOOF_SUSPECTED": 20.0,
    "PROHIBITED_OBJECT": 15.0,
    "MULTIPLE_FACE": 15.0,
    "FACE_ABSENCE": 10.0,
    "DEVICE_LOST": 10.0,
    "SUSPICIOUS_ACTIVITY": 10.0,
    "SCREEN_SHARE_STOPPED": 10.0,
    "MULTIPLE_SCREENS": 10.0,
    "SOUND_DETECTED": 8.0,
    "TAB_NOT_FOCUS": 5.0,
    "EXIT_FULLSCREEN": 5.0,
    "CLIPBOARD": 5.0,
    "FACE_MISALIGNMENT": 4.0,
    "GAZE_AWAY": 4.0,
    "WINDOW_RESIZED": 4.0,
}
CAP = 5


@dataclass
class Line:
    type: str
    count: int
    weight: float
    penalty: float


def integrity(counts: dict[str, int], exam_minutes: float) -> tuple[int, list[Line]]:
    """The score and its breakdown (one line per flag type present)."""
    factor = min(1.0, 60.0 / max(exam_minutes, 1.0))
    lines = [
        Line(kind, n, WEIGHTS[kind], round(WEIGHTS[kind] * min(n, CAP) * factor, 1))
        for kind, n in sorted(counts.items())
        if kind in WEIGHTS and n > 0
    ]
    return max(0, round(100 - sum(line.penalty for line in lines))), lines
