"""Server-sent events as a lean ASGI response, for streams that stay open for a whole exam (every
running widget holds one) and so must cost little while idle.

Starlette's ``StreamingResponse`` runs each stream in a task group of two tasks (one sending, one
listening for the client to leave) with their cancel scopes; here the stream runs in the request's
own task and one small task waits for the client to leave, which resolves ``gone`` — a future the
source passes to its waits (``Fanout.wait(..., gone=gone)``) so it stops at once, without a
``request.is_disconnected()`` round per turn. Measured by ``bench/live.py`` (memory per idle
connection)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator, Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

#: What every stream answers with: never cached, never buffered by a proxy (nginx honours
#: ``X-Accel-Buffering``), so a small event reaches the browser at once.
HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-store"),
           (b"x-accel-buffering", b"no")]


#: A streaming route's ``responses`` for its 200 answer, in the OpenAPI document.
DOCUMENTED: dict[int | str, dict[str, Any]] = {
    200: {"description": "Server-sent events, until the stream ends",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}}}


class EventStream(Response):
    """``source(gone)`` yields the stream's text (events and ``: comment`` heartbeats); it ends the
    stream by returning, and should return soon after ``gone`` (a future) is done.

    It declares no ``media_type``: FastAPI would document the route's error answers (JSON) under
    it too. A route says what its 200 is with ``responses={**DOCUMENTED, ...}``."""

    media_type = None

    def __init__(self, source: Callable[["asyncio.Future[None]"], AsyncIterator[str]], status_code: int = 200):
        # not Response.__init__: there is no body to render; the route's machinery (and the
        # OpenAPI document, from this signature) reads these
        self.source = source
        self.status_code = status_code
        self.background = None
        self.raw_headers = list(HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            if not gone.done():
                gone.set_result(None)

        watcher = asyncio.ensure_future(watch())
        body = self.source(gone)
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for text in body:
                if gone.done():
                    break
                await send({"type": "http.response.body", "body": text.encode(), "more_body": True})
            if not gone.done():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client left while we wrote
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()
        if self.background is not None:
            await self.background()
