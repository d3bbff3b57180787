"""Human review: a verdict on every flag (confirmed or dismissed), a review state per session
(``unreviewed`` → ``in review`` → ``cleared`` or ``escalated``; final until a reviewer reopens it,
and only for sessions that ended), sessions abandoned past their planned end ended by the server
so they are reviewed too, the queue of ended sessions that still need a decision, claims (a reviewer working on a session holds it for ``CLAIM``, so two
reviewers never decide the same session at once), the ``ReviewCompleted`` webhook, and the
append-only audit trail of who did what."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from widget.events import FLAGS

from ..access.tokens import GRACE_SECONDS
from ..store import AuditEntry, Event, ExamSession, FlagVerdict, Institution, User, WebhookOutbox
from ..store.models import aware, utcnow
from . import records
from .score import WEIGHTS, integrity

VERDICTS = {"confirm": "confirmed", "dismiss": "dismissed"}
STATES = ("unreviewed", "in review", "cleared", "escalated")
OPEN_STATES = ("unreviewed", "in review")
DONE_STATES = ("cleared", "escalated")
MAX_NOTE = 2000
CLAIM = dt.timedelta(minutes=15)


class ReviewError(ValueError):
    """A decision that cannot be taken as asked (names the field and what was wrong)."""


class Closed(ReviewError):
    """The session cannot be decided now: it is still live, or its review was completed (and must
    be reopened first)."""


class Claimed(ReviewError):
    """Another reviewer is working on this session (their claim runs until ``until``)."""

    def __init__(self, email: str, until: dt.datetime):
        super().__init__(f"{email} is reviewing this session until {until:%H:%M} UTC; pick another from the queue")
        self.email, self.until = email, until


def _held_by_other(claimed_by: int | None, claimed_until: dt.datetime | None, user_id: int, now: dt.datetime) -> bool:
    """Whether a claim (holder, end) keeps ``user_id`` off the session at ``now``."""
    return claimed_by not in (None, user_id) and claimed_until is not None and aware(claimed_until) > now


#: Stands for "no user" (a platform's secret key): every reviewer's claim keeps it off.
NOBODY = -1


def claimed_by_other(db: Session, session: ExamSession, user_id: int) -> tuple[str, dt.datetime] | None:
    """Who else holds the session, and until when; None if it is free or the user's own."""
    until = session.claimed_until
    if until is None or not _held_by_other(session.claimed_by, until, user_id, utcnow()):
        return None
    return (db.scalar(select(User.email).where(User.id == session.claimed_by)) or "another reviewer"), aware(until)


def claim(db: Session, session: ExamSession, user_id: int | None) -> None:
    """Hold the session for ``CLAIM`` from now (renewed by each decision); ``Claimed`` if another
    reviewer holds it. One conditional update, so two reviewers racing for it cannot both win.
    Without a user (the platform API deciding) nothing is held, but a reviewer's claim is respected."""
    now = utcnow()
    if user_id is None:
        holder = claimed_by_other(db, session, NOBODY)
        if holder is not None:
            raise Claimed(*holder)
        return
    taken = cast("CursorResult[Any]", db.execute(update(ExamSession).where(
        ExamSession.id == session.id,
        or_(ExamSession.claimed_by.is_(None), ExamSession.claimed_by == user_id, ExamSession.claimed_until <= now),
    ).values(claimed_by=user_id, claimed_until=now + CLAIM).execution_options(synchronize_session=False))).rowcount
    db.refresh(session)
    if not taken:
        holder = claimed_by_other(db, session, user_id)
        raise Claimed(*(holder or ("another reviewer", now + CLAIM)))


def audit(db: Session, institution_id: int, user_id: int | None, action: str, target: str = "", detail: str = "",
          address: str = "", actor: str | None = None) -> None:
    """Append one entry to the audit trail (never updated, never deleted with the data it names).
    ``actor`` names who acted when it was no signed-in user (``secret key eye_sk_…``)."""
    db.add(AuditEntry(institution_id=institution_id, user_id=user_id, action=action, target=target[:200],
                      detail=detail[:MAX_NOTE], address=address[:64], actor=actor))


def _note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ReviewError(f"note: at most {MAX_NOTE} characters, received {len(note)}")
    return note or None


def reviewer_name(db: Session, session: ExamSession) -> str | None:
    """Who took the session's review decision: a user's email, or the platform's key."""
    if session.reviewed_by:
        return db.scalar(select(User.email).where(User.id == session.reviewed_by))
    return session.reviewed_actor


