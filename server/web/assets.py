"""Serving the built widget: ``/loader.js`` (revalidated: a repeat visit gets ``304 Not Modified``
for its ETag instead of the body) and versioned assets (cached forever). A file with a brotli or
gzip sibling (``build.py`` writes them) goes out compressed to a browser that accepts it, with
``Vary: Accept-Encoding``, that sibling's length and its own ETag; the ``Content-Type`` stays the
file's (``application/wasm`` for the runtime, which the browser then compiles as it streams)."""

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
#: The encodings Eye has siblings for, best first: (Content-Encoding, file suffix).
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def accepted_encodings(header: str) -> set[str]:
    """The codings an ``Accept-Encoding`` header allows (``q=0`` refuses one; ``*`` allows all)."""
    allowed: set[str] = set()
    refused: set[str] = set()
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        q = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
        try:
            weight = float(q)
        except ValueError:
            weight = 1.0
        (allowed if weight > 0 else refused).add(name)
    if "*" in allowed:
        allowed |= {name for name, _ in ENCODINGS}
    return allowed - refused


def routes(static_dir: Path) -> list[Route]:
    root = static_dir.resolve()

    def serve(request: Request, relative: str, cache: str) -> Response:
        path = (root / relative).resolve()
        if root not in path.parents or not path.is_file():
            raise HTTPException(404, f"not found: {relative}")
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        sent = path
        siblings = [(name, sibling) for name, suffix in ENCODINGS
                    if (sibling := path.with_name(path.name + suffix)).is_file()]  # each looked at once
        if siblings:
            headers["Vary"] = "Accept-Encoding"
            allowed = accepted_encodings(request.headers.get("accept-encoding", ""))
            for name, sibling in siblings:
                if name in allowed:
                    sent, headers["Content-Encoding"] = sibling, name
                    break
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response = FileResponse(sent, headers=headers, media_type=media_type,
                                stat_result=sent.stat())  # so the ETag (this encoding's) is known here
        etag = response.headers.get("etag")
        asked = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
        if etag and (etag in asked or f"W/{etag}" in asked):
            kept = {k: v for k, v in response.headers.items() if k in ("etag", "last-modified", "cache-control", "vary")}
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
