"""Evidence uploads: one JPEG or WAV per event, checked (type, magic bytes, size) and stored on
disk; listed and served back to the session's token holder."""

from __future__ import annotations

from typing import Any, Callable

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from widget.events import MEDIA_EVENTS

from ..access.tokens import TokenError
from ..custody.evidence import read_checked, sha256
from ..store import Event, Media
from ..store.models import iso
from . import platform
from .auth import EitherAuth, SessionAuth
from .errors import ApiError, errors
from .sessions import authorized

router = APIRouter(prefix="/api/v1")

#: content type → (file extension, magic-bytes check, size limit in bytes)
KINDS: dict[str, tuple[str, Callable[[bytes], bool], int]] = {
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


#: The OpenAPI answer of a route that sends an evidence file.
FILE: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}, "audio/wav": {}}, "description": "the evidence file"}}


@router.post("/sessions/{session_id}/events/{event_id}/media", status_code=201,
             responses=errors(401, 403, 404, 409, 413, 415, 422))
async def upload_media(
    session_id: str,
    event_id: str,
    request: Request,
    authorization: SessionAuth,
    origin: str | None = Header(default=None),
    content_type: str | None = Header(default=None),
) -> dict[str, Any]:
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


def _store(request: Request, session_id: str, event_id: str, kind: str, ext: str, data: bytes,
           authorization: str | None, origin: str | None) -> dict[str, Any]:
    """Evidence only for a stored event that declares media, once per event, within the session's
    quota. The file is staged under a temporary name and renamed only after its row committed."""
    store = request.app.state.evidence
    options = request.app.state.options
    relative = f"{session_id}/{event_id}{ext}"
    content_type = "audio/wav" if ext == ".wav" else kind  # audio/x-wav is stored as audio/wav
    staged = None
    try:
        with request.app.state.db.session() as db:
            authorized(request, db, session_id, authorization, origin, limit="media", writing="evidence")
            existing = db.scalar(select(Media).where(Media.session_id == session_id, Media.event_client_id == event_id))
            if existing is not None:
                return _describe(existing)
            event = db.scalar(select(Event).where(Event.session_id == session_id, Event.client_id == event_id))
            declared = ((event.payload or {}).get("media") or {}) if event is not None else {}
            if event is None or event.type not in MEDIA_EVENTS or not isinstance(declared, dict) or not declared:
                raise ApiError(404, "NO_SUCH_EVENT", "Evidence is accepted only for a stored event that declares it "
                               "(send the event first).", {"eventId": "no stored event of this session declares media"})
            if declared.get("contentType") not in (None, kind, content_type):
                raise ApiError(415, "UNSUPPORTED_MEDIA", f"The event declared {declared.get('contentType')}, received {kind}.")
            count, total = db.execute(select(func.count(), func.coalesce(func.sum(Media.size), 0))
                                      .where(Media.session_id == session_id)).one()
            if count >= options.evidence_max_files or total + len(data) > options.evidence_max_bytes:
                raise ApiError(413, "QUOTA_EXCEEDED", f"This session's evidence quota is full ({options.evidence_max_files} "
                               f"files, {options.evidence_max_bytes // (1024 * 1024)} MiB).",
                               {"files": count, "bytes": total})
            staged = store.write(relative, data)
            row = Media(session_id=session_id, event_client_id=event_id, content_type=content_type, size=len(data),
                        sha256=sha256(data), path=relative)
            db.add(row)
            db.flush()
            described = _describe(row)
        store.commit(staged, relative)  # the row committed: the file takes its place
        staged = None
        return described
    finally:
        if staged is not None:
            store.abort(staged, relative)


def _file(request: Request, row: Media, headers: dict[str, str]) -> Response:
    """The evidence file, if it is still the one stored (sha256 checked); 404 otherwise."""
    data = read_checked(request.app.state.evidence, row.path, row.sha256)
    if data is None:
        raise ApiError(404, "NOT_FOUND", "The evidence file is missing or damaged.")
    return Response(data, media_type=row.content_type, headers=headers)


def _describe(row: Media) -> dict[str, Any]:
    return {"eventId": row.event_client_id, "contentType": row.content_type, "size": row.size, "sha256": row.sha256,
            "createdAt": iso(row.created_at)}


@router.get("/sessions/{session_id}/media", responses=errors(401, 403, 404))
def list_media(session_id: str, request: Request, authorization: SessionAuth) -> list[dict[str, Any]]:
    with request.app.state.db.session() as db:
        authorized(request, db, session_id, authorization, None)
        rows = db.scalars(select(Media).where(Media.session_id == session_id).order_by(Media.id)).all()
        return [_describe(r) for r in rows]


@router.get("/sessions/{session_id}/events/{event_id}/media", responses={**FILE, **errors(401, 403, 404)})
def get_media(session_id: str, event_id: str, request: Request, authorization: EitherAuth) -> Response:
    with request.app.state.db.session() as db:
        if platform.is_secret(authorization):
            return _file(request, platform.evidence(request, db, authorization, session_id, event_id),
                         {"Cache-Control": "private, no-store"})
        authorized(request, db, session_id, authorization, None)
        row = db.scalar(select(Media).where(Media.session_id == session_id, Media.event_client_id == event_id))
        if row is None:
            raise ApiError(404, "NOT_FOUND", "No evidence for this event.")
        return _file(request, row, {})


@router.get("/evidence/{token}", responses={**FILE, **errors(404, 410)})
def evidence_by_link(token: str, request: Request) -> Response:
    """A webhook's ``mediaUrl``: the evidence file, for whoever holds the signed, unexpired link."""
    try:
        session_id, event_id = request.app.state.media_links.resolve(token)
    except TokenError as e:
        raise ApiError(410 if e.code == "LINK_EXPIRED" else 404, e.code, e.message) from None
    with request.app.state.db.session() as db:
        row = db.scalar(select(Media).where(Media.session_id == session_id, Media.event_client_id == event_id))
        if row is None:
            raise ApiError(404, "NOT_FOUND", "No evidence for this event (yet).")
        return _file(request, row, {"Cache-Control": "private, max-age=3600"})
