"""Structured server logs: one JSON object per line on stderr, with the request id, and the session
and institution where known. Never keys, tokens, passwords or evidence-link tokens: the access
log writes paths with secrets redacted and no headers or bodies.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("eye")
access = logging.getLogger("eye.access")

#: Path parts that are credentials: the signed evidence link (a webhook's mediaUrl).
_SECRET_PATHS = re.compile(r"^(/api/v1/evidence/)[^/]+")
_SESSION = re.compile(r"^/(?:api/v1|dashboard)/sessions/([0-9a-f-]{36})")
#: Fields a log call may not carry, whatever the caller passes.
_REDACT = re.compile(r"(?i)(token|secret|password|api_?key|authorization|cookie)")


def redact_path(path: str) -> str:
    return _SECRET_PATHS.sub(r"\1[redacted]", path)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in getattr(record, "fields", {}).items():
            entry[name] = "[redacted]" if _REDACT.search(name) else value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: int = logging.INFO) -> None:
    """JSON lines on stderr for Eye's and uvicorn's loggers (uvicorn's own access log is off)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("eye", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


def info(message: str, **fields: Any) -> None:
    log.info(message, extra={"fields": fields})


def warning(message: str, **fields: Any) -> None:
    log.warning(message, extra={"fields": fields})


class AccessLog:
    """One line per request: request id (also sent back as ``X-Request-Id``), method, redacted
    path, status, milliseconds, body bytes sent (as on the wire: compressed when the asset was),
    client address, session id and institution where known."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500
        sent = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("request failed", extra={"fields": {"requestId": request_id, "path": redact_path(scope["path"])}})
            raise
        finally:
            path = scope["path"]
            session = _SESSION.match(path)
            state = scope.get("state", {})
            reviewer = state.get("reviewer")
            fields = {
                "requestId": request_id,
                "method": scope["method"],
                "path": redact_path(path),
                "status": status,
                "ms": round((time.perf_counter() - start) * 1000, 1),
                "bytes": sent,
                "client": (scope.get("client") or ("?",))[0],
            }
            if session:
                fields["sessionId"] = session.group(1)
            if state.get("institution_id") is not None:
                fields["institution"] = state["institution_id"]
            elif reviewer:
                fields["institution"] = reviewer[0].institution_id
            access.info("request", extra={"fields": fields})
