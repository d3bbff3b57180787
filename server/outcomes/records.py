"""What reviewers read (dashboard pages, exports, candidate requests), always within one institution."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from widget.events import PROCTOR_MESSAGE, PROCTOR_REPLY

from ..store import Event, ExamSession, FlagVerdict, Media, User
from ..store.models import iso
from .score import WEIGHTS, integrity

#: Why a session ended, in words for reviewers (the codes: the widget's END_REASONS, the platform
#: API's ``platform``, the sweep's ``abandoned``, the LMS's ``assessment_ended``, a live proctor's ``proctor``).
END_REASON_WORDS = {"manual": "ended by the candidate", "time_up": "time up", "error": "ended by an error",
                    "ended_by_server": "ended by the server", "platform": "ended by the exam platform",
                    "abandoned": "abandoned (never ended)", "assessment_ended": "ended by the LMS",
                    "proctor": "ended by a proctor"}

FLAG_TYPES = tuple(WEIGHTS)
#: Events whose ``text`` is what was said (a proctor's message, the candidate's reply).
SPOKEN = (PROCTOR_MESSAGE, PROCTOR_REPLY)
PAGE_SIZE = 25


@dataclass
class SessionRow:
    session: ExamSession
    flags: int
    counts: dict[str, int]
    score: int


def exam_seconds(session: ExamSession) -> float:
    """How long the exam ran (or is planned to, while open)."""
    if session.ended_at is not None:
        return max(0.0, (session.ended_at - session.started_at).total_seconds())
    return session.exam_duration


def exam_minutes(session: ExamSession) -> float:
    return minutes_of(session.started_at, session.ended_at, session.exam_duration)


def minutes_of(started_at: dt.datetime, ended_at: dt.datetime | None, exam_duration: float) -> float:
    """How many minutes the exam ran (planned, while open), at least one: what the score divides by."""
    if ended_at is not None:
        return max(1.0, (ended_at - started_at).total_seconds() / 60)
    return max(1.0, exam_duration / 60)


def flag_counts(db: Session, session_ids: list[str] | Select[Any]) -> dict[str, dict[str, int]]:
    """Session id → flag type → count of its flags that stand (dismissed ones left out);
    ``session_ids`` a list, or a query selecting them."""
    # NOT EXISTS: an anti-join on the verdicts' index, which every database plans well.
    dismissed = select(FlagVerdict.id).where(FlagVerdict.session_id == Event.session_id,
                                             FlagVerdict.event_client_id == Event.client_id,
                                             FlagVerdict.verdict == "dismissed")
    rows = db.execute(
        select(Event.session_id, Event.type, func.count())
        .where(Event.session_id.in_(session_ids), Event.type.in_(FLAG_TYPES), ~dismissed.exists())
        .group_by(Event.session_id, Event.type)
    )
    counts: dict[str, dict[str, int]] = {}
    for session_id, kind, n in rows:
        counts.setdefault(session_id, {})[kind] = n
    return counts


def assessments(db: Session, institution_id: int) -> list[dict[str, Any]]:
    flagged = select(Event.session_id).where(Event.type.in_(FLAG_TYPES)).distinct().subquery()
    rows = db.execute(
        select(ExamSession.assessment_id, func.max(ExamSession.assessment_title), func.count(ExamSession.id),
               func.count(flagged.c.session_id), func.max(ExamSession.started_at))
        .outerjoin(flagged, flagged.c.session_id == ExamSession.id)
        .where(ExamSession.institution_id == institution_id)
        .group_by(ExamSession.assessment_id)
        .order_by(func.max(ExamSession.started_at).desc())
    )
    return [{"id": a, "title": t, "sessions": n, "flagged": f, "last": last} for a, t, n, f, last in rows]


def sessions_query(institution_id: int, assessment: str | None, flagged_only: bool, day: dt.date | None) -> Select[Any]:
    query = select(ExamSession).where(ExamSession.institution_id == institution_id)
    if assessment:
        query = query.where(ExamSession.assessment_id == assessment)
    if flagged_only:
        query = query.where(ExamSession.id.in_(select(Event.session_id).where(Event.type.in_(FLAG_TYPES))))
    if day is not None:
        start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
        query = query.where(ExamSession.started_at >= start, ExamSession.started_at < start + dt.timedelta(days=1))
    return query


def sessions_page(db: Session, institution_id: int, assessment: str | None, flagged_only: bool, day: dt.date | None,
                  page: int) -> tuple[list[SessionRow], int]:
    query = sessions_query(institution_id, assessment, flagged_only, day)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    sessions = db.scalars(query.order_by(ExamSession.started_at.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return session_rows(db, list(sessions)), total


def session_rows(db: Session, sessions: list[ExamSession]) -> list[SessionRow]:
    """Each session with the flags that stand (dismissed ones left out) and its integrity score."""
    counts = flag_counts(db, [s.id for s in sessions])
    rows = []
    for s in sessions:
        c = counts.get(s.id, {})
        rows.append(SessionRow(s, sum(c.values()), c, integrity(c, exam_minutes(s))[0]))
    return rows


def session_of(db: Session, institution_id: int, session_id: str) -> ExamSession | None:
    """The session if it belongs to this institution; None otherwise (callers answer 404)."""
    return db.scalar(select(ExamSession).where(ExamSession.id == session_id, ExamSession.institution_id == institution_id))


def timeline(db: Session, session: ExamSession, events: list[Event] | None = None) -> list[dict[str, Any]]:
    """The session's events in time order (or just ``events``, a page of them, in their order),
    each with its evidence, its verdict and its time into the exam."""
    media = {m.event_client_id: m for m in db.scalars(select(Media).where(Media.session_id == session.id))}
    verdicts = {v.event_client_id: (v, email) for v, email in db.execute(
        select(FlagVerdict, User.email).outerjoin(User, User.id == FlagVerdict.user_id)
        .where(FlagVerdict.session_id == session.id))}
    if events is None:
        events = list(db.scalars(select(Event).where(Event.session_id == session.id).order_by(Event.created_at, Event.id)))
    out = []
    for e in events:
        payload = e.payload or {}
        m = media.get(e.client_id)
        out.append({
            "id": e.client_id, "type": e.type, "createdAt": iso(e.created_at), "created": e.created_at,
            "flag": e.type in FLAG_TYPES,
            # a live proctor's words and the candidate's answer are what a reader wants to see
            "description": payload.get("description") or (payload.get("text", "") if e.type in SPOKEN else ""),
            "details": payload.get("details", {k: v for k, v in payload.items() if k not in ("media",)}),
            "media": {"contentType": m.content_type, "size": m.size} if m else None,
            "offset": (e.created_at - session.started_at).total_seconds(),
            "verdict": _verdict(*verdicts[e.client_id]) if e.client_id in verdicts else None,
        })
        out[-1]["clock"] = exam_clock(out[-1]["offset"])
    return out


def flag_chart(events: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Flags over exam time, as positions for an inline SVG (one row per flag type); the axis
    spans the exam as it was (an 8 s session is 8 s wide, labelled in seconds)."""
    kinds = sorted({e["type"] for e in events if e["flag"]})
    width = max(seconds, max((e["offset"] for e in events), default=0), 1)
    dots = [{"x": round(100 * max(0.0, e["offset"]) / width, 2), "row": kinds.index(e["type"]), "type": e["type"]}
            for e in events if e["flag"]]
    end = f"{width:.0f} s" if width < 120 else f"{width / 60:.1f} min"
    return {"kinds": kinds, "dots": dots, "end": end}


