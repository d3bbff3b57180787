"""CORS, answered per path.

- Static assets (``/loader.js``, ``/runtime/``, ``/widget/``, ``/human/``) are public: any origin may load them.
- ``GET /api/v1/health`` and ``POST /api/v1/sessions`` answer any origin, so that a page on an
  unregistered origin can read *why* it was refused (``DOMAIN_NOT_REGISTERED``); the origin check
  itself is made on the ``Origin`` header by the endpoint, and nothing is granted to such a page.
- Every other API path answers only origins registered for a live key.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import keys

PUBLIC_ASSETS = ("/loader.js", "/runtime/", "/widget/", "/human/")
OPEN_API = ("/api/v1/health", "/api/v1/sessions")
ALLOW_HEADERS = "Authorization, Content-Type, Accept"
ALLOW_METHODS = "GET, POST, OPTIONS"


class Cors:
    def __init__(self, app: ASGIApp, db):  # type: ignore[no-untyped-def]
        self.app = app
        self.db = db

    def _allow(self, path: str, origin: str) -> str | None:
        if path.startswith(PUBLIC_ASSETS):
            return "*"
        if path in OPEN_API:
            return origin
        if path.startswith("/api/"):
            with self.db.session() as s:
                return origin if keys.origin_registered(s, origin) else None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allow = self._allow(scope["path"], origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            if allow is None:
                await PlainTextResponse("CORS: origin not registered", status_code=403)(scope, receive, send)
                return
            response = PlainTextResponse("", status_code=204)
            response.headers.update(
                {
                    "Access-Control-Allow-Origin": allow,
                    "Access-Control-Allow-Methods": ALLOW_METHODS,
                    "Access-Control-Allow-Headers": ALLOW_HEADERS,
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                }
            )
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allow is not None:
                h = MutableHeaders(scope=message)
                h["Access-Control-Allow-Origin"] = allow
                h.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)
