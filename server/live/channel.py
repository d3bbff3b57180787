"""What a proctor sends a running widget, and what the widget has applied.

``send`` checks the session is running and the words are within bounds, stores the message,
audits it and wakes the session's stream (on every instance). ``after`` lists what a stream
sends next; ``ack`` records what the widget applied. The doors (the platform API, the dashboard)
decide who may send; this module only what may be sent.
"""

from __future__ import annotations

import json

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from widget.channel import CHECK_IN, KINDS, MAX_TEXT, MESSAGE, PAUSE, RESUME
from widget.events import ENDED_BY_PROCTOR

from ..outcomes.review import announce_end, audit
from ..store import ExamSession, ProctorMessage
from ..store.models import utcnow
from .fanout import Fanout, board_of

#: The audit trail's name for each kind.
ACTIONS = {MESSAGE: "proctor message", PAUSE: "proctor pause", RESUME: "proctor resume", CHECK_IN: "proctor check-in"}


class ChannelError(Exception):
    """The message cannot be sent (the session ended, the text is empty or too long)."""

    def __init__(self, status: int, code: str, message: str, field: str = "body"):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def send(db: Session, fanout: Fanout, session: ExamSession, kind: str, text: str = "", *, sender: str,
         user_id: int | None = None, actor: str | None = None, address: str = "") -> ProctorMessage:
    """Store and announce one message to ``session``'s widget; audited as ``user_id`` or ``actor``."""
    if kind not in KINDS:
        raise ChannelError(422, "INVALID_REQUEST", f"kind: expected one of {', '.join(KINDS)}, received {kind!r}", "kind")
    if session.ended_at is not None:
        raise ChannelError(409, "SESSION_ENDED", "This session has ended: there is no widget to send to.")
    text = (text or "").strip()
    if kind == MESSAGE and not text:
        raise ChannelError(422, "INVALID_REQUEST", "text: a message needs words", "text")
    if len(text) > MAX_TEXT:
        raise ChannelError(422, "INVALID_REQUEST", f"text: at most {MAX_TEXT} characters, received {len(text)}", "text")
    message = ProctorMessage(session_id=session.id, kind=kind, text=text, sender=sender[:200])
    db.add(message)
    db.flush()
    audit(db, session.institution_id, user_id, ACTIONS[kind], f"session {session.id}",
          json.dumps({"messageId": message.id, "text": text})[:1000] if text else f"message {message.id}",
          address, actor=actor)
    db.commit()
    fanout.publish(session.id)
    fanout.publish(board_of(session.institution_id))
    return message


def end(db: Session, fanout: Fanout, session: ExamSession, *, reason: str = ENDED_BY_PROCTOR, by: str = "a proctor",
        user_id: int | None = None, actor: str | None = None, address: str = "") -> ExamSession:
    """End a running session on the server now (a proctor's ``proctor``, the platform's ``platform``;
    audited as ended ``by``), so it is over even if the widget is offline; its stream closes and
    the widget learns why. Ending an ended session changes nothing."""
    if session.ended_at is None:
        session.ended_at, session.end_reason = utcnow(), reason
        announce_end(db, session)
        audit(db, session.institution_id, user_id, "session ended", f"session {session.id}", f"by {by}", address,
              actor=actor)
        db.commit()
        fanout.publish(session.id)
        fanout.publish(board_of(session.institution_id))
    return session


def after(db: Session, session_id: str, last_id: int, limit: int = 100) -> list[ProctorMessage]:
    """The session's messages after ``last_id``, oldest first."""
    return list(db.scalars(select(ProctorMessage).where(ProctorMessage.session_id == session_id, ProctorMessage.id > last_id)
                           .order_by(ProctorMessage.id).limit(limit)))


def ack(db: Session, session_id: str, up_to: int) -> int:
    """The widget applied every message up to ``up_to``; how many were newly marked delivered."""
    done = db.execute(update(ProctorMessage).where(ProctorMessage.session_id == session_id, ProctorMessage.id <= up_to,
                                                   ProctorMessage.delivered_at.is_(None)).values(delivered_at=utcnow()))
    return int(getattr(done, "rowcount", 0) or 0)


def as_event(message: ProctorMessage) -> str:
    """One server-sent event."""
    body = {"id": message.id, "kind": message.kind, "text": message.text, "from": message.sender}
    return f"id: {message.id}\nevent: proctor\ndata: {json.dumps(body)}\n\n"
