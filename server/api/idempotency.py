"""Idempotency keys: a POST (or DELETE) to the API with an ``Idempotency-Key`` header is carried
out once. A retry with the same key and the same request gets the first answer again (status and
body, marked ``Idempotent-Replayed: true``); the same key with another request is a 409 saying so;
a retry while the first is still running is a 409 too. Keys are scoped to the credential
(``Authorization``) and kept 24 hours. Answers that did not happen (401, 429, 5xx) are not kept,
so a retry after them runs anew."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

import anyio
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store import Database, IdempotentRequest
from ..store.models import aware, utcnow

HEADER = "idempotency-key"
KEEP = dt.timedelta(hours=24)
MAX_KEY = 255
NOT_KEPT = {401, 429}
METHODS = ("POST", "DELETE")
#: A candidate's deletion keeps no answer (it would name the candidate it deleted); it is
#: idempotent by itself: a repeat deletes nothing more.
NOT_KEPT_PATH = re.compile(r"^/api/v1/candidates/")
#: The session an answer is about, from its path (else its ``sessionId``).
SESSION_PATH = re.compile(r"^/api/v1/sessions/([0-9A-Za-z-]{1,36})(?:/|$)")


#: A request still "in progress" after this long died with its process: its key may be used again.
STALE = dt.timedelta(minutes=2)


def _error(status: int, code: str, message: str) -> tuple[int, bytes, bool]:
    """An answer of this middleware's own (not a replay)."""
    return status, json.dumps({"code": code, "message": message, "details": {"Idempotency-Key": message}}).encode(), False


class Idempotency:
    """ASGI middleware for ``/api/`` (see the module's docstring); it stores in the database, so
    every instance sees the same keys."""

    def __init__(self, app: ASGIApp, db: Database):
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        key = headers.get(HEADER) if headers is not None else None
        if (headers is None or key is None or scope["method"] not in METHODS or not scope["path"].startswith("/api/")
                or NOT_KEPT_PATH.match(scope["path"])):
            await self.app(scope, receive, send)
            return
        if not 0 < len(key) <= MAX_KEY:
            await _answer(send, *_error(400, "INVALID_REQUEST", f"Idempotency-Key: expected 1 to {MAX_KEY} characters, "
                                        f"received {len(key)}"))
            return
        body = b""
        while True:  # the body limit middleware outside this one has already bounded it
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        owner = hashlib.sha256((headers.get("authorization") or "").encode()).hexdigest()
        fingerprint = hashlib.sha256(f"{scope['method']} {scope['path']}?{scope.get('query_string', b'').decode()}\n".encode()
                                     + body).hexdigest()
        found = await anyio.to_thread.run_sync(self._begin, owner, key, fingerprint)
        if found is not None:
            await _answer(send, *found)
            return
        sent: list[Message] = []
        replay = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive_again() -> Message:
            return replay.pop() if replay else await receive()

        async def capture(message: Message) -> None:
            sent.append(message)
            await send(message)

        status = 500
        try:
            await self.app(scope, receive_again, capture)
            status = next((m["status"] for m in sent if m["type"] == "http.response.start"), 500)
        finally:
            answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
            await anyio.to_thread.run_sync(self._finish, owner, key, status, answer, scope["path"])

    def _begin(self, owner: str, key: str, fingerprint: str) -> tuple[int, bytes, bool] | None:
        """Claim the key for this request (None: go on), or what to answer instead."""
        now = utcnow()
        try:
            with self.db.session() as s:
                s.execute(delete(IdempotentRequest).where(IdempotentRequest.owner == owner,
                                                          IdempotentRequest.created_at < now - KEEP))
                s.add(IdempotentRequest(owner=owner, key=key, fingerprint=fingerprint, created_at=now))
            return None
        except IntegrityError:
            pass
        with self.db.session() as s:
            row = s.scalar(select(IdempotentRequest).where(IdempotentRequest.owner == owner, IdempotentRequest.key == key))
            if row is not None and row.status is None and aware(row.created_at) < utcnow() - STALE:
                s.delete(row)  # its process died before answering: carry the request out now
                row = None
            elif row is not None:
                if row.fingerprint != fingerprint:
                    return _error(409, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used for another request in "
                                  "the last 24 h (another method, path or body); use a new key for a new request")
                if row.status is None:
                    return _error(409, "IDEMPOTENCY_KEY_IN_USE", "a request with this Idempotency-Key is still being "
                                  "carried out; retry in a moment to get its answer")
                return row.status, (row.response or "").encode(), True
        return self._begin(owner, key, fingerprint)  # gone meanwhile (expired, or stale): a new request

    def _finish(self, owner: str, key: str, status: int, answer: bytes, path: str) -> None:
        with self.db.session() as s:
            row = s.scalar(select(IdempotentRequest).where(IdempotentRequest.owner == owner, IdempotentRequest.key == key))
            if row is None:
                return
            if status >= 500 or status in NOT_KEPT:
                s.delete(row)  # it did not happen: the retry runs anew
            else:
                row.status, row.response = status, answer.decode("utf-8", "replace")
                row.session_id = session_of(path, row.response)


def session_of(path: str, answer: str) -> str | None:
    """The session a kept answer is about: the one its path names, else its ``sessionId``."""
    if m := SESSION_PATH.match(path):
        return m.group(1)
    try:
        found = json.loads(answer).get("sessionId")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) and len(found) <= 36 else None


async def _answer(send: Send, status: int, body: bytes, replayed: bool = False) -> None:
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