def _decidable(db: Session, session: ExamSession) -> None:
    """``Closed`` unless the session ended and its review is still open."""
    if session.ended_at is None:
        raise Closed("the session is still live: it can be reviewed once it has ended")
    if session.review_state in DONE_STATES:
        by = reviewer_name(db, session)
        raise Closed(f"the review of this session is complete ({session.review_state}"
                     f"{' by ' + by if by else ''}): reopen it first to change a decision")


def decide_flag(db: Session, session: ExamSession, event_id: str, decision: str, note: str | None, user_id: int | None,
                address: str = "", actor: str | None = None) -> FlagVerdict:
    """Confirm or dismiss one flag of ``session`` (a later decision replaces an earlier one), by a
    signed-in user or, with ``user_id`` None, by ``actor`` (a platform's secret key)."""
    if decision not in VERDICTS:
        raise ReviewError(f"verdict: expected confirm or dismiss, received {decision!r}")
    _decidable(db, session)
    claim(db, session, user_id)
    flag = db.scalar(select(Event).where(Event.session_id == session.id, Event.client_id == event_id))
    if flag is None or flag.type not in FLAGS:
        raise ReviewError("flag: no such flag in this session")
    verdict = db.scalar(select(FlagVerdict).where(FlagVerdict.session_id == session.id, FlagVerdict.event_client_id == event_id))
    if verdict is None:
        verdict = FlagVerdict(session_id=session.id, event_client_id=event_id, verdict="", user_id=user_id)
        db.add(verdict)
    verdict.verdict, verdict.note, verdict.user_id, verdict.decided_at = VERDICTS[decision], _note(note), user_id, utcnow()
    verdict.actor = actor
    if session.review_state == "unreviewed":
        session.review_state = "in review"
    audit(db, session.institution_id, user_id, f"flag {VERDICTS[decision]}", f"session {session.id} flag {event_id}",
          verdict.note or "", address, actor)
    return verdict


def set_state(db: Session, session: ExamSession, state: str, note: str | None, user_id: int | None, address: str = "",
              actor: str | None = None) -> None:
    """Move the session's review on; ``escalated`` needs a note saying why. ``user_id`` None:
    decided by ``actor`` (a platform's secret key)."""
    if state not in STATES:
        raise ReviewError(f"state: expected one of {', '.join(STATES)}, received {state!r}")
    note = _note(note)
    if state == "escalated" and not note:
        raise ReviewError("note: escalating needs a note saying why")
    _decidable(db, session)
    claim(db, session, user_id)
    session.review_state, session.review_note = state, note
    session.reviewed_by, session.reviewed_actor, session.reviewed_at = user_id, actor, utcnow()
    if state in DONE_STATES:  # the decision is taken: the session is free, and announced
        session.claimed_by, session.claimed_until = None, None
        announce(db, session.institution_id, session.id, "review", "review-" + secrets.token_hex(12))
    audit(db, session.institution_id, user_id, f"session {state}", f"session {session.id}", note or "", address, actor)


def reopen(db: Session, session: ExamSession, note: str | None, user_id: int | None, address: str = "",
           actor: str | None = None) -> None:
    """Open a completed review again (an appeal, a mistake), saying why: the session goes back to
    ``in review``, held by this reviewer; the next clear or escalate is announced again."""
    note = _note(note)
    if not note:
        raise ReviewError("note: reopening a completed review needs a note saying why")
    if session.review_state not in DONE_STATES:
        raise ReviewError(f"state: only a cleared or escalated session can be reopened; this one is {session.review_state}")
    claim(db, session, user_id)
    audit(db, session.institution_id, user_id, "session reopened", f"session {session.id}",
          f"was {session.review_state}: {note}", address, actor)
    session.review_state = "in review"


def end_abandoned(db: Session, now: dt.datetime | None = None) -> list[str]:
    """End every session whose planned end (start + exam duration) is more than the token grace
    behind us and that nobody ended (the tab was closed, the final ``/end`` never arrived): it ends
    at its planned end with reason ``abandoned`` and so enters the review queue. A conditional
    update per session, so several instances sweeping at once end each session once. Returns the
    ids it ended."""
    now = now or utcnow()
    horizon = now - dt.timedelta(seconds=GRACE_SECONDS)
    open_ones = db.execute(select(ExamSession.id, ExamSession.institution_id, ExamSession.started_at,
                                  ExamSession.exam_duration).where(
        ExamSession.ended_at.is_(None), ExamSession.started_at < horizon)).all()
    ended = []
    for row in open_ones:
        planned_end = aware(row.started_at) + dt.timedelta(seconds=row.exam_duration)
        if planned_end >= horizon:
            continue
        done = cast("CursorResult[Any]", db.execute(update(ExamSession).where(
            ExamSession.id == row.id, ExamSession.ended_at.is_(None)).values(ended_at=planned_end, end_reason="abandoned")
            .execution_options(synchronize_session=False))).rowcount
        if done:
            announce(db, row.institution_id, row.id, "ended", f"ended-{row.id}")
            ended.append(row.id)
    return ended


