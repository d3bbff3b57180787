"""The platform API: what an exam platform's **server** calls with a secret key
(``Authorization: Bearer eye_sk_…``): its institution's sessions (cursor pages), one session's
full record, its events and evidence, ending a live session from the server, verdicts and
review decisions by the dashboard's rules, and a candidate's export and deletion. Every answer
is limited to the key's institution (another's session is a 404, always); every write is audited
with the key's prefix as the actor. docs/platform-api.md is the reference."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from eye.answers import CandidateDeleted, CandidateExport, EventPage, FlagDecided, SessionPage, SessionRecord

from ..access import keys
from ..custody.retention import candidate_record, delete_candidate_of
from ..live import channel
from ..outcomes import records, review
from ..outcomes.score import integrity
from ..store import Database, Event, ExamSession, Institution, Media
from ..store.models import aware, iso, utcnow
from ..web.middleware import client_address
from .auth import SecretAuth
from .errors import ApiError, errors, rate_limited

router = APIRouter(prefix="/api/v1")

MAX_PAGE = 100
DEFAULT_PAGE = 20
#: How often a key's "last used" time is written (not on every request).
LAST_USED_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """Who is asking with a secret key: the key's prefix (the audit's actor) and the institution it
    acts for (0 on the operator's own routes, which act for none; a read-only key writing never
    gets this far)."""

    prefix: str
    institution_id: int

    @property
    def actor(self) -> str:
        return f"secret key {self.prefix}"


def is_secret(authorization: str | None) -> bool:
    """Does this ``Authorization`` header carry a secret key (rather than a session token)?"""
    return _bearer(authorization).startswith(keys.SECRET_PREFIX)


def _bearer(authorization: str | None) -> str:
    return (authorization or "").removeprefix("Bearer ").strip()


def caller(request: Request, db: Session, authorization: str | None, *, writing: bool = False,
           operator: bool = False) -> Caller:
    """The secret key's caller; 401 for anything else (a session token, a publishable key, a
    revoked key, nothing), 403 for a read-only key that writes, 429 past the key's limit. An
    operator's key acts for the institution its ``Eye-Institution`` header names (by name or id);
    ``operator``: the route is the operator's alone (403 OPERATOR_ONLY for others)."""
    secret = _bearer(authorization)
    if not secret.startswith(keys.SECRET_PREFIX):
        received = ("nothing" if not secret else "a publishable API key" if keys.find_key(db, secret) is not None
                    else "something else (a session token?)")
        raise ApiError(401, "INVALID_SECRET_KEY", f"This route needs Authorization: Bearer eye_sk_… (a secret key "
                       f"from `eye keys create-secret`); received {received}.", {"authorization": "expected a secret key"})
    key = keys.find_secret_key(db, secret)
    if key is None:
        raise ApiError(401, "INVALID_SECRET_KEY", "The secret key is not valid (unknown or revoked).",
                       {"authorization": "unknown or revoked secret key"})
    wait = request.app.state.limits["secret_key"].take(key.prefix)
    if wait is not None:
        raise rate_limited(wait, "secret key")
    if writing and key.read_only:
        raise ApiError(403, "READ_ONLY_KEY", f"The secret key {key.prefix}… is read-only; this route writes.")
    now = utcnow()
    if key.last_used_at is None or aware(key.last_used_at) < now - LAST_USED_EVERY:
        key.last_used_at = now
    if operator:
        if not key.operator:
            raise ApiError(403, "OPERATOR_ONLY", "Only an operator's secret key (`eye keys create-secret --operator`) "
                           "may do this.")
        return Caller(key.prefix, 0)
    if key.institution_id is not None:
        return Caller(key.prefix, key.institution_id)
    return Caller(key.prefix, _named_institution(db, request.headers.get(INSTITUTION_HEADER)))


INSTITUTION_HEADER = "Eye-Institution"


def _named_institution(db: Session, named: str | None) -> int:
    """The institution an operator's request names (``Eye-Institution: NAME`` or its id)."""
    if not named:
        raise ApiError(400, "INSTITUTION_REQUIRED", f"An operator's key acts for one institution per request: send "
                       f"{INSTITUTION_HEADER}: NAME (or its id).", {INSTITUTION_HEADER: "missing"})
    found = db.scalar(select(Institution.id).where(Institution.name == named))
    if found is None and named.isdigit():
        found = db.scalar(select(Institution.id).where(Institution.id == int(named)))
    if found is None:
        raise ApiError(404, "NOT_FOUND", f"No institution {named[:80]!r}.", {INSTITUTION_HEADER: "unknown"})
    return int(found)

