"""Eye's proctoring page for one LMS attempt (``/lti/attempts/{id}``) and its two calls: the
widget's session ties to the attempt, and a click gets the ``LtiStartAssessment`` to post to the
LMS. The browser holding the attempt proves it with a cookie the launch set; the calls come from
Eye's own page only (their ``Origin`` is Eye's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from widget.language import N_, fill_page, for_page, words

from ..lms import attempts
from ..store import Database
from .pages import page

router = APIRouter(prefix="/attempts")
ATTEMPT_COOKIE = "eye_lti_attempt"
_PAGE = (Path(__file__).with_name("proctor.html")).read_text()
#: What the candidate reads on the proctoring page, in their browser's language (the candidate's
#: catalogs, see catalogs.py); the widget on it picks the same language from navigator.languages.
WORDS = {
    "title": N_("Proctored attempt"),
    "keep": N_("Keep this window open until you have submitted the assessment: it proctors your attempt "
               "(camera, microphone and your entire screen). The assessment opens in a new window."),
    "loading": N_("Loading proctoring\u2026"),
    "consent": N_("Proctoring needs your consent."),
    "open": N_("Open the assessment"),
    "ready": N_("Proctoring is active. Open the assessment when you are ready."),
    "opened": N_("Proctoring is active. The assessment is open in another window."),
    "ended": N_("Proctoring has ended. You may close this window."),
    "failed": N_("Proctoring could not start."),
    "untied": N_("Proctoring could not be tied to this attempt."),
    "unstarted": N_("The assessment could not be started."),
}


def attempt_path(attempt_id: str) -> str:
    return f"/lti/attempts/{attempt_id}"


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _own_origin(request: Request) -> bool:
    public = urlsplit(request.app.state.public_url)
    origin = urlsplit(request.headers.get("origin") or "")
    return (origin.scheme, origin.netloc) == (public.scheme, public.netloc)


def _refused(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


@router.get("/{attempt_id}", response_class=HTMLResponse)
def proctor_page(attempt_id: str, request: Request) -> Response:
    with _db(request).session() as db:
        try:
            attempt = attempts.held(db, attempt_id, request.cookies.get(ATTEMPT_COOKIE))
        except attempts.AttemptError as e:
            return page("This attempt is not open here", str(e), 403)
        data: dict[str, Any] = {
            "config": attempts.page_config(db, attempt, request.app.state.public_url,
                                           request.app.state.options.max_exam_seconds),
            "resume": attempts.resume_record(db, attempt, request.app.state.tokens),
            "urls": {name: f"{attempt_path(attempt.id)}/{name}" for name in ("session", "assessment", "closed")},
        }
    say = words(for_page(None, request.headers.get("accept-language")))
    text = fill_page(_PAGE, say, WORDS, data, "__ATTEMPT__")  # the LMS's words in the data stay data
    return HTMLResponse(text, headers={"Cache-Control": "no-store", "Content-Language": say.code, "Vary": "Accept-Language"})


class Started(BaseModel):
    sessionId: str


@router.post("/{attempt_id}/session")
def tie_session(attempt_id: str, request: Request, body: Started) -> Response:
    """The widget started ``sessionId`` on this attempt's page: it now watches the attempt."""
    if not _own_origin(request):
        return _refused(403, "Only Eye's proctoring page may do this.")
    with _db(request).session() as db:
        try:
            attempt = attempts.held(db, attempt_id, request.cookies.get(ATTEMPT_COOKIE))
            attempts.link_session(db, attempt, body.sessionId)
        except attempts.AttemptError as e:
            return _refused(409, str(e))
    return JSONResponse({"ok": True})


@router.post("/{attempt_id}/assessment")
def start_assessment(attempt_id: str, request: Request) -> Response:
    """``{url, jwt}``: the LMS's start-assessment URL and the ``LtiStartAssessment`` Eye signed."""
    if not _own_origin(request):
        return _refused(403, "Only Eye's proctoring page may do this.")
    with _db(request).session() as db:
        try:
            attempt = attempts.held(db, attempt_id, request.cookies.get(ATTEMPT_COOKIE))
            url, token = attempts.start_assessment(db, attempt)
        except attempts.AttemptError as e:
            return _refused(409, str(e))
    return JSONResponse({"url": url, "jwt": token}, headers={"Cache-Control": "no-store"})


@router.post("/{attempt_id}/closed", status_code=204)
def closed(attempt_id: str, request: Request) -> Response:
    """The proctoring window closed (or navigated away) while the attempt was open (a beacon)."""
    if not _own_origin(request):
        return _refused(403, "Only Eye's proctoring page may do this.")
    with _db(request).session() as db:
        try:
            attempts.window_closed(db, attempts.held(db, attempt_id, request.cookies.get(ATTEMPT_COOKIE)))
        except attempts.AttemptError:
            pass  # an ended attempt's window may close as it likes
    return Response(status_code=204)
