"""CORS, answered per path.

- Static assets (``PUBLIC_ASSETS``: the loader, its types, the runtime, the widget, Human, PyScript) are public: any origin may load them.
- ``GET /api/v1/health`` and ``POST /api/v1/sessions`` answer any origin, so that a page on an
  unregistered origin can read *why* it was refused (``DOMAIN_NOT_REGISTERED``); the origin check
  itself is made on the ``Origin`` header by the endpoint, and nothing is granted to such a page.
- Every other API path answers only origins registered for a live key (remembered for
  ``CACHE_SECONDS``; the endpoints themselves check the session's origin on every request).
"""

from __future__ import annotations

import time

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import keys
from .store import Database

PUBLIC_ASSETS = ("/loader.js", "/loader.d.ts", "/manifest.json", "/runtime/", "/widget/", "/human/", "/py/", "/pyscript/")
OPEN_API = ("/api/v1/health", "/api/v1/sessions", "/api/v1/sessions/preflight")
ALLOW_HEADERS = "Authorization, Content-Type, Accept"
ALLOW_METHODS = "GET, POST, OPTIONS"


#: How long an origin's registration is remembered; a revoked key's origin loses CORS within this.
CACHE_SECONDS = 30.0


class Cors:
    def __init__(self, app: ASGIApp, db: Database):
        self.app = app
        self.db = db
        self._known: dict[str, tuple[bool, float]] = {}

    def _registered(self, origin: str) -> bool:
        with self.db.session() as s:
            return keys.origin_registered(s, origin)

    async def _allow(self, path: str, origin: str) -> str | None:
        if path.startswith(PUBLIC_ASSETS):
            return "*"
        if path in OPEN_API:
            return origin
        if not path.startswith("/api/"):
            return None
        now = time.monotonic()
        cached = self._known.get(origin)
        if cached is None or cached[1] < now:
            allowed = await anyio.to_thread.run_sync(self._registered, origin)  # never block the event loop on the DB
            if len(self._known) > 10_000:
                self._known.clear()
            cached = self._known[origin] = (allowed, now + CACHE_SECONDS)
        return origin if cached[0] else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allow = await self._allow(scope["path"], origin)
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
