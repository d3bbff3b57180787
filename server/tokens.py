"""Session tokens: signed (HMAC via itsdangerous), scoped to one session, expiring.

A token carries ``{sid, exp}``; nothing is looked up to check it, so any instance that shares
the database (which holds the signing key unless ``EYE_SECRET_KEY`` is set) can verify it.
"""

from __future__ import annotations

import os
import secrets
import time

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from .store import Database, Setting

SECRET_ENV = "EYE_SECRET_KEY"
#: How long after the exam's planned end a token still works (late flushes, the final end call).
GRACE_SECONDS = 30 * 60


class TokenError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def signing_key(db: Database) -> str:
    """``EYE_SECRET_KEY``, else a random key made once and kept in the database."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    for _ in range(2):
        with db.session() as s:
            row = s.get(Setting, "token_key")
            if row is not None:
                return row.value
        try:
            with db.session() as s:
                s.add(Setting(name="token_key", value=secrets.token_urlsafe(48)))
        except IntegrityError:  # another instance created it first
            continue
    with db.session() as s:
        return s.get(Setting, "token_key").value  # type: ignore[union-attr]


class Tokens:
    def __init__(self, key: str):
        self._serializer = URLSafeSerializer(key, salt="eye-session-token")

    def issue(self, session_id: str, expires_at: float) -> str:
        return self._serializer.dumps({"sid": session_id, "exp": int(expires_at), "n": secrets.token_hex(4)})

    def check(self, token: str, session_id: str, now: float | None = None) -> None:
        """Raise TokenError unless ``token`` is genuine, for ``session_id`` and not expired."""
        try:
            data = self._serializer.loads(token)
        except BadSignature:
            raise TokenError("INVALID_SESSION_TOKEN", "The session token is not valid.") from None
        if not isinstance(data, dict) or data.get("sid") != session_id:
            raise TokenError("INVALID_SESSION_TOKEN", "The session token belongs to another session.")
        if float(data.get("exp", 0)) < (time.time() if now is None else now):
            raise TokenError("SESSION_TOKEN_EXPIRED", "The session token has expired.")


#: How long a signed evidence link (webhook ``mediaUrl``) works.
MEDIA_LINK_SECONDS = 7 * 24 * 3600


class MediaLinks:
    """Signed, expiring links to one event's evidence, for webhook receivers (no login needed)."""

    def __init__(self, key: str, max_age: int = MEDIA_LINK_SECONDS):
        self._serializer = URLSafeTimedSerializer(key, salt="eye-media-link")
        self.max_age = max_age

    def url(self, base_url: str, session_id: str, event_id: str) -> str:
        return f"{base_url.rstrip('/')}/api/v1/evidence/{self._serializer.dumps([session_id, event_id])}"

    def resolve(self, token: str) -> tuple[str, str]:
        try:
            session_id, event_id = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise TokenError("LINK_EXPIRED", "This evidence link has expired.") from None
        except (BadSignature, ValueError, TypeError):
            raise TokenError("NOT_FOUND", "No such evidence.") from None
        return str(session_id), str(event_id)
