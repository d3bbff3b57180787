"""Evidence uploads: one JPEG or WAV per event, checked (type, magic bytes, size) and stored on
disk; listed and served back to the session's token holder."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ..store import Media
from ..tokens import TokenError
from .errors import ApiError
from .sessions import authorized, iso

router = APIRouter(prefix="/api/v1")

#: content type → (file extension, magic-bytes check, size limit in bytes)
KINDS = {
    "image/jpeg": (".jpg", lambda b: b[:3] == b"\xff\xd8\xff", 2 * 1024 * 1024),
    "audio/wav": (".wav", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE", 4 * 1024 * 1024),
}
KINDS["audio/x-wav"] = KINDS["audio/wav"]
MAX_BYTES = max(limit for _, _, limit in KINDS.values())


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "TOO_LARGE", f"Evidence files may be at most {limit} bytes, received {declared}.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, "TOO_LARGE", f"Evidence files may be at most {limit} bytes.")
    return bytes(body)


@router.post("/sessions/{session_id}/events/{event_id}/media", status_code=201)
async def upload_media(
    session_id: str,
    event_id: str,
    request: Request,
    authorization: str | None = Header(default=None),
    origin: str | None = Header(default=None),
    content_type: str | None = Header(default=None),
) -> dict:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in KINDS:
        raise ApiError(415, "UNSUPPORTED_MEDIA", f"Evidence must be image/jpeg or audio/wav, received {kind or 'none'}.")
    if not (0 < len(event_id) <= 64) or not event_id.replace("-", "").isalnum():
        raise ApiError(422, "INVALID_REQUEST", "The event id is not valid.", {"eventId": "expected the event's client id"})
    ext, looks_right, limit = KINDS[kind]
    data = await _read_limited(request, limit)
    if not looks_right(data):
        raise ApiError(415, "UNSUPPORTED_MEDIA", f"The body is not a {kind} file.")
    return await run_in_threadpool(_store, request, session_id, event_id, kind, ext, data, authorization, origin)


def _store(request: Request, session_id, event_id, kind, ext, data, authorization, origin) -> dict:  # type: ignore[no-untyped-def]
    media_dir: Path = request.app.state.media_dir
    with request.app.state.db.session() as db:
        session = authorized(request, db, session_id, authorization, origin, limit="media")
        if session.ended_at is not None:
            raise ApiError(409, "SESSION_ENDED", "The session has ended; it accepts no more evidence.")
        existing = db.scalar(select(Media).where(Media.session_id == session_id, Media.event_client_id == event_id))
        if existing is not None:
            return _describe(existing)
        relative = Path(session_id) / f"{event_id}{ext}"
        target = media_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        row = Media(session_id=session_id, event_client_id=event_id, content_type="audio/wav" if ext == ".wav" else kind,
                    size=len(data), sha256=hashlib.sha256(data).hexdigest(), path=relative.as_posix())
        db.add(row)
        db.flush()
        return _describe(row)


def _describe(row: Media) -> dict:
    return {"eventId": row.event_client_id, "contentType": row.content_type, "size": row.size, "sha256": row.sha256,
            "createdAt": iso(row.created_at)}


@router.get("/sessions/{session_id}/media")
def list_media(session_id: str, request: Request, authorization: str | None = Header(default=None)) -> list[dict]:
    with request.app.state.db.session() as db:
        authorized(request, db, session_id, authorization, None)
        rows = db.scalars(select(Media).where(Media.session_id == session_id).order_by(Media.id)).all()
        return [_describe(r) for r in rows]


@router.get("/sessions/{session_id}/events/{event_id}/media")
def get_media(session_id: str, event_id: str, request: Request, authorization: str | None = Header(default=None)) -> FileResponse:
    with request.app.state.db.session() as db:
        authorized(request, db, session_id, authorization, None)
        row = db.scalar(select(Media).where(Media.session_id == session_id, Media.event_client_id == event_id))
        if row is None:
            raise ApiError(404, "NOT_FOUND", "No evidence for this event.")
        return FileResponse(request.app.state.media_dir / row.path, media_type=row.content_type)


@router.get("/evidence/{token}")
def evidence_by_link(token: str, request: Request) -> FileResponse:
    """A webhook's ``mediaUrl``: the evidence file, for whoever holds the signed, unexpired link."""
    try:
        session_id, event_id = request.app.state.media_links.resolve(token)
    except TokenError as e:
        raise ApiError(410 if e.code == "LINK_EXPIRED" else 404, e.code, e.message) from None
    with request.app.state.db.session() as db:
        row = db.scalar(select(Media).where(Media.session_id == session_id, Media.event_client_id == event_id))
        if row is None:
            raise ApiError(404, "NOT_FOUND", "No evidence for this event (yet).")
        return FileResponse(request.app.state.media_dir / row.path, media_type=row.content_type,
                            headers={"Cache-Control": "private, max-age=3600"})