def _verdict(verdict: FlagVerdict, email: str | None) -> dict[str, Any]:
    return {"verdict": verdict.verdict, "note": verdict.note, "by": email or verdict.actor, "decidedAt": iso(verdict.decided_at)}


def exam_clock(seconds: float) -> str:
    """Time since the session started, e.g. ``+12:05``; events before it (system check) ``−0:02``."""
    sign = "−" if seconds < 0 else "+"
    whole = int(abs(seconds))
    return f"{sign}{whole // 60}:{whole % 60:02d}"


def _dismissed(event: dict[str, Any]) -> bool:
    return bool(event.get("verdict")) and event["verdict"]["verdict"] == "dismissed"


def score_of(session: ExamSession, events: list[dict[str, Any]], *, before_review: bool = False) -> tuple[int, list[Any]]:
    """The integrity score and its breakdown, from a session's timeline: dismissed flags do not
    count (``before_review``: as the detectors flagged it, every flag counted)."""
    standing = [e for e in events if before_review or not _dismissed(e)]
    return integrity({k: sum(1 for e in standing if e["type"] == k) for k in FLAG_TYPES}, exam_minutes(session))


def session_record(db: Session, session: ExamSession) -> dict[str, Any]:
    """A session with its events and evidence list, as exported (JSON) and for candidate requests."""
    events = timeline(db, session)
    score, lines = score_of(session, events)
    return {
        "sessionId": session.id, "assessmentId": session.assessment_id, "assessmentTitle": session.assessment_title,
        "candidateId": session.candidate_id, "candidateEmail": session.candidate_email, "candidateName": session.candidate_name,
        "origin": session.origin, "startedAt": iso(session.started_at),
        "endedAt": iso(session.ended_at) if session.ended_at else None, "endReason": session.end_reason,
        "integrityScore": score, "integrityScoreBeforeReview": score_of(session, events, before_review=True)[0],
        "scoreBreakdown": [line.__dict__ for line in lines],
        "reviewState": session.review_state, "reviewNote": session.review_note,
        "reviewedAt": iso(session.reviewed_at) if session.reviewed_at else None,
        "events": [public_event(e) for e in events],
    }


#: Timeline fields for the dashboard's own pages only (the raw time, and the time into the exam).
_INTERNAL = ("created", "offset", "clock")


def public_event(e: dict[str, Any]) -> dict[str, Any]:
    """A timeline event as exports and the platform API give it (without the internal fields)."""
    return {k: v for k, v in e.items() if k not in _INTERNAL}


CSV_COLUMNS = ["sessionId", "candidateId", "assessmentId", "eventId", "type", "flag", "createdAt", "description", "details",
               "evidence", "verdict", "reviewState"]


#: A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: a leading ``'`` defuses formulas."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_rows(db: Session, sessions: list[ExamSession]) -> list[list[str]]:
    rows = []
    for s in sessions:
        for e in timeline(db, s):
            rows.append([csv_cell(v) for v in (
                s.id, s.candidate_id, s.assessment_id, e["id"], e["type"], "yes" if e["flag"] else "",
                e["createdAt"], e["description"], json.dumps(e["details"], sort_keys=True),
                e["media"]["contentType"] if e["media"] else "", e["verdict"]["verdict"] if e["verdict"] else "",
                s.review_state)])
    return rows
