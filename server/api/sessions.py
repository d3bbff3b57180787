"""Session endpoints. Creation checks the API key and the request's ``Origin`` (never the body);
later calls authenticate with the session token, never the API key."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any, cast

from fastapi import APIRouter, Header, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eye.answers import Ended, SessionRecord
from widget import config as widget_config
from widget.errors import WidgetError
from widget.events import FLAGS

from .. import logs
from ..access import keys
from ..access.tokens import TokenError, expires_at
from ..live.fanout import board_of
from ..outcomes import review
from ..store import ApiKey, Database, Event, ExamSession
from ..store.models import aware, iso, utcnow
from ..store.writer import Refused, refusal
from ..web.middleware import client_address
from . import platform
from .auth import EitherAuth, SessionAuth
from .errors import ApiError, errors, rate_limited
from .schemas import BatchResult, EndIn, EventBatch, Preflight, SessionCreate, SessionCreated, SessionState

router = APIRouter(prefix="/api/v1")


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.get("/health")
def health() -> dict[str, Any]:
    """Alive; ``time`` (epoch seconds) lets the widget send events in the server's clock."""
    return {"status": "ok", "time": time.time()}


def _finite(value: Any, where: str) -> None:
    """400 for NaN or ±Infinity anywhere in a JSON value (they are not JSON, and not data)."""
    stack = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ApiError(400, "INVALID_REQUEST", f"{path}: NaN and Infinity are not allowed.", {path: "must be a finite number"})
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))


def _live_twins(db: Session, session: ExamSession) -> list[ExamSession]:
    """Other sessions of the same candidate and assessment (and institution) that are still live."""
    others = db.scalars(select(ExamSession).where(
        ExamSession.institution_id == session.institution_id, ExamSession.assessment_id == session.assessment_id,
        ExamSession.candidate_id == session.candidate_id, ExamSession.ended_at.is_(None), ExamSession.id != session.id))
    now = utcnow().timestamp()
    return [o for o in others if expires_at(aware(o.started_at).timestamp(), o.exam_duration) > now]


def _accepted(body: SessionCreate, request: Request, origin: str | None, db: Session,
              limits: tuple[str, str]) -> tuple[dict[str, Any], ApiKey]:
    """The validated config and the key, if this key, page origin and launch token may start this
    exam; the API error saying why not otherwise. ``limits``: the (per key and address, per key)
    rate limits to spend."""
    _finite(body.config, "config")
    try:
        config = widget_config.validate({**body.config, "apiKey": body.apiKey})
    except WidgetError as e:
        raise ApiError(422, e.code, e.message, e.details) from None
    limit = request.app.state.options.max_exam_seconds
    if config["examDuration"] > limit:
        raise ApiError(422, "INVALID_CONFIG", f"Invalid config: examDuration: must be at most {limit:.0f} seconds",
                       {"examDuration": f"must be at most {limit:.0f} seconds, received {config['examDuration']!r}"})
    digest = keys.digest(body.apiKey)
    # Per (key, address) first: one client cannot drain the key's bucket for everyone else.
    for name, bucket in ((limits[0], f"{digest}|{client_address(request)}"), (limits[1], digest)):
        wait = request.app.state.limits[name].take(bucket)
        if wait is not None:
            raise rate_limited(wait, "API key")
    key = keys.find_key(db, body.apiKey)
    if key is None and keys.find_secret_key(db, body.apiKey) is not None:
        raise ApiError(401, "INVALID_API_KEY", "This is a secret key (eye_sk_…): it belongs on your exam platform's "
                       "server, never in a page; the page uses a publishable key from `eye keys create` (and the "
                       "secret key should be rotated with `eye keys rotate`, since the page exposed it).")
    if key is None:
        raise ApiError(401, "INVALID_API_KEY", f"The API key {body.apiKey[:12]!r}… is not valid (unknown or revoked). "
                       "A publishable key (eye_…) comes from the dashboard's Keys page or `eye keys create "
                       "--institution NAME --domain YOUR-EXAM-HOST` on the Eye server; `eye keys list` shows which "
                       "keys are active.")
    if not any(keys.domain_matches(d.domain, origin) for d in key.domains):
        shown = keys.origin_host(origin) or "(no Origin header)"
        raise ApiError(
            403,
            "DOMAIN_NOT_REGISTERED",
            f"The page origin {shown} is not registered for this API key; register it with "
            f"`eye keys create --institution \"{key.institution.name}\" --domain {shown}`.",
            {"origin": shown},
        )
    if key.require_launch_token:
        try:
            keys.check_launch_token(key, body.launchToken, config["assessmentId"], config["candidateId"],
                                    float(config["examDuration"]))
        except keys.LaunchTokenError as e:
            raise ApiError(401, "INVALID_LAUNCH_TOKEN", f"This API key requires a launch token from the exam "
                           f"platform: {e}.", {"launchToken": str(e)}) from None
    return config, key