def announce(db: Session, institution_id: int, session_id: str, kind: str, delivery_id: str) -> None:
    """Queue a ``ReviewCompleted`` (``kind`` review) or ``SessionEnded`` (``kind`` ended) webhook
    for the session, in the caller's transaction, if its institution has a webhook."""
    institution = db.get(Institution, institution_id)
    if institution is not None and institution.webhook_url and institution.webhook_secret:
        db.add(WebhookOutbox(institution_id=institution_id, session_id=session_id, kind=kind, event_client_id=delivery_id))


def announce_end(db: Session, session: ExamSession) -> None:
    """The session just ended (the widget, the platform, or abandoned): queue its one
    ``SessionEnded`` webhook (delivery id ``ended-SESSION``)."""
    announce(db, session.institution_id, session.id, "ended", f"ended-{session.id}")


def release(db: Session, session: ExamSession, user_id: int) -> None:
    """Let go of the user's claim (they moved on without deciding)."""
    if session.claimed_by == user_id:
        session.claimed_by, session.claimed_until = None, None


def queue_query(institution_id: int, assessment: str | None) -> Any:
    """Ended sessions of the institution that still need a decision (claimed ones included)."""
    query = select(ExamSession).where(ExamSession.institution_id == institution_id, ExamSession.ended_at.is_not(None),
                                      ExamSession.review_state.in_(OPEN_STATES))
    if assessment:
        query = query.where(ExamSession.assessment_id == assessment)
    return query


QUEUE_PAGE = 50


@dataclass
class QueueRow:
    """One session waiting for a decision, as the queue shows it."""
    session: ExamSession
    score: int
    flags: int
    counts: dict[str, int]
    claimed_by: str | None  # the other reviewer working on it now, if any


def queue(db: Session, institution_id: int, user_id: int, assessment: str | None = None, page: int = 1
          ) -> tuple[list[QueueRow], int]:
    """One page of the queue, most urgent first: lowest integrity score, then the heaviest flags,
    then the longest waiting; sessions another reviewer holds come last. Scores are computed for
    the whole queue in two light queries; full rows are loaded for the page only."""
    ids = queue_query(institution_id, assessment).with_only_columns(
        ExamSession.id, ExamSession.started_at, ExamSession.ended_at, ExamSession.exam_duration,
        ExamSession.claimed_by, ExamSession.claimed_until)
    light = db.execute(ids).all()
    counts = records.flag_counts(db, queue_query(institution_id, assessment).with_only_columns(ExamSession.id))
    now = utcnow()
    order = []
    for r in light:
        c = counts.get(r.id, {})
        minutes = records.minutes_of(r.started_at, r.ended_at, r.exam_duration)
        held = _held_by_other(r.claimed_by, r.claimed_until, user_id, now)
        weight = sum(WEIGHTS.get(k, 0) * n for k, n in c.items())
        order.append((held, integrity(c, minutes)[0], -weight, aware(r.ended_at), r.id))
    order.sort()
    chosen = order[(page - 1) * QUEUE_PAGE: page * QUEUE_PAGE]
    sessions = {s.id: s for s in db.scalars(select(ExamSession).where(ExamSession.id.in_([o[-1] for o in chosen])))}
    holders = dict(db.execute(select(User.id, User.email).where(
        User.id.in_({s.claimed_by for s in sessions.values() if s.claimed_by})) ).all()) if sessions else {}
    rows = []
    for held, score, _, _, sid in chosen:
        s, c = sessions[sid], counts.get(sid, {})
        rows.append(QueueRow(s, score, sum(c.values()), c, holders.get(s.claimed_by) if held and s.claimed_by else None))
    return rows, len(order)


def next_in_queue(db: Session, institution_id: int, user_id: int, after: str | None = None,
                  assessment: str | None = None) -> str | None:
    """The most urgent session the user can take now (not held by another reviewer), other than
    ``after``; None when nothing is left."""
    rows, _ = queue(db, institution_id, user_id, assessment)
    for row in rows:
        if row.claimed_by is None and row.session.id != after:
            return row.session.id
    return None
