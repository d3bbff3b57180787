"""``/lti/login``, ``/lti/launch`` and ``/lti/jwks.json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..access import users
from ..lms import attempts, instructors, signing
from ..lms import claims as c
from ..lms.launches import Launch, LaunchRefused, PlatformKeys, check_launch, start_login
from ..lms.platforms import for_login
from ..outcomes import review
from ..store import Database
from ..web.middleware import client_address
from .attempt_page import ATTEMPT_COOKIE, attempt_path
from .attempt_page import router as attempt_router
from .pages import page

router = APIRouter(prefix="/lti")
STATE_COOKIE = "eye_lti_state"


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def refused(e: LaunchRefused) -> HTMLResponse:
    return page("This launch was refused", f"{e} Nothing was created; start again from your course.", 400)


@router.api_route("/login", methods=["GET", "POST"], response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """The platform's third-party-initiated login: Eye remembers a state and a nonce and sends
    the browser to the platform's auth URL (LTI 1.3 core §5.1.1; GET or POST)."""
    fields: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        fields.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    issuer = str(fields.get("iss") or "")
    with _db(request).session() as db:
        platform = for_login(db, issuer, fields.get("client_id"), fields.get("lti_deployment_id"))
        if platform is None:
            return refused(LaunchRefused(f"iss: no LMS registered with Eye is {issuer[:200]!r} "
                                         f"(an administrator adds it with `eye lti add-platform`)."))
        try:
            state, to = start_login(db, platform, request.app.state.public_url.rstrip("/") + "/lti/launch",
                                    str(fields.get("login_hint") or ""), fields.get("lti_message_hint"))
        except LaunchRefused as e:
            return refused(e)
    answer = RedirectResponse(to, status_code=302)
    secure = request.url.scheme == "https"
    # The launch comes back as a cross-site form POST: behind TLS the cookie must be SameSite=None.
    answer.set_cookie(STATE_COOKIE, state, max_age=600, httponly=True, path="/lti", secure=secure,
                      samesite="none" if secure else "lax")
    return answer


@router.post("/launch", response_class=HTMLResponse)
def launch(request: Request, id_token: str = Form(""), state: str = Form("")) -> Response:
    """The platform posts the id_token here (form_post); refused with a page saying why, else
    carried out by its message type. A refused launch creates nothing."""
    keys: PlatformKeys = request.app.state.lti_keys
    try:
        with _db(request).session() as db:
            done = check_launch(db, keys, id_token, state, request.cookies.get(STATE_COOKIE))
    except LaunchRefused as e:
        answer: Response = refused(e)
    else:
        try:
            with _db(request).session() as db:  # its own transaction: a refusal here rolls back all of it
                answer = _carry_out(request, db, done)
        except LaunchRefused as e:
            answer = refused(e)
    answer.delete_cookie(STATE_COOKIE, path="/lti")
    return answer


def _carry_out(request: Request, db: Any, done: Launch) -> Response:
    secure = request.url.scheme == "https"
    if done.message_type == c.START_PROCTORING:
        attempt, secret = attempts.open_attempt(db, done)
        answer: Response = RedirectResponse(attempt_path(attempt.id), status_code=303)
        answer.set_cookie(ATTEMPT_COOKIE, secret, max_age=24 * 3600, httponly=True, path=attempt_path(attempt.id),
                          secure=secure, samesite="lax")
        return answer
    if done.message_type == c.END_ASSESSMENT:
        attempts.end_attempt(db, done)
        return page("Attempt finished", "Proctoring of this attempt has ended. You may close the Eye window.")
    role = instructors.dashboard_role(done)
    if role is None:
        return page("Nothing to do here", "Eye proctors your exam when you start it from your course; "
                    "this link is for your instructors.")
    user = instructors.sign_in_user(db, done, role)
    review.audit(db, user.institution_id, user.id, "sign-in", f"user {user.id}", f"from the LMS {done.platform.issuer}",
                 client_address(request))
    answer = RedirectResponse("/dashboard/", status_code=303)
    users.set_session_cookie(answer, users.open_session(db, user), secure)
    return answer


router.include_router(attempt_router)


@router.get("/jwks.json")
def jwks(request: Request) -> JSONResponse:
    """Eye's public keys, with which a platform checks the messages Eye signs."""
    with _db(request).session() as db:
        return JSONResponse(signing.jwks(db), headers={"Cache-Control": "max-age=300"})