@router.post("/sessions/preflight", response_model=Preflight, responses=errors(400, 401, 403, 422))
def preflight(body: SessionCreate, request: Request, origin: str | None = Header(default=None)) -> Preflight:
    """Would this key, page origin, config and launch token be accepted? Nothing is created: the
    widget asks before it shows the consent notice or opens a device, and the notice says how
    long the institution keeps what is recorded."""
    with _db(request).reading() as db:
        _, key = _accepted(body, request, origin, db, ("preflight_address", "preflight"))
        return Preflight(retentionDays=key.institution.retention_days)


@router.post("/sessions", status_code=201, response_model=SessionCreated, responses=errors(400, 401, 403, 422))
def create_session(body: SessionCreate, request: Request, origin: str | None = Header(default=None)) -> SessionCreated:
    created = _create(body, request, origin)
    request.app.state.fanout.publish(board_of(request.state.institution_id))  # committed: the live pages show it
    return created


def _create(body: SessionCreate, request: Request, origin: str | None) -> SessionCreated:
    with _db(request).session() as db:
        config, key = _accepted(body, request, origin, db, ("key_address", "key"))
        public = widget_config.public(config)
        session = ExamSession(
            id=str(uuid.uuid4()),
            api_key_id=key.id,
            institution_id=key.institution_id,
            origin=origin or "",
            assessment_id=config["assessmentId"],
            assessment_title=config["assessmentTitle"],
            candidate_id=config["candidateId"],
            candidate_email=config["candidateEmail"],
            candidate_name=f"{config['candidateFirstName']} {config['candidateLastName']}",
            exam_duration=float(config["examDuration"]),
            config=public,
            started_at=utcnow(),
        )
        db.add(session)
        db.flush()
        request.state.institution_id = key.institution_id
        twins = _live_twins(db, session)
        if twins:  # a second device, or someone else using the identity: never silent
            session.concurrent = True
            for other in twins:
                other.concurrent = True
        token = request.app.state.tokens.issue(session.id, expires_at(session.started_at.timestamp(), session.exam_duration))
        logs.info("session created", sessionId=session.id, institution=key.institution_id, key=key.prefix,
                  concurrent=session.concurrent, client=client_address(request))
        return SessionCreated(sessionId=session.id, token=token, startedAt=iso(session.started_at))


def check_token(request: Request, session_id: str, authorization: str | None, limit: str | None = None) -> None:
    """401 unless the bearer token is this session's and unexpired; 429 past the session's limit."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    try:
        request.app.state.tokens.check(token, session_id)
    except TokenError as e:
        raise ApiError(401, e.code, e.message) from None
    if limit is not None:
        wait = request.app.state.limits[limit].take(session_id)
        if wait is not None:
            raise rate_limited(wait, "session")


def authorized(request: Request, db: Session, session_id: str, authorization: str | None, origin: str | None,
               limit: str | None = None, writing: str | None = None) -> ExamSession:
    """The session, if the bearer token is this session's, unexpired, from its origin, within limits."""
    check_token(request, session_id, authorization, limit)
    session = db.get(ExamSession, session_id)
    refused = refusal(session is not None, origin, session.origin if session else None,
                      session is not None and session.ended_at is not None, writing=writing)
    if refused is not None:
        raise ApiError(refused.status, refused.code, refused.message)
    return cast(ExamSession, session)  # refusal() refused a missing one


@router.get("/sessions/{session_id}", response_model=None,
            responses={200: {"model": SessionState | SessionRecord, "description": "SessionState with the session token; "
                             "SessionRecord with a secret key"}, **errors(401, 403, 404)})
