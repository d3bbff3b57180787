"""HTTP hardening shared by every route: request body limits, security headers, and who the client is."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def client_address(request: Request) -> str:
    """The client's address, as throttles and logs count it (a trusted proxy's X-Forwarded-For
    already applied by the app's proxy middleware)."""
    return request.client.host if request.client else "?"


#: JSON API bodies (event batches, session creation); evidence uploads have their own limits.
JSON_LIMIT = 1024 * 1024
MEDIA_LIMIT = 4 * 1024 * 1024


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"code": "TOO_LARGE", "message": f"The request body exceeds {limit} bytes.", "details": {"limit": limit}},
                        status_code=413)


class BodyLimit:
    """413 for an ``/api/`` body above its limit, whether declared (Content-Length) or streamed."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        limit = MEDIA_LIMIT if scope["path"].endswith("/media") else JSON_LIMIT
        declared = Headers(scope=scope).get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0
        refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not refused:
                    refused = True  # answer now; the app then sees the client as gone
                    await _too_large(limit)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not refused:
                raise


class SecurityHeaders:
    """Headers every response carries; assets also say they may be embedded cross-origin."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h.setdefault("X-Content-Type-Options", "nosniff")
                h.setdefault("Referrer-Policy", "no-referrer")
                h.setdefault("Cross-Origin-Resource-Policy", "cross-origin" if not path.startswith("/api/") else "same-site")
                if path.startswith("/api/"):
                    h.setdefault("Cache-Control", "no-store")
                    h.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, with_headers)
