"""The widget's channel (session token): ``GET /sessions/{id}/channel`` streams what a live
proctor sends as server-sent events (after ``?after=`` or ``Last-Event-ID``, a heartbeat comment
every 15 s, never buffered by a proxy: ``X-Accel-Buffering: no``), and ``POST …/channel/ack``
records what the widget applied. The stream ends when the session does."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator

import anyio
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from ..live import channel
from ..live.sse import DOCUMENTED, EventStream
from ..store import Database, ExamSession
from .auth import SessionAuth
from .errors import errors
from .sessions import authorized

router = APIRouter(prefix="/api/v1")
#: How often a waiting stream reads the database even if no instance said there is news, and
#: how often it sends a heartbeat comment.
POLL_SECONDS = 5.0
HEARTBEAT_SECONDS = 15.0
#: The streams' database reads (one per stream every few seconds, thousands of streams) share a
#: few threads of their own, so they never hold the threads and connections the API's requests need.
READERS = anyio.CapacityLimiter(4)


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.get("/sessions/{session_id}/channel", response_class=EventStream,
            responses={**DOCUMENTED, **errors(401, 403, 409)})
async def stream(session_id: str, request: Request, authorization: SessionAuth, after: int = 0,
                 origin: str | None = Header(default=None),
                 last_event_id: str | None = Header(default=None, alias="Last-Event-ID")) -> EventStream:
    """What the proctor sent after ``after`` (or ``Last-Event-ID``), then each new message as it comes."""
    start = max(after, int(last_event_id) if last_event_id and last_event_id.isdigit() else 0)

    def check() -> None:
        with _db(request).session() as db:
            authorized(request, db, session_id, authorization, origin, writing="messages")
            if start:
                channel.ack(db, session_id, start)  # asking for what came after N: N was applied

    await anyio.to_thread.run_sync(check, limiter=READERS)
    fanout = request.app.state.fanout

    def read(last: int) -> tuple[list[str], list[int], bool]:
        with _db(request).reading() as db:
            rows = channel.after(db, session_id, last)
            session = db.get(ExamSession, session_id)
            return [channel.as_event(m) for m in rows], [m.id for m in rows], session is None or session.ended_at is not None

    async def events(gone: "asyncio.Future[None]") -> AsyncIterator[str]:
        last, quiet_since = start, time.monotonic()
        yield ": connected\n\n"  # the headers and a first byte now: the widget knows it is connected
        while not gone.done():
            sent, ids, ended = await anyio.to_thread.run_sync(read, last, limiter=READERS)
            for text in sent:
                yield text
            if ids:
                last, quiet_since = ids[-1], time.monotonic()
            if ended:
                return
            if (not await fanout.wait(session_id, POLL_SECONDS, gone) and not gone.done()
                    and time.monotonic() - quiet_since >= HEARTBEAT_SECONDS):
                quiet_since = time.monotonic()
                yield ": ping\n\n"

    return EventStream(events)


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    upTo: int = Field(ge=0)


class Acked(BaseModel):
    acknowledged: int


@router.post("/sessions/{session_id}/channel/ack", response_model=Acked, responses=errors(401, 403, 409, 422))
def acknowledge(session_id: str, body: AckIn, request: Request, authorization: SessionAuth,
                origin: str | None = Header(default=None)) -> dict[str, Any]:
    """The widget applied every message up to ``upTo``."""
    with _db(request).session() as db:
        authorized(request, db, session_id, authorization, origin)
        return {"acknowledged": channel.ack(db, session_id, body.upTo)}
