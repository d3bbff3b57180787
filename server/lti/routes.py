"""``/lti/login``, ``/lti/launch`` and ``/lti/jwks.json``."""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..lms import claims as c
from ..lms import signing
from ..lms.launches import LaunchRefused, PlatformKeys, check_launch, start_login
from ..lms.platforms import for_login
from ..store import Database

router = APIRouter(prefix="/lti")
STATE_COOKIE = "eye_lti_state"


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def page(title: str, text: str, status: int = 200) -> HTMLResponse:
    """A plain page for a person who came from their LMS."""
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · Eye</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f'<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">'
            f'<h1>{html.escape(title)}</h1><p id="lti-message">{html.escape(text)}</p></body></html>')
    return HTMLResponse(body, status_code=status)


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
    handled by its message type."""
    keys: PlatformKeys = request.app.state.lti_keys
    with _db(request).session() as db:
        try:
            done = check_launch(db, keys, id_token, state, request.cookies.get(STATE_COOKIE))
        except LaunchRefused as e:
            answer = refused(e)
        else:
            if done.message_type == c.RESOURCE_LINK_REQUEST and all(r == c.LEARNER for r in done.roles):
                answer = page("Nothing to do here", "Eye proctors your exam when you start it from your course; "
                              "this link is for your instructors.")
            else:
                answer = page("Not handled yet", f"Eye checked this {done.message_type} launch, but does not "
                              "carry it out yet.", 501)
    answer.delete_cookie(STATE_COOKIE, path="/lti")
    return answer


@router.get("/jwks.json")
def jwks(request: Request) -> JSONResponse:
    """Eye's public keys, with which a platform checks the messages Eye signs."""
    with _db(request).session() as db:
        return JSONResponse(signing.jwks(db), headers={"Cache-Control": "max-age=300"})
