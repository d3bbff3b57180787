"""Reviewer sign-in: a server-side session (the HttpOnly, SameSite=Lax cookie, Secure over HTTPS,
holds a random token; the database holds its hash), and CSRF protection on every form.

Signed in, a form's CSRF token is the one stored with the reviewer's session (so it is bound to
it and dies with it); before sign-in, the login form uses a random token in an HttpOnly cookie,
echoed in a hidden field.
"""

from __future__ import annotations

import datetime as dt
import secrets

from fastapi import HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import delete

from ..access.users import SESSION_COOKIE, open_session, session_hash, set_session_cookie
from ..store import ReviewerSession, User
from ..store.models import utcnow

CSRF_COOKIE = "eye_csrf"


class NeedsLogin(Exception):
    """Raised by ``reviewer()`` for a visitor who is not signed in: answered with a redirect."""


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def sign_in(request: Request, response: Response, user: User) -> None:
    with request.app.state.db.session() as s:
        token = open_session(s, user)
    set_session_cookie(response, token, _secure(request))


def sign_out(request: Request, response: Response) -> None:
    """End this browser's session on the server (the cookie is worthless from now on)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        with request.app.state.db.session() as s:
            s.execute(delete(ReviewerSession).where(ReviewerSession.token_hash == session_hash(raw)))
    response.delete_cookie(SESSION_COOKIE, path="/dashboard", secure=_secure(request), httponly=True, samesite="lax")


def _session(request: Request) -> tuple[User, str] | None:
    """The signed-in reviewer (institution loaded) and the session's CSRF token, or None."""
    if hasattr(request.state, "reviewer"):
        remembered: tuple[User, str] | None = request.state.reviewer
        return remembered
    found = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        with request.app.state.db.session() as s:
            row = s.get(ReviewerSession, session_hash(raw))
            if row is not None and row.expires_at.replace(tzinfo=row.expires_at.tzinfo or dt.UTC) > utcnow():
                user = s.get(User, row.user_id)
                if user is not None and user.disabled_at is None:
                    _ = user.institution  # load it while the session is open
                    s.expunge(user)
                    found = (user, row.csrf)
    request.state.reviewer = found
    return found


def reviewer(request: Request) -> User:
    """The signed-in reviewer (with their institution loaded), or NeedsLogin."""
    found = _session(request)
    if found is None:
        raise NeedsLogin()
    return found[0]


#: What each role may do besides reading its institution's sessions: ``decide`` (verdicts and
#: review states), ``manage`` (keys, settings, users, deletions), ``audit`` (read and export the
#: audit trail).
MAY = {"admin": {"decide", "manage", "audit", "proctor"}, "reviewer": {"decide", "proctor"}, "auditor": {"audit"}}


def may(user: User | None) -> set[str]:
    """What ``user``'s role allows (nothing when signed out)."""
    return MAY.get(user.role, set()) if user is not None else set()


def reviewer_who_may(request: Request, action: str) -> User:
    """The signed-in user if their role allows ``action`` (see ``MAY``); 403 otherwise, whatever
    the page showed."""
    user = reviewer(request)
    if action not in may(user):
        raise HTTPException(403, f"Your role ({user.role}) may not do this.")
    return user


def csrf_token(request: Request) -> str:
    """The token this page's forms carry: the reviewer session's, else this browser's login token."""
    found = _session(request)
    if found is not None:
        return found[1]
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf", None) and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict",
                            secure=_secure(request), path="/dashboard")


def check_csrf(request: Request, submitted: str | None) -> None:
    """403 unless the form carries the token of this reviewer's session (or, signed out, of this
    browser's login form)."""
    found = _session(request)
    expected = found[1] if found is not None else request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted or not secrets.compare_digest(expected.encode(), submitted.encode()):
        raise HTTPException(403, "CSRF check failed: reload the page and try again.")
