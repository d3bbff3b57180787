"""Evidence files on disk: where they live (one location every command finds), how they are
written (temp file, renamed into place only after their row committed, sha256 kept and checked),
and how sessions are deleted with them (rows first, files after the commit, nothing left behind).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from sqlalchemy import delete, select, text

from .store import Database, Event, ExamSession, Media, Setting, WebhookDelivery, WebhookOutbox
from .store.database import default_media_dir

MEDIA_SETTING = "media_dir"


def media_location(db: Database, chosen: str | Path | None = None) -> Path:
    """The evidence folder of this database: ``chosen`` (then recorded), else the recorded one,
    else ``EYE_MEDIA_DIR`` or ``./eye-media`` (then recorded). Every command that stores or
    deletes evidence asks here, so none can delete rows and leave their files."""
    with db.session() as s:
        row = s.get(Setting, MEDIA_SETTING)
        if chosen is None and row is not None:
            return Path(row.value)
        location = str(Path(chosen or default_media_dir()).resolve())
        if row is None:
            s.add(Setting(name=MEDIA_SETTING, value=location))
        else:
            row.value = location
        return Path(location)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stage(media_dir: Path, relative: str, data: bytes) -> Path:
    """Write ``data`` beside its final place under a temporary name; ``publish`` moves it there."""
    target = media_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return temporary


def publish(temporary: Path, media_dir: Path, relative: str) -> None:
    os.replace(temporary, media_dir / relative)


def read_checked(media_dir: Path, relative: str, expected_sha256: str) -> bytes | None:
    """The file's bytes if it exists and still has the stored hash; None otherwise."""
    try:
        data = (media_dir / relative).read_bytes()
    except OSError:
        return None
    return data if sha256(data) == expected_sha256 else None


def delete_sessions(db: Database, media_dir: Path, session_ids: list[str]) -> int:
    """Delete sessions with their events, evidence rows, webhook logs; then, once that committed,
    their evidence files. On SQLite the freed pages are zeroed (``secure_delete``) and the WAL is
    checkpointed, so the deleted personal data is not left readable in the database files."""
    if not session_ids:
        return 0
    with db.session() as s:
        paths = list(s.scalars(select(Media.path).where(Media.session_id.in_(session_ids))))
        s.execute(delete(Media).where(Media.session_id.in_(session_ids)))
        s.execute(delete(Event).where(Event.session_id.in_(session_ids)))
        s.execute(delete(WebhookDelivery).where(WebhookDelivery.session_id.in_(session_ids)))
        s.execute(delete(WebhookOutbox).where(WebhookOutbox.session_id.in_(session_ids)))
        removed = s.execute(delete(ExamSession).where(ExamSession.id.in_(session_ids))).rowcount
    for relative in paths:
        (media_dir / relative).unlink(missing_ok=True)
    for sid in session_ids:
        folder = media_dir / sid
        if folder.is_dir():
            for leftover in folder.glob(".*.part"):
                leftover.unlink(missing_ok=True)
            if not any(folder.iterdir()):
                folder.rmdir()
    if db.url.startswith("sqlite"):
        with db.engine.connect() as c:
            c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return removed or 0
