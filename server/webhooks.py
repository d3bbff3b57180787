"""Flag webhooks: each new flag is POSTed as JSON to its institution's webhook URL, signed, with
retries, on background threads — ingestion only enqueues and never waits for a receiver.

Body (the vendor's fields): ``{event: "Flag", flagId, candidateId, examId, type, mediaUrl,
domain, description, createdAt}``. Headers: ``X-Eye-Timestamp: UNIX`` and
``X-Eye-Signature: sha256=HEX`` where HEX = HMAC-SHA256(secret, "UNIX." + body).
Up to 3 attempts, 1 s then 2 s apart (timeout 5 s each); every attempt is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from .store import Database, ExamSession, Institution, WebhookDelivery

FLAGS = {
    "TAB_NOT_FOCUS", "EXIT_FULLSCREEN", "FACE_ABSENCE", "MULTIPLE_FACE", "FACE_MISMATCH", "FACE_MISALIGNMENT",
    "SOUND_DETECTED", "SUSPICIOUS_ACTIVITY", "DEVICE_LOST",
}
DELAYS = (1.0, 2.0)  # before attempts 2 and 3
TIMEOUT = 5.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


class Webhooks:
    def __init__(self, db: Database, media_links: Any, *, workers: int = 8, delays: tuple[float, ...] = DELAYS,
                 timeout: float = TIMEOUT):
        self.db = db
        self.media_links = media_links
        self.delays = delays
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eye-webhook")

    def flags_stored(self, session_id: str, rows: list[dict[str, Any]], base_url: str) -> None:
        """Called after events were committed: queue a delivery for each new flag (non-blocking)."""
        flags = [r for r in rows if r["type"] in FLAGS]
        if flags:
            self._pool.submit(self._prepare, session_id, flags, base_url)

    def _prepare(self, session_id: str, flags: list[dict[str, Any]], base_url: str) -> None:
        with self.db.session() as s:
            row = s.execute(
                select(Institution.id, Institution.webhook_url, Institution.webhook_secret, ExamSession.origin,
                       ExamSession.assessment_id, ExamSession.candidate_id)
                .join(ExamSession, ExamSession.institution_id == Institution.id)
                .where(ExamSession.id == session_id)
            ).first()
        if row is None or not row.webhook_url:
            return
        for flag in flags:
            payload = flag.get("payload") or {}
            body = {
                "event": "Flag",
                "flagId": flag["client_id"],
                "candidateId": row.candidate_id,
                "examId": row.assessment_id,
                "type": flag["type"],
                "mediaUrl": self.media_links.url(base_url, session_id, flag["client_id"]) if payload.get("media") else None,
                "domain": urlsplit(row.origin).netloc,
                "description": payload.get("description", ""),
                "createdAt": flag["created_at"].isoformat().replace("+00:00", "Z"),
            }
            self._pool.submit(self._deliver, row.id, row.webhook_url, row.webhook_secret or "", session_id, flag["client_id"], body)

    def _deliver(self, institution_id: int, url: str, secret: str, session_id: str, flag_id: str, body: dict[str, Any]) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(1, len(self.delays) + 2):
            timestamp = int(time.time())
            request = urllib.request.Request(url, data=data, method="POST", headers={
                "Content-Type": "application/json",
                "User-Agent": "Eye-Webhooks/1",
                "X-Eye-Timestamp": str(timestamp),
                "X-Eye-Signature": sign(secret, timestamp, data),
            })
            status: int | None = None
            error: str | None = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    status = response.status
            except urllib.error.HTTPError as e:
                status, error = e.code, f"HTTP {e.code}"
            except Exception as e:  # timeouts, refused connections, DNS: logged, retried
                error = f"{type(e).__name__}: {e}"[:500]
            with self.db.session() as s:
                s.add(WebhookDelivery(institution_id=institution_id, session_id=session_id, event_client_id=flag_id,
                                      attempt=attempt, status=status, error=error))
            if status is not None and 200 <= status < 300:
                return
            if attempt <= len(self.delays):
                time.sleep(self.delays[attempt - 1])

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
