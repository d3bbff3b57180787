"""The demo exam page served by ``eye demo``: a real page that embeds the widget with a demo key."""

from __future__ import annotations

import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

PAGE = Path(__file__).with_name("exam.html")


def routes(api_key: str) -> list[Route]:
    async def page(request: Request) -> HTMLResponse:
        text = PAGE.read_text().replace("__EYE_DEMO_KEY__", html.escape(json.dumps(api_key), quote=False))
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    async def root(request: Request) -> RedirectResponse:
        return RedirectResponse("/demo/")

    return [Route("/demo/", page), Route("/", root)]
