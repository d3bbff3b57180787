"""Outcomes of one assessment for the people who set it: sessions by review state, the integrity
score distribution, flags by type, and per flag type how many reviewers confirmed or dismissed
(a detector whose flags are mostly dismissed raises false flags)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store import Event, ExamSession, FlagVerdict
from .records import FLAG_TYPES, session_rows
from .review import STATES

BINS = 10  # score histogram: 0–9, 10–19, …, 90–100


@dataclass
class FlagLine:
    type: str
    raised: int
    confirmed: int = 0
    dismissed: int = 0

    @property
    def undecided(self) -> int:
        return self.raised - self.confirmed - self.dismissed

    @property
    def dismissed_share(self) -> float | None:
        """Of the decided flags of this type, the share reviewers dismissed (None: none decided)."""
        decided = self.confirmed + self.dismissed
        return self.dismissed / decided if decided else None


@dataclass
class Report:
    assessment_id: str
    title: str
    sessions: int
    states: dict[str, int]
    histogram: list[int]
    median_score: float | None
    flags: list[FlagLine] = field(default_factory=list)

    def bars(self, width: int = 300, height: int = 100) -> list[dict[str, Any]]:
        """The histogram as SVG rectangles (x, y, w, h in a ``width``×``height`` box) with labels."""
        top = max(self.histogram) or 1
        step = width / BINS
        return [{"x": round(i * step, 1), "w": round(step - 2, 1), "h": round(height * n / top, 1),
                 "y": round(height - height * n / top, 1), "n": n,
                 "label": f"{i * 10}–{i * 10 + 9 if i < BINS - 1 else 100}"} for i, n in enumerate(self.histogram)]


def assessment_report(db: Session, institution_id: int, assessment_id: str) -> Report | None:
    """The report of one of the institution's assessments; None if it has no sessions."""
    sessions = list(db.scalars(select(ExamSession).where(ExamSession.institution_id == institution_id,
                                                         ExamSession.assessment_id == assessment_id)))
    if not sessions:
        return None
    rows = session_rows(db, sessions)
    histogram = [0] * BINS
    for r in rows:
        histogram[min(r.score // 10, BINS - 1)] += 1
    scores = sorted(r.score for r in rows)
    states = {state: sum(1 for s in sessions if s.review_state == state) for state in STATES}
    ids = select(ExamSession.id).where(ExamSession.institution_id == institution_id,
                                       ExamSession.assessment_id == assessment_id)
    raised = dict(db.execute(select(Event.type, func.count()).where(Event.session_id.in_(ids), Event.type.in_(FLAG_TYPES))
                             .group_by(Event.type)).all())
    lines = {kind: FlagLine(kind, n) for kind, n in sorted(raised.items(), key=lambda kv: -kv[1])}
    decided = db.execute(
        select(Event.type, FlagVerdict.verdict, func.count())
        .join(FlagVerdict, (FlagVerdict.session_id == Event.session_id) & (FlagVerdict.event_client_id == Event.client_id))
        .where(Event.session_id.in_(ids)).group_by(Event.type, FlagVerdict.verdict))
    for kind, verdict, n in decided:
        if kind in lines:
            setattr(lines[kind], verdict, n)
    return Report(assessment_id, sessions[0].assessment_title, len(sessions), states, histogram,
                  statistics.median(scores) if scores else None, list(lines.values()))
