"""Reviewer sign-in: a signed session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) and
CSRF protection on every form (a random token in an HttpOnly cookie, echoed in a hidden field)."""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..store import User

SESSION_COOKIE = "eye_reviewer"
CSRF_COOKIE = "eye_csrf"
SESSION_SECONDS = 12 * 3600


class NeedsLogin(Exception):
    """Raised by ``reviewer()`` for a visitor who is not signed in: answered with a redirect."""


def _signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.signing_key, salt="eye-reviewer-session")


def sign_in(request: Request, response: Response, user: User) -> None:
    value = _signer(request).dumps({"u": user.id, "n": secrets.token_hex(8)})
    response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/dashboard")


def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/dashboard")


def reviewer(request: Request) -> User:
    """The signed-in reviewer (with their institution loaded), or NeedsLogin."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise NeedsLogin()
    try:
        data = _signer(request).loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:
        raise NeedsLogin() from None
    with request.app.state.db.session() as s:
        user = s.get(User, int(data["u"]))
        if user is None:
            raise NeedsLogin()
        user.institution  # load it while the session is open
        s.expunge(user)
        return user


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (made on first use; ``remember_csrf`` sets the cookie)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf", None) and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/dashboard")


def check_csrf(request: Request, submitted: str | None) -> None:
    """403 unless the form carries this browser's CSRF token."""
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted or not secrets.compare_digest(expected, submitted):
        raise HTTPException(403, "CSRF check failed: reload the page and try again.")
