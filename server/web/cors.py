"""CORS, answered per path.

- Static assets (``PUBLIC_ASSETS``: the loader, its types, the runtime, the widget, Human, PyScript) are public: any origin may load them.
- The API (``/api/``) answers every origin alike, preflight included. Its requests carry
  credentials only in an ``Authorization`` header (never cookies), so CORS protects nothing there:
  the API key and the page's ``Origin`` decide on session creation, the session token and the
  session's own origin on every later call, in the endpoints. Answering registered origins only
  would tell anyone which exam domains use this server (a 204 or a 403 to an anonymous ``OPTIONS``).
- Everything else (the dashboard) answers no other origin.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_ASSETS = ("/loader.js", "/loader.d.ts", "/manifest.json", "/runtime/", "/widget/", "/human/", "/py/", "/pyscript/")
ALLOW_HEADERS = "Authorization, Content-Type, Accept"
ALLOW_METHODS = "GET, POST, OPTIONS"


def allowed_origin(path: str, origin: str) -> str | None:
    """What ``Access-Control-Allow-Origin`` says to ``origin`` on ``path`` (None: nothing)."""
    if path.startswith(PUBLIC_ASSETS):
        return "*"
    if path.startswith("/api/"):
        return origin
    return None


class Cors:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allow = allowed_origin(scope["path"], origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            if allow is None:
                await PlainTextResponse("CORS: not a cross-origin resource", status_code=403)(scope, receive, send)
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
