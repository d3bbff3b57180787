"""Human review: a verdict on every flag (confirmed or dismissed), a review state per session
(``unreviewed`` → ``in review`` → ``cleared`` or ``escalated``), the queue of ended sessions that
still need a decision, and the append-only audit trail of who decided what."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget.events import FLAGS

from .store import AuditEntry, Event, ExamSession, FlagVerdict
from .store.models import utcnow

VERDICTS = {"confirm": "confirmed", "dismiss": "dismissed"}
STATES = ("unreviewed", "in review", "cleared", "escalated")
OPEN_STATES = ("unreviewed", "in review")
MAX_NOTE = 2000


class ReviewError(ValueError):
    """A decision that cannot be taken as asked (names the field and what was wrong)."""


def audit(db: Session, institution_id: int, user_id: int | None, action: str, target: str = "", detail: str = "",
          address: str = "") -> None:
    """Append one entry to the audit trail (never updated, never deleted with the data it names)."""
    db.add(AuditEntry(institution_id=institution_id, user_id=user_id, action=action, target=target[:200],
                      detail=detail[:MAX_NOTE], address=address[:64]))


def _note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ReviewError(f"note: at most {MAX_NOTE} characters, received {len(note)}")
    return note or None


def decide_flag(db: Session, session: ExamSession, event_id: str, decision: str, note: str | None, user_id: int,
                address: str = "") -> FlagVerdict:
    """Confirm or dismiss one flag of ``session`` (a later decision replaces an earlier one)."""
    if decision not in VERDICTS:
        raise ReviewError(f"verdict: expected confirm or dismiss, received {decision!r}")
    flag = db.scalar(select(Event).where(Event.session_id == session.id, Event.client_id == event_id))
    if flag is None or flag.type not in FLAGS:
        raise ReviewError("flag: no such flag in this session")
    verdict = db.scalar(select(FlagVerdict).where(FlagVerdict.session_id == session.id, FlagVerdict.event_client_id == event_id))
    if verdict is None:
        verdict = FlagVerdict(session_id=session.id, event_client_id=event_id, verdict="", user_id=user_id)
        db.add(verdict)
    verdict.verdict, verdict.note, verdict.user_id, verdict.decided_at = VERDICTS[decision], _note(note), user_id, utcnow()
    if session.review_state == "unreviewed":
        session.review_state = "in review"
    audit(db, session.institution_id, user_id, f"flag {VERDICTS[decision]}", f"session {session.id} flag {event_id}",
          verdict.note or "", address)
    return verdict


def set_state(db: Session, session: ExamSession, state: str, note: str | None, user_id: int, address: str = "") -> None:
    """Move the session's review on; ``escalated`` needs a note saying why."""
    if state not in STATES:
        raise ReviewError(f"state: expected one of {', '.join(STATES)}, received {state!r}")
    note = _note(note)
    if state == "escalated" and not note:
        raise ReviewError("note: escalating needs a note saying why")
    session.review_state, session.review_note = state, note
    session.reviewed_by, session.reviewed_at = user_id, utcnow()
    audit(db, session.institution_id, user_id, f"session {state}", f"session {session.id}", note or "", address)


def queue_query(institution_id: int, assessment: str | None) -> Any:
    """Ended sessions of the institution that still need a decision."""
    query = select(ExamSession).where(ExamSession.institution_id == institution_id, ExamSession.ended_at.is_not(None),
                                      ExamSession.review_state.in_(OPEN_STATES))
    if assessment:
        query = query.where(ExamSession.assessment_id == assessment)
    return query
