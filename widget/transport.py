"""Sending to the Eye server: session creation, event batches (idempotent by event id), end.

Events are queued as they happen and sent in batches by a periodic flush; a batch leaves the
queue only once the server acknowledged it, so a failed send is retried on the next flush.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from .errors import (
    DOMAIN_NOT_REGISTERED,
    INVALID_API_KEY,
    INVALID_CONFIG,
    NETWORK_ERROR,
    NetworkFailure,
    WidgetError,
)
from .events import iso

API = "api/v1/"
_REFUSALS = {401: INVALID_API_KEY, 403: DOMAIN_NOT_REGISTERED, 422: INVALID_CONFIG}


class Transport:
    """One session's link to the server. ``browser`` is the adapter (``request``, ``call_later``)."""

    def __init__(self, browser: Any, base_url: str, *, batch_size: int = 50, interval: float = 1.0):
        self._browser = browser
        self._api = base_url.rstrip("/") + "/" + API
        self.batch_size = batch_size
        self.interval = interval
        self.session_id: str | None = None
        self._token: str | None = None
        self._queue: list[dict[str, Any]] = []
        self._media: list[tuple[str, Any, str]] = []
        self._lock = asyncio.Lock()
        self._cancel_timer = None
        self.closed = False

    @property
    def pending(self) -> int:
        return len(self._queue) + len(self._media)

    async def check_server(self) -> float:
        """Round-trip time in ms of a small health request; raises NetworkFailure."""
        start = self._browser.now()
        status, _ = await self._browser.request("GET", self._api + "health")
        if status != 200:
            raise NetworkFailure(f"health check answered HTTP {status}")
        return (self._browser.now() - start) * 1000.0

    async def create_session(self, api_key: str, config: dict[str, Any]) -> dict[str, Any]:
        """Ask the server for a session; it checks the key and this page's Origin."""
        try:
            status, body = await self._browser.request("POST", self._api + "sessions", {"apiKey": api_key, "config": config})
        except NetworkFailure as e:
            raise WidgetError(NETWORK_ERROR, f"Could not reach the Eye server at {self._api}: {e}") from None
        if status == 201:
            self.session_id = body["sessionId"]
            self._token = body["token"]
            self._schedule()
            return body
        code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        code = code if code in _REFUSALS.values() else _REFUSALS.get(status, NETWORK_ERROR)
        details = body.get("details") if isinstance(body, dict) and isinstance(body.get("details"), dict) else None
        raise WidgetError(code, message or f"The Eye server refused the session (HTTP {status})", details)

    def record(self, event_type: str, payload: Any, created_at: float) -> str | None:
        """Queue one event for the server; returns its client id (None once the session is closed)."""
        if self.closed:
            return None
        event_id = str(uuid.uuid4())
        self._queue.append({"id": event_id, "type": event_type, "createdAt": iso(created_at), "payload": payload})
        return event_id

    def attach_media(self, event_id: str, file: Any, content_type: str) -> None:
        """Queue the evidence file of an event; it is uploaded after the event itself."""
        if not self.closed:
            self._media.append((event_id, file, content_type))

    def _schedule(self) -> None:
        if not self.closed:
            self._cancel_timer = self._browser.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        self._browser.spawn(self._flush_and_reschedule())

    async def _flush_and_reschedule(self) -> None:
        try:
            await self.flush()
        finally:
            self._schedule()

    async def flush(self) -> bool:
        """Send everything queued; True when the queue is empty afterwards."""
        if self._token is None:
            return False
        async with self._lock:
            while self._queue:
                batch = self._queue[: self.batch_size]
                try:
                    status, _ = await self._browser.request(
                        "POST", f"{self._api}sessions/{self.session_id}/events", {"events": batch}, token=self._token
                    )
                except NetworkFailure as e:
                    self._browser.log("warn", f"Eye: sending events failed, will retry: {e}")
                    return False
                if status == 409:  # the session was ended elsewhere; nothing more will be accepted
                    self._queue.clear()
                    self._media.clear()
                    return True
                if status != 200:
                    self._browser.log("warn", f"Eye: the server answered HTTP {status} to an event batch, will retry")
                    return False
                del self._queue[: len(batch)]
            return await self._upload_media()

    async def _upload_media(self) -> bool:
        while self._media:
            event_id, file, content_type = self._media[0]
            url = f"{self._api}sessions/{self.session_id}/events/{event_id}/media"
            try:
                status = await self._browser.upload(url, file, self._token)
            except NetworkFailure as e:
                self._browser.log("warn", f"Eye: uploading evidence failed, will retry: {e}")
                return False
            if status in (413, 415, 409, 422):
                self._browser.log("error", f"Eye: the server refused a {content_type} evidence file (HTTP {status})")
            elif status not in (200, 201):
                self._browser.log("warn", f"Eye: evidence upload answered HTTP {status}, will retry")
                return False
            self._media.pop(0)
        return True

    async def end(self, reason: str, ended_at: float) -> None:
        """Flush, then finalize the session on the server; afterwards nothing is sent."""
        if self._cancel_timer:
            self._cancel_timer()
        await self.flush()
        self.closed = True
        if self._token is None:
            return
        try:
            status, _ = await self._browser.request(
                "POST", f"{self._api}sessions/{self.session_id}/end", {"reason": reason, "endedAt": iso(ended_at)}, token=self._token
            )
            if status not in (200, 409):
                self._browser.log("error", f"Eye: ending the session answered HTTP {status}")
        except NetworkFailure as e:
            self._browser.log("error", f"Eye: could not finalize the session on the server: {e}")

    def abandon(self) -> None:
        """Stop without sending (a rejected init)."""
        if self._cancel_timer:
            self._cancel_timer()
        self.closed = True
        self._queue.clear()
        self._media.clear()
