"""Serving the built widget: ``/loader.js`` (revalidated: a repeat visit gets ``304 Not Modified``
for its ETag instead of the body) and versioned assets (cached forever)."""

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

    def serve(request: Request, relative: str, cache: str) -> Response:
        path = (root / relative).resolve()
        if root not in path.parents or not path.is_file():
            raise HTTPException(404, f"not found: {relative}")
        response = FileResponse(path, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
                                stat_result=path.stat())  # so the ETag is known here
        etag = response.headers.get("etag")
        asked = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
        if etag and (etag in asked or f"W/{etag}" in asked):
            kept = {k: v for k, v in response.headers.items() if k in ("etag", "last-modified", "cache-control")}
            return Response(status_code=304, headers=kept)
        return response

    async def loader(request: Request) -> Response:
        if not (root / "loader.js").is_file():
            raise HTTPException(503, "loader.js is not built: run `python build.py`")
        return serve(request, "loader.js", REVALIDATE)

    async def versioned(request: Request) -> Response:
        return serve(request, request.url.path.lstrip("/"), IMMUTABLE)

    async def revalidated(request: Request) -> Response:
        return serve(request, request.url.path.lstrip("/"), REVALIDATE)

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
