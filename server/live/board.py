"""The live page's data: an institution's sessions in progress, each with its flags so far, its
latest flag, its latest picture, when its widget was last heard and whether a proctor paused it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from widget.channel import PAUSE, RESUME

from ..records import FLAG_TYPES, flag_counts
from ..store import Event, ExamSession, Media, ProctorMessage
from ..store.models import aware, utcnow
from ..tokens import expires_at

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
    paused: dict[str, bool] = {}
    for sid, kind in db.execute(select(ProctorMessage.session_id, ProctorMessage.kind)
                                .where(ProctorMessage.session_id.in_(ids), ProctorMessage.kind.in_((PAUSE, RESUME)))
                                .order_by(ProctorMessage.id)):
        paused[sid] = kind == PAUSE
    return [LiveRow(s, sum(counts.get(s.id, {}).values()), last_flags.get(s.id, (None, None))[0],
                    last_flags.get(s.id, (None, None))[1], heard.get(s.id), pictures.get(s.id), paused.get(s.id, False))
            for s in sessions]