def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


class Cursor:
    """An opaque page position: base64url of JSON. A tampered cursor is a 400 naming it; it can
    never reach past the caller's institution, which every query is limited to."""

    @staticmethod
    def dump(values: list[Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")

    @staticmethod
    def load(cursor: str, shape: str) -> list[Any]:
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            values = None
        if not isinstance(values, list):
            raise ApiError(400, "INVALID_CURSOR", f"cursor: expected the nextCursor of a previous page ({shape}), "
                           f"received {cursor[:40]!r}", {"cursor": "not a cursor this API made"})
        return values


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError(400, "INVALID_REQUEST", f"limit: expected 1 to {MAX_PAGE}, received {limit}",
                       {"limit": f"expected 1 to {MAX_PAGE}"})
    return limit


def _summary(session: ExamSession, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "sessionId": session.id, "assessmentId": session.assessment_id, "assessmentTitle": session.assessment_title,
        "candidateId": session.candidate_id, "candidateEmail": session.candidate_email,
        "candidateName": session.candidate_name, "startedAt": iso(session.started_at),
        "endedAt": iso(session.ended_at) if session.ended_at else None, "endReason": session.end_reason,
        "examDuration": session.exam_duration, "state": "ended" if session.ended_at else "live",
        "reviewState": session.review_state, "concurrent": session.concurrent,
        "flagCount": sum(counts.values()), "flagCounts": counts,
        "integrityScore": integrity(counts, records.exam_minutes(session))[0],
    }


STATES = ("live", "ended")


@router.get("/sessions", response_model=SessionPage, responses=errors(400, 401))
def list_sessions(request: Request, authorization: SecretAuth,
                  assessmentId: str | None = None, candidateId: str | None = None,  # noqa: N803 (the API's names)
                  state: str | None = None, reviewState: str | None = None,  # noqa: N803
                  createdAfter: dt.datetime | None = None, limit: int = DEFAULT_PAGE,  # noqa: N803
                  cursor: str | None = None) -> dict[str, Any]:
    """The institution's sessions, newest first, ``limit`` (≤ 100) a page; ``nextCursor`` fetches
    the next page (stable under inserts: a new session never shifts a later page). The score is
    after review (dismissed flags do not count, as on the dashboard's lists)."""
    with _db(request).session() as db:
        who = caller(request, db, authorization)
        query = select(ExamSession).where(ExamSession.institution_id == who.institution_id)
        if assessmentId is not None:
            query = query.where(ExamSession.assessment_id == assessmentId)
        if candidateId is not None:
            query = query.where(ExamSession.candidate_id == candidateId)
        if state is not None:
            if state not in STATES:
                raise ApiError(400, "INVALID_REQUEST", f"state: expected live or ended, received {state[:40]!r}",
                               {"state": "expected live or ended"})
            query = query.where(ExamSession.ended_at.is_(None) if state == "live" else ExamSession.ended_at.is_not(None))
        if reviewState is not None:
            if reviewState not in review.STATES:
                raise ApiError(400, "INVALID_REQUEST", f"reviewState: expected one of {', '.join(review.STATES)}, "
                               f"received {reviewState[:40]!r}", {"reviewState": "not a review state"})
            query = query.where(ExamSession.review_state == reviewState)
        if createdAfter is not None:
            query = query.where(ExamSession.started_at > aware(createdAfter))
        if cursor is not None:
            at, last_id = _session_cursor(cursor)
            # a row comparison: both databases read it as a range of the (institution, start, id) index,
            # so a deep page costs what the first does (an OR of the two made PostgreSQL scan from the top)
            query = query.where(tuple_(ExamSession.started_at, ExamSession.id) < tuple_(at, last_id))
        page = list(db.scalars(query.order_by(ExamSession.started_at.desc(), ExamSession.id.desc()).limit(_limit(limit) + 1)))
        more, page = len(page) > limit, page[:limit]
        counts = records.flag_counts(db, [s.id for s in page])
        return {"data": [_summary(s, counts.get(s.id, {})) for s in page],
                "nextCursor": Cursor.dump([aware(page[-1].started_at).isoformat(), page[-1].id]) if more else None}


def _session_cursor(cursor: str) -> tuple[dt.datetime, str]:
    values = Cursor.load(cursor, "a sessions page")
    try:
        at, last_id = values
        return aware(dt.datetime.fromisoformat(at)), str(last_id)
    except (ValueError, TypeError):
        raise ApiError(400, "INVALID_CURSOR", "cursor: expected the nextCursor of a previous sessions page",
                       {"cursor": "not a cursor this API made"}) from None


def own_session(db: Session, who: Caller, session_id: str) -> ExamSession:
    """The caller's institution's session; 404 for any other (whether it exists or not)."""
    session = records.session_of(db, who.institution_id, session_id)
    if session is None:
        raise ApiError(404, "NOT_FOUND", "No such session.")
    return session


def session_record(request: Request, db: Session, authorization: str | None, session_id: str) -> dict[str, Any]:
    """``GET /sessions/{id}`` with a secret key: the full record (the widget's route calls this)."""
    return record_of(db, own_session(db, caller(request, db, authorization), session_id))


def record_of(db: Session, session: ExamSession) -> dict[str, Any]:
    """A session's record as the platform API answers it (the caller already checked)."""
    record = records.session_record(db, session)
    events = record.pop("events")  # already in the API's shape; the flags are read from it, not built twice
    record.update(examDuration=session.exam_duration, concurrent=session.concurrent,
                  state="ended" if session.ended_at else "live",
                  flags=[e for e in events if e["flag"]])
    return record


@router.get("/sessions/{session_id}/events", response_model=EventPage, responses=errors(400, 401, 404))
def list_events(session_id: str, request: Request, authorization: SecretAuth,
                limit: int = DEFAULT_PAGE, cursor: str | None = None) -> dict[str, Any]:
    """One session's events in the order they were stored, ``limit`` (≤ 100) a page, each with
    its evidence (if any) and its reviewer's verdict (if a flag was decided)."""
    with _db(request).session() as db:
        who = caller(request, db, authorization)
        session = own_session(db, who, session_id)
        after = 0
        if cursor is not None:
            values = Cursor.load(cursor, "an events page")
            if len(values) != 1 or not isinstance(values[0], int) or isinstance(values[0], bool):
                raise ApiError(400, "INVALID_CURSOR", "cursor: expected the nextCursor of a previous events page",
                               {"cursor": "not a cursor this API made"})
            after = values[0]
        rows = list(db.scalars(select(Event).where(Event.session_id == session.id, Event.id > after)
                               .order_by(Event.id).limit(_limit(limit) + 1)))
        more, rows = len(rows) > limit, rows[:limit]
        return {"data": [records.public_event(e) for e in records.timeline(db, session, rows)],
                "nextCursor": Cursor.dump([rows[-1].id]) if more else None}


def end_session(request: Request, db: Session, authorization: str | None, session_id: str) -> ExamSession:
    """``POST /sessions/{id}/end`` with a secret key: the platform ends a live session now (reason
    ``platform``; audited). Ending an ended session changes nothing."""
    who = caller(request, db, authorization, writing=True)
    return channel.end(db, request.app.state.fanout, own_session(db, who, session_id), reason="platform", by="the platform",
                       actor=who.actor)


def evidence(request: Request, db: Session, authorization: str | None, session_id: str, event_id: str) -> Media:
    """The evidence row of one event of the caller's session (404 otherwise)."""
    who = caller(request, db, authorization)
    session = own_session(db, who, session_id)
    row = db.scalar(select(Media).where(Media.session_id == session.id, Media.event_client_id == event_id))
    if row is None:
        raise ApiError(404, "NOT_FOUND", "No evidence for this event.")
    return row


class VerdictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["confirm", "dismiss"]
    note: str | None = None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["cleared", "escalated"]
    note: str | None = None


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str


def _review_error(e: review.ReviewError) -> ApiError:
    """A decision refused: held by a reviewer (409 SESSION_CLAIMED), live or completed (409
    REVIEW_CLOSED), or a bad field (422 naming it)."""
    if isinstance(e, review.Claimed):
        return ApiError(409, "SESSION_CLAIMED", str(e), {"claimedUntil": iso(e.until)})
    if isinstance(e, review.Closed):
        return ApiError(409, "REVIEW_CLOSED", str(e))
    field = str(e).split(":", 1)[0] if ":" in str(e) else "body"
    return ApiError(422, "INVALID_REQUEST", str(e), {field: str(e)})


@router.post("/sessions/{session_id}/flags/{event_id}/verdict", response_model=FlagDecided, responses=errors(401, 403, 404, 409, 422))
def decide_flag(session_id: str, event_id: str, body: VerdictIn, request: Request,
                authorization: SecretAuth) -> dict[str, Any]:
    """Confirm or dismiss one flag, by the same rules as the dashboard (ended sessions, open
    reviews, a reviewer's claim respected); the answer has the new score."""
    with _db(request).session() as db:
        who = caller(request, db, authorization, writing=True)
        session = own_session(db, who, session_id)
        try:
            decided = review.decide_flag(db, session, event_id, body.verdict, body.note, None,
                                         client_address(request), actor=who.actor)
        except review.ReviewError as e:
            raise _review_error(e) from None
        events = records.timeline(db, session)
        return {"flagId": event_id, "verdict": decided.verdict, "note": decided.note, "decidedAt": iso(decided.decided_at),
                "reviewState": session.review_state, "integrityScore": records.score_of(session, events)[0],
                "integrityScoreBeforeReview": records.score_of(session, events, before_review=True)[0]}


@router.post("/sessions/{session_id}/review", response_model=SessionRecord, responses=errors(401, 403, 404, 409, 422))
def complete_review(session_id: str, body: ReviewIn, request: Request,
                    authorization: SecretAuth) -> dict[str, Any]:
    """Clear or escalate (a note is required) an ended session: final, and announced by the
    ``ReviewCompleted`` webhook, as from the dashboard. Answers the session's record."""
    try:
        with _db(request).session() as db:
            who = caller(request, db, authorization, writing=True)
            session = own_session(db, who, session_id)
            try:
                review.set_state(db, session, body.state, body.note, None, client_address(request), actor=who.actor)
            except review.ReviewError as e:
                raise _review_error(e) from None
            return record_of(db, session)
    finally:
        request.app.state.webhooks.wake()


@router.post("/sessions/{session_id}/reopen", response_model=SessionRecord, responses=errors(401, 403, 404, 409, 422))
def reopen_review(session_id: str, body: ReopenIn, request: Request,
                  authorization: SecretAuth) -> dict[str, Any]:
    """Open a completed review again, with a note saying why (audited); answers the record."""
    with _db(request).session() as db:
        who = caller(request, db, authorization, writing=True)
        session = own_session(db, who, session_id)
        try:
            review.reopen(db, session, body.note, None, client_address(request), actor=who.actor)
        except review.ReviewError as e:
            raise _review_error(e) from None
        return record_of(db, session)


# --- candidates: export and delete everything about one candidate (GDPR requests) -------------
@router.get("/candidates/{candidate_id:path}/export", response_model=CandidateExport, responses=errors(401))
def export_candidate(candidate_id: str, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Everything the institution holds about one candidate: every session with its events,
    verdicts and evidence list (the files by ``GET /sessions/{id}/events/{eventId}/media``). The
    id goes in the path percent-encoded (any characters, ``/`` too). Audited."""
    with _db(request).session() as db:
        who = caller(request, db, authorization)
        record = candidate_record(db, who.institution_id, candidate_id)
        review.audit(db, who.institution_id, None, "candidate exported", f"{len(record['sessions'])} session(s)",
                     "every session of the candidate", client_address(request), actor=who.actor)
        return record


@router.delete("/candidates/{candidate_id:path}", response_model=CandidateDeleted, responses=errors(401, 403))
def delete_candidate(candidate_id: str, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Delete everything about one candidate in the institution, as ``eye candidates delete``
    does: sessions, events, verdicts, evidence rows and files (or objects), webhook log and queued
    deliveries. Answers how many sessions went; deleting again deletes nothing. Audited."""
    with _db(request).session() as db:
        who = caller(request, db, authorization, writing=True)
    removed = delete_candidate_of(_db(request), request.app.state.evidence, who.institution_id, candidate_id)
    with _db(request).session() as db:
        review.audit(db, who.institution_id, None, "candidate deleted", f"{removed} session(s)", "",
                     client_address(request), actor=who.actor)
    return {"candidateId": candidate_id, "deletedSessions": removed}
