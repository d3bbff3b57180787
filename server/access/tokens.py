"""Session tokens: signed (HMAC via itsdangerous), scoped to one session, expiring.

A token carries ``{sid, exp}``; nothing is looked up to check it, so any instance with the same
signing key (``EYE_SECRET_KEY``, or the same key file) can verify it.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from ..store import Database, Setting

SECRET_ENV = "EYE_SECRET_KEY"  # noqa: S105 (the name of an environment variable, not a secret)
KEY_FILE_ENV = "EYE_SECRET_KEY_FILE"
#: How long after the exam's planned end a token still works (late flushes, the final end call).
GRACE_SECONDS = 30 * 60


def expires_at(started_at: float, exam_duration: float) -> float:
    """When a session's token stops working: the exam's planned end plus the grace (epoch seconds)."""
    return started_at + exam_duration + GRACE_SECONDS


class TokenError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def default_key_file(database_url: str) -> Path:
    """``EYE_SECRET_KEY_FILE``, else beside a SQLite database (``eye.db`` → ``eye.db.key``), else
    ``./eye-secret.key``."""
    if os.environ.get(KEY_FILE_ENV):
        return Path(os.environ[KEY_FILE_ENV])
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        return Path(database_url.removeprefix("sqlite:///") + ".key")
    return Path.cwd() / "eye-secret.key"


def _read_or_create(path: Path, initial: str) -> str:
    """The key in ``path``; made from ``initial`` if there is none. Written to a private temporary
    file and linked into place, so processes starting together all end with the same key."""
    if path.exists():
        return path.read_text().strip()
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(initial + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first: theirs is the key
    finally:
        temporary.unlink()
    return path.read_text().strip()


def signing_key(db: Database, key_file: Path | None = None) -> str:
    """``EYE_SECRET_KEY``, else the key in a 0600 key file (made once). Never kept in a table: a
    key an older version stored in ``settings`` moves to the file (so its tokens stay valid)."""
    with db.session() as s:
        legacy = s.get(Setting, "token_key")
        if legacy is not None:
            s.delete(legacy)
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = key_file or default_key_file(db.url)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = _read_or_create(path, legacy.value if legacy is not None else secrets.token_urlsafe(48))
    if not key:
        raise RuntimeError(f"the signing key file {path} is empty; delete it or set {SECRET_ENV}")
    return key


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