def get_session(
    session_id: str, request: Request, authorization: EitherAuth, origin: str | None = Header(default=None)
) -> SessionState | dict[str, Any]:
    """With the session token: the session as the server has it (a reloaded page asks before
    resuming). With a secret key: the full record (platform API)."""
    with _db(request).session() as db:
        if platform.is_secret(authorization):
            return platform.session_record(request, db, authorization, session_id)
        session = authorized(request, db, session_id, authorization, origin)
        events = db.scalar(select(func.count()).select_from(Event).where(Event.session_id == session_id)) or 0
        return SessionState(
            sessionId=session.id,
            startedAt=iso(session.started_at),
            endedAt=iso(session.ended_at) if session.ended_at else None,
            reason=session.end_reason,
            examDuration=session.exam_duration,
            events=events,
        )


@router.post("/sessions/{session_id}/events", response_model=BatchResult, response_model_exclude_none=True,
             responses=errors(401, 403, 404, 409, 422, 503))
def post_events(
    session_id: str,
    body: EventBatch,
    request: Request,
    authorization: SessionAuth,
    origin: str | None = Header(default=None),
) -> BatchResult:
    check_token(request, session_id, authorization, limit="events")
    for e in body.events:
        _finite(e.payload, f"events.{e.id}.payload")
    rows: dict[str, dict[str, Any]] = {}
    for e in body.events:  # the first of repeated ids in one batch wins
        rows.setdefault(e.id, {"session_id": session_id, "client_id": e.id, "type": e.type, "created_at": aware(e.createdAt),
                               "received_at": utcnow(), "payload": e.payload})
    try:
        stored = request.app.state.writer.store(session_id, origin, list(rows.values()))
    except Refused as e:
        raise ApiError(e.status, e.code, e.message) from None
    except Exception:
        raise ApiError(503, "RETRY", "The events could not be stored right now; retry the batch.",
                       headers={"Retry-After": "1"}) from None
    new_ids, refused = stored.new_ids, stored.refused
    if any(rows[i]["type"] in FLAGS for i in new_ids):
        request.app.state.webhooks.wake()  # their deliveries were queued in the same commit
    if new_ids:
        request.app.state.fanout.publish(board_of(stored.institution_id))  # the live pages show the new flags
    return BatchResult(stored=len(new_ids), duplicates=len(body.events) - len(new_ids) - len(refused), refused=refused,
                       ended=stored.ended)


@router.post("/sessions/{session_id}/end", response_model=Ended, responses=errors(401, 403, 404, 409, 422))
def end_session(
    session_id: str,
    request: Request,
    authorization: EitherAuth,
    body: EndIn | None = None,
    origin: str | None = Header(default=None),
) -> Ended:
    """The widget ends its session (``reason`` manual, time_up or error); with a secret key, the
    exam platform's server ends a live session (body optional, recorded as ``platform``)."""
    try:
        ended = _end(session_id, request, body, authorization, origin)
    finally:
        request.app.state.webhooks.wake()  # a SessionEnded delivery may have been queued
    if ended.reason != "platform":  # the platform's end (live.channel.end) told the live pages itself
        request.app.state.fanout.publish(board_of(request.state.institution_id))  # committed: the live pages drop it
    return ended


def _end(session_id: str, request: Request, body: EndIn | None, authorization: str | None, origin: str | None) -> Ended:
    with _db(request).session() as db:
        if platform.is_secret(authorization):
            ended = platform.end_session(request, db, authorization, session_id)
            return Ended(sessionId=ended.id, endedAt=iso(ended.ended_at or utcnow()), reason=ended.end_reason or "platform")
        session = authorized(request, db, session_id, authorization, origin)
        request.state.institution_id = session.institution_id
        if body is None or body.reason == "platform":
            raise ApiError(422, "INVALID_REQUEST", "reason: expected manual, time_up or error",
                           {"reason": "expected manual, time_up or error"})
        if session.ended_at is None:
            # When the candidate ended (an end sent late, after a reconnect, keeps its time),
            # clamped to the session's life: never before its start, never in the future.
            now = utcnow()
            claimed = aware(body.endedAt) if body.endedAt is not None else now
            session.ended_at = min(max(claimed, aware(session.started_at)), now)
            session.end_reason = body.reason
            review.announce_end(db, session)
        return Ended(sessionId=session.id, endedAt=iso(session.ended_at), reason=session.end_reason or body.reason)
