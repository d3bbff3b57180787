"""Evidence files: where they live (a folder or S3-compatible object storage, one location every
command finds), how they are written (a folder: temp file renamed into place only after the row
committed; sha256 kept and checked), and how sessions are deleted with them (rows first, files
after the commit, nothing left behind)."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, delete, select, text

from ..store import (
    Database,
    Event,
    ExamSession,
    FlagVerdict,
    IdempotentRequest,
    Media,
    ProctorMessage,
    Setting,
    WebhookDelivery,
    WebhookOutbox,
)
from ..store.database import default_media_dir

MEDIA_SETTING = "media_dir"
URL_ENV = "EYE_MEDIA_URL"


class LocalStore:
    """Evidence files in a folder: staged under a temporary name, renamed into place after the
    row committed, so a crash never leaves a row without its file or a half-written file."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.location = str(self.root)

    def write(self, relative: str, data: bytes) -> Path:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        with open(temporary, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return temporary

    def commit(self, staged: Path, relative: str) -> None:
        os.replace(staged, self.root / relative)

    def abort(self, staged: Path, relative: str) -> None:
        staged.unlink(missing_ok=True)

    def read(self, relative: str) -> bytes | None:
        try:
            return (self.root / relative).read_bytes()
        except OSError:
            return None

    def delete(self, relatives: list[str], session_ids: list[str]) -> None:
        for relative in relatives:
            (self.root / relative).unlink(missing_ok=True)
        for sid in session_ids:
            folder = self.root / sid
            if folder.is_dir():
                for leftover in folder.glob(".*.part"):
                    leftover.unlink(missing_ok=True)
                if not any(folder.iterdir()):
                    folder.rmdir()


class S3Store:
    """Evidence objects in S3-compatible storage (AWS S3, MinIO, ...): ``s3://bucket/prefix``, with
    the endpoint and credentials from the standard AWS variables (``AWS_ENDPOINT_URL``,
    ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``). An object is put
    before its row commits and removed again if the commit fails; reads go through Eye, so signed
    links and the dashboard work the same as with a folder."""

    def __init__(self, url: str):
        import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints (boto3-stubs is a separate project)

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"evidence location {url!r}: expected s3://BUCKET[/PREFIX]")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.location = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.root = None
        self._s3 = boto3.client("s3")

    def _key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def write(self, relative: str, data: bytes) -> str:
        self._s3.put_object(Bucket=self.bucket, Key=self._key(relative), Body=data)
        return relative

    def commit(self, staged: str, relative: str) -> None:
        return None

    def abort(self, staged: str, relative: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=self._key(relative))

    def read(self, relative: str) -> bytes | None:
        try:
            body: bytes = self._s3.get_object(Bucket=self.bucket, Key=self._key(relative))["Body"].read()
            return body
        except self._s3.exceptions.NoSuchKey:
            return None

    def delete(self, relatives: list[str], session_ids: list[str]) -> None:
        for start in range(0, len(relatives), 1000):
            chunk = relatives[start:start + 1000]
            self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": self._key(r)} for r in chunk],
                                                               "Quiet": True})


EvidenceStore = LocalStore | S3Store


def store_for(location: str | Path | EvidenceStore) -> EvidenceStore:
    """A store for ``s3://bucket/prefix`` or a folder (a store is returned as it is)."""
    if isinstance(location, (LocalStore, S3Store)):
        return location
    text = str(location)
    return S3Store(text) if text.startswith("s3://") else LocalStore(Path(text).resolve())


def media_location(db: Database, chosen: str | Path | None = None) -> EvidenceStore:
    """The evidence store of this database: ``chosen`` (a folder or ``s3://bucket/prefix``; then
    recorded), else the recorded one, else ``EYE_MEDIA_URL``, ``EYE_MEDIA_DIR`` or ``./eye-media``
    (then recorded). Every command that stores or deletes evidence asks here, so none can delete
    rows and leave their files."""
    with db.session() as s:
        row = s.get(Setting, MEDIA_SETTING)
        if chosen is None and row is not None:
            return store_for(row.value)
        store = store_for(chosen or os.environ.get(URL_ENV) or default_media_dir())
        if row is None:
            s.add(Setting(name=MEDIA_SETTING, value=store.location))
        else:
            row.value = store.location
        return store


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_checked(store: EvidenceStore | Path, relative: str, expected_sha256: str) -> bytes | None:
    """The file's bytes if it exists and still has the stored hash; None otherwise."""
    data = store_for(store).read(relative)
    return data if data is not None and sha256(data) == expected_sha256 else None


def delete_sessions(db: Database, store: EvidenceStore | Path, session_ids: list[str]) -> int:
    """Delete sessions with their events, evidence rows, webhook logs, kept idempotent answers; then, once that committed,
    their evidence files. On SQLite the freed pages are zeroed (``secure_delete``) and the WAL is
    checkpointed, so the deleted personal data is not left readable in the database files."""
    if not session_ids:
        return 0
    with db.session() as s:
        paths = list(s.scalars(select(Media.path).where(Media.session_id.in_(session_ids))))
        s.execute(delete(Media).where(Media.session_id.in_(session_ids)))
        s.execute(delete(FlagVerdict).where(FlagVerdict.session_id.in_(session_ids)))
        s.execute(delete(Event).where(Event.session_id.in_(session_ids)))
        s.execute(delete(ProctorMessage).where(ProctorMessage.session_id.in_(session_ids)))
        s.execute(delete(WebhookDelivery).where(WebhookDelivery.session_id.in_(session_ids)))
        s.execute(delete(WebhookOutbox).where(WebhookOutbox.session_id.in_(session_ids)))
        s.execute(delete(IdempotentRequest).where(IdempotentRequest.session_id.in_(session_ids)))
        removed = cast("CursorResult[Any]", s.execute(delete(ExamSession).where(ExamSession.id.in_(session_ids)))).rowcount
    store_for(store).delete(paths, session_ids)
    if db.url.startswith("sqlite"):
        with db.engine.connect() as c:
            c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return removed or 0
