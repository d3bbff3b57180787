"""The live page (admins and reviewers): every session in progress at the proctor's institution,
updating without a reload — the page listens to ``/dashboard/live/stream`` (server-sent events:
"something changed") and fetches the grid again, at most once a second. A card opens the
session's side panel (``/dashboard/live/sessions/{id}``): its newest events, refreshed with the
grid, and the proctor's actions (message, pause, resume, a picture now, end). Without JavaScript
a card is a link to the session's page, which has the same actions."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

from fastapi import Request
from fastapi.responses import HTMLResponse

from ..live import board
from ..live.fanout import board_of
from ..live.sse import EventStream
from ..store.models import aware, utcnow
from .auth import reviewer_who_may
from .pages import db_of, own_session, render, router

#: A flag this recent is shown as new (the card pulses).
FRESH_SECONDS = 30
HEARTBEAT_SECONDS = 15.0


def _grid(request: Request, assessment: str) -> dict[str, Any]:
    user = reviewer_who_may(request, "proctor")
    with db_of(request).reading() as s:
        rows = board.running(s, user.institution_id, assessment or None)
        now = utcnow()
        fresh = {r.session.id for r in rows if r.last_flag_at is not None
                 and (now - aware(r.last_flag_at)).total_seconds() < FRESH_SECONDS}
        return {"user": user, "rows": rows, "fresh_ids": fresh, "assessment": assessment}


@router.get("/live", response_class=HTMLResponse)
def live_page(request: Request, assessment: str = "") -> HTMLResponse:
    return render(request, "live.html", **_grid(request, assessment))


@router.get("/live/grid", response_class=HTMLResponse)
def live_grid(request: Request, assessment: str = "") -> HTMLResponse:
    return render(request, "_live_grid.html", **_grid(request, assessment))


@router.get("/live/stream")
async def live_stream(request: Request) -> EventStream:
    """"changed" whenever one of the proctor's institution's sessions has news; a heartbeat
    comment otherwise."""
    key = board_of(reviewer_who_may(request, "proctor").institution_id)
    fanout = request.app.state.fanout

    async def events(gone: "asyncio.Future[None]") -> AsyncIterator[str]:
        yield ": connected\n\n"
        while not gone.done():
            yield "data: changed\n\n" if await fanout.wait(key, HEARTBEAT_SECONDS, gone) else ": ping\n\n"

    return EventStream(events)


@router.get("/live/sessions/{session_id}", response_class=HTMLResponse)
def live_panel(request: Request, session_id: str) -> HTMLResponse:
    """The side panel: the candidate, the actions and the newest events (a fragment)."""
    user = reviewer_who_may(request, "proctor")
    with db_of(request).reading() as s:
        return render(request, "_live_panel.html", user=user, panel=board.panel(s, own_session(user, session_id, s)))


@router.get("/live/sessions/{session_id}/timeline", response_class=HTMLResponse)
def live_panel_timeline(request: Request, session_id: str) -> HTMLResponse:
    """The side panel's changing part: the session's state and newest events (a fragment)."""
    user = reviewer_who_may(request, "proctor")
    with db_of(request).reading() as s:
        return render(request, "_live_timeline.html", user=user, panel=board.panel(s, own_session(user, session_id, s)))
