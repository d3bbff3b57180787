"""What every dashboard page shares: the router, the templates and their filters, rendering with
the page's security headers, and finding the reviewer's own session (another institution's is a
404)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from sqlalchemy.orm import Session

from widget.events import LABELS

from ..outcomes import records as data
from ..store import Database, ExamSession, User
from ..store.models import iso
from .auth import csrf_token, may, remember_csrf

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
# Ids chosen by clients (candidate, assessment) are data, never structure: in a URL they only ever
# appear as a fully encoded query value; paths use the server's own opaque ids.
templates.env.filters["query"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
templates.env.filters["urlencode"] = lambda value: quote(str(value), safe="")
templates.env.filters["label"] = lambda event_type: LABELS.get(event_type, event_type)
templates.env.filters["reason"] = lambda code: data.END_REASON_WORDS.get(code, code) if code else ""
templates.env.globals["iso"] = iso


def _local(context: Any, moment: dt.datetime | str) -> dt.datetime:
    """``moment`` (a datetime, naive meaning UTC, or an ISO string) in the signed-in user's time zone."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    zone = ZoneInfo(getattr(context.get("user"), "time_zone", None) or "UTC")
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(zone)


@pass_context
def when(context: Any, moment: dt.datetime | str | None) -> str:
    """A time for people: ``3 Dec 2026, 16:14 UTC``, in the signed-in user's time zone."""
    if not moment:
        return ""
    local = _local(context, moment)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


@pass_context
def clock(context: Any, moment: dt.datetime | None, seconds: bool = False) -> str:
    """Only the time of day (``16:14``, or ``16:14:05``), in the signed-in user's time zone."""
    if not moment:
        return ""
    return f"{_local(context, moment):{'%H:%M:%S' if seconds else '%H:%M'}}"


templates.env.filters["when"] = when
templates.env.filters["clock"] = clock
router = APIRouter(prefix="/dashboard")
MAX_PAGE = 1_000_000
#: Pages run no inline script; the one script (keyboard review) is served from this origin.
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; frame-ancestors 'none'; form-action 'self'")


def wants_json(request: Request) -> bool:
    """A form posted by a page's script (``Accept: application/json``): answer JSON, not a redirect."""
    return "application/json" in request.headers.get("accept", "")


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", None)
    user = context["user"]
    context.setdefault("may", may(user))
    response = templates.TemplateResponse(request, name, {"csrf": csrf_token(request), **context}, status_code=status)
    remember_csrf(request, response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = CSP
    return response


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def own_session(user: User, session_id: str, db: Session) -> ExamSession:
    """The session if it is the user's institution's; 404 otherwise."""
    session = data.session_of(db, user.institution_id, session_id)
    if session is None:
        raise HTTPException(404, "No such session.")
    return session


def page_number(page: str) -> int:
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        raise HTTPException(400, f"page: expected a whole number from 1 to {MAX_PAGE}, received {page[:20]!r}")
    return int(page)


@router.get("/favicon.svg")
def favicon() -> FileResponse:
    """Eye's icon, which every dashboard page names (so no browser asks for a missing one)."""
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


@router.get("/live.js")
def live_script() -> FileResponse:
    """The live page's updates (the page shows the state at load without it)."""
    return FileResponse(HERE / "static" / "live.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@router.get("/review.js")
def review_script() -> FileResponse:
    """Keyboard review (progressive: every page works without it)."""
    return FileResponse(HERE / "static" / "review.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
