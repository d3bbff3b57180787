"""The live page's data: an institution's sessions in progress, each with its flags so far, its
latest flag, its latest picture, when its widget was last heard and whether a proctor paused it;
and, for the side panel, one session's newest events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from widget.channel import PAUSE, RESUME

from ..access.tokens import expires_at
from ..outcomes.records import FLAG_TYPES, flag_counts, timeline
from ..store import Event, ExamSession, Media, ProctorMessage
from ..store.models import aware, utcnow

#: The most sessions one live page shows (the newest); filter by assessment for more.
LIMIT = 500


@dataclass
class LiveRow:
    session: ExamSession
    flags: int
    last_flag: str | None
    last_flag_at: dt.datetime | None
    last_heard: dt.datetime | None
    picture: str | None  # the event id of its latest JPEG (a snapshot or a flag's)
    paused: bool


def running(db: Session, institution_id: int, assessment: str | None = None) -> list[LiveRow]:
    """Sessions not ended and not past their time (a widget that never ended stops counting)."""
    query = select(ExamSession).where(ExamSession.institution_id == institution_id, ExamSession.ended_at.is_(None))
    if assessment:
        query = query.where(ExamSession.assessment_id == assessment)
    now = utcnow().timestamp()
    sessions = [s for s in db.scalars(query.order_by(ExamSession.started_at.desc()).limit(LIMIT))
                if expires_at(aware(s.started_at).timestamp(), s.exam_duration) > now]
    ids = [s.id for s in sessions]
    if not ids:
        return []
    counts = flag_counts(db, ids)
    heard = dict(db.execute(select(Event.session_id, func.max(Event.received_at)).where(Event.session_id.in_(ids))
                            .group_by(Event.session_id)).all())
    last_flags: dict[str, tuple[str, dt.datetime]] = {}
    for sid, kind, at in db.execute(select(Event.session_id, Event.type, Event.created_at)
                                    .where(Event.session_id.in_(ids), Event.type.in_(FLAG_TYPES))
                                    .order_by(Event.created_at)):
        last_flags[sid] = (kind, at)
    pictures: dict[str, str] = {}
    for sid, event_id in db.execute(select(Media.session_id, Media.event_client_id)
                                    .where(Media.session_id.in_(ids), Media.content_type == "image/jpeg").order_by(Media.id)):
        pictures[sid] = event_id
    paused = paused_of(db, ids)
    return [LiveRow(s, sum(counts.get(s.id, {}).values()), last_flags.get(s.id, (None, None))[0],
                    last_flags.get(s.id, (None, None))[1], heard.get(s.id), pictures.get(s.id), paused.get(s.id, False))
            for s in sessions]


def paused_of(db: Session, ids: list[str]) -> dict[str, bool]:
    """Whether a proctor's last word to each session was a pause (not yet resumed)."""
    paused: dict[str, bool] = {}
    for sid, kind in db.execute(select(ProctorMessage.session_id, ProctorMessage.kind)
                                .where(ProctorMessage.session_id.in_(ids), ProctorMessage.kind.in_((PAUSE, RESUME)))
                                .order_by(ProctorMessage.id)):
        paused[sid] = kind == PAUSE
    return paused


#: How many of a session's newest events the side panel shows.
PANEL_EVENTS = 50


@dataclass
class Panel:
    session: ExamSession
    events: list[dict[str, Any]]  # the newest first (records.timeline's rows)
    total: int
    paused: bool


def panel(db: Session, session: ExamSession, limit: int = PANEL_EVENTS) -> Panel:
    """One session as the live page's side panel shows it: its newest events, newest first."""
    newest = list(db.scalars(select(Event).where(Event.session_id == session.id)
                             .order_by(Event.created_at.desc(), Event.id.desc()).limit(limit)))
    total = db.scalar(select(func.count()).select_from(Event).where(Event.session_id == session.id)) or 0
    return Panel(session, timeline(db, session, newest), total, paused_of(db, [session.id]).get(session.id, False))
