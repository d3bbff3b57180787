"""Serving the built widget: ``/loader.js`` (revalidated) and versioned assets (cached forever)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("application/json", ".json")
mimetypes.add_type("application/zip", ".whl")
mimetypes.add_type("text/plain", ".ts")

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def routes(static_dir: Path) -> list[Route]:
    root = static_dir.resolve()

    def serve(relative: str, cache: str) -> Response:
        path = (root / relative).resolve()
        if root not in path.parents or not path.is_file():
            raise HTTPException(404, f"not found: {relative}")
        return FileResponse(path, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})

    async def loader(request: Request) -> Response:
        if not (root / "loader.js").is_file():
            raise HTTPException(503, "loader.js is not built: run `python build.py`")
        return serve("loader.js", REVALIDATE)

    async def versioned(request: Request) -> Response:
        return serve(request.url.path.lstrip("/"), IMMUTABLE)

    async def revalidated(request: Request) -> Response:
        return serve(request.url.path.lstrip("/"), REVALIDATE)

    return [
        Route("/loader.js", loader),
        Route("/loader.d.ts", revalidated),
        Route("/manifest.json", revalidated),
        Route("/py/{path:path}", revalidated),
        Route("/pyscript/{path:path}", versioned),
        Route("/runtime/{path:path}", versioned),
        Route("/widget/{path:path}", versioned),
        Route("/human/{path:path}", versioned),
    ]
