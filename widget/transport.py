"""Sending to the Eye server: session creation or resumption, event batches and evidence from the
outbox, and the end call.

A periodic tick flushes the outbox; an item leaves it only once the server acknowledged it. A
failure (offline, 5xx, 429) waits with exponential backoff and jitter (Retry-After honoured);
coming back online flushes at once. On ``pagehide`` the next batch goes out with ``keepalive``.
The end call is retried in the background until the server has it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any, Callable

from .detect.backoff import Backoff
from .errors import (
    DOMAIN_NOT_REGISTERED,
    INVALID_API_KEY,
    INVALID_CONFIG,
    INVALID_LAUNCH_TOKEN,
    NETWORK_ERROR,
    NetworkFailure,
    WidgetError,
)
from .events import iso, parse_iso
from .outbox import Outbox

if TYPE_CHECKING:
    from .browser.adapter import Browser

API = "api/v1/"
_REFUSALS = {401: INVALID_API_KEY, 403: DOMAIN_NOT_REGISTERED, 422: INVALID_CONFIG}
_REFUSAL_CODES = (*_REFUSALS.values(), INVALID_LAUNCH_TOKEN)
#: Statuses after which an item will never be accepted: drop it rather than retry forever.
_FINAL = {400, 409, 413, 415, 422}
#: With nothing to send for this long, the transport asks the server whether the session still
#: runs, so a session the exam platform ended stops within about this time.
STATUS_SECONDS = 3.0


class _Retry(Exception):
    def __init__(self, why: str, retry_after: float | None = None):
        super().__init__(why)
        self.retry_after = retry_after


def _retry_if_worth_it(status: int, data: Any, what: str) -> None:
    """Raise _Retry for answers worth retrying: 429 (after its retryAfter), 5xx, 401/403."""
    if status == 429:
        retry = data.get("details", {}).get("retryAfter") if isinstance(data, dict) else None
        raise _Retry(f"{what}: the server asked to slow down (HTTP 429)", float(retry or 1))
    if status >= 500 or status in (401, 403):
        raise _Retry(f"{what}: the server answered HTTP {status}")


class Transport:
    """One session's link to the server. ``browser`` is the adapter (``request``, ``upload``,
    ``call_later``, ``spawn``, ``outbox_store``)."""

    def __init__(self, browser: "Browser", base_url: str, *, batch_size: int = 50, interval: float = 1.0):
        self._browser = browser
        self._api = base_url.rstrip("/") + "/" + API
        self.batch_size = batch_size
        self.interval = interval
        self.session_id: str | None = None
        self._token: str | None = None
        self.outbox = Outbox(browser.outbox_store(), browser.spawn)
        self._lock = asyncio.Lock()
        self._cancel_timer: Any = None
        self._backoff = Backoff()
        self._retry_at = 0.0
        self.closed = False
        #: server clock − this browser's clock, in seconds (from the health check)
        self.clock_offset = 0.0
        #: Called once with the server's reason when the server says the session has ended (the
        #: exam platform ended it): the widget stops proctoring.
        self.on_server_end: Callable[[str], None] | None = None
        self.server_ended = False
        self._last_exchange = 0.0

    @property
    def pending(self) -> int:
        return len(self.outbox)

    @property
    def token(self) -> str | None:
        return self._token

    def channel_url(self) -> str:
        """Where this session's channel streams from (widget/channel.py)."""
        return f"{self._api}sessions/{self.session_id}/channel"

    async def check_state(self) -> None:
        """Ask now whether the session still runs (its channel closed: a proctor or the platform
        may have ended it)."""
        await self._ask_state()

    # --- session ---------------------------------------------------------------------------
    async def check_server(self) -> float:
        """Round-trip time in ms of a small health request; raises NetworkFailure."""
        start = self._browser.now()
        status, body = await self._browser.request("GET", self._api + "health")
        if status != 200:
            raise NetworkFailure(f"health check answered HTTP {status}")
        end = self._browser.now()
        server_time = body.get("time") if isinstance(body, dict) else None
        if isinstance(server_time, (int, float)) and not isinstance(server_time, bool):
            # This computer's clock may be wrong: events are sent in the server's time.
            self.clock_offset = float(server_time) - (start + end) / 2
        return float(end - start) * 1000.0

    async def probe_upload(self, data: bytes) -> float:
        """Upload throughput to the Eye server in kbit/s: ``data`` sent to its probe (which keeps
        nothing), timed from before the request to the answer; raises NetworkFailure."""
        file = self._browser.make_file(data, "probe.bin", "application/octet-stream")
        start = self._browser.now()
        status = await self._browser.upload(self._api + "check/upload", file, "")
        elapsed = max(self._browser.now() - start, 0.001)
        if status != 200:
            raise NetworkFailure(f"the upload probe answered HTTP {status}")
        return len(data) * 8 / elapsed / 1000.0

    def _server_time(self, event: dict[str, Any]) -> dict[str, Any]:
        """An outbox event as sent: ``createdAt`` (this browser's clock) moved to the server's clock."""
        if not self.clock_offset:
            return event
        return {**event, "createdAt": iso(parse_iso(event["createdAt"]) + self.clock_offset)}

    async def preflight(self, api_key: str, config: dict[str, Any], launch_token: str | None = None) -> dict[str, Any]:
        """Ask the server whether it would accept this key, page origin, config and launch token,
        before the candidate sees a consent notice or a device opens; raises the refusal. The
        answer holds what the notice says of the institution (``retentionDays``)."""
        status, body = await self._sessions("sessions/preflight", api_key, config, launch_token)
        if status != 200:
            self._refused(status, body)
        answer: dict[str, Any] = body if isinstance(body, dict) else {}
        return answer

    async def create_session(self, api_key: str, config: dict[str, Any], launch_token: str | None = None) -> dict[str, Any]:
        """Ask the server for a session; it checks the key, this page's Origin and, for keys that
        require one, the exam platform's launch token."""
        status, body = await self._sessions("sessions", api_key, config, launch_token)
        if status != 201:
            self._refused(status, body)
        self._attach(body["sessionId"], body["token"])
        created: dict[str, Any] = body
        return created

    async def _sessions(self, path: str, api_key: str, config: dict[str, Any], launch_token: str | None) -> tuple[int, Any]:
        request = {"apiKey": api_key, "config": config}
        if launch_token is not None:
            request["launchToken"] = launch_token
        try:
            answer: tuple[int, Any] = await self._browser.request("POST", self._api + path, request)
            return answer
        except NetworkFailure as e:
            raise WidgetError(NETWORK_ERROR, f"Could not reach the Eye server at {self._api}: {e}") from None

    @staticmethod
    def _refused(status: int, body: Any) -> None:
        """Raise the WidgetError a refused session request stands for."""
        code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        code = code if code in _REFUSAL_CODES else _REFUSALS.get(status, NETWORK_ERROR)
        details = body.get("details") if isinstance(body, dict) and isinstance(body.get("details"), dict) else None
        raise WidgetError(code, message or f"The Eye server refused the session (HTTP {status})", details)

    async def session_state(self, session_id: str, token: str) -> dict[str, Any] | None:
        """The server's view of a saved session, or None if the token no longer works."""
        try:
            status, body = await self._browser.request("GET", f"{self._api}sessions/{session_id}", token=token)
        except NetworkFailure as e:
            raise WidgetError(NETWORK_ERROR, f"Could not reach the Eye server at {self._api}: {e}") from None
        return body if status == 200 else None

    async def resume(self, session_id: str, token: str) -> int:
        """Continue a session a previous page of this tab started; returns restored outbox items."""
        restored = await self.outbox.restore(session_id)
        self._attach(session_id, token)
        return restored

    def _attach(self, session_id: str, token: str) -> None:
        self.session_id = session_id
        self._token = token
        if self.outbox.session_id != session_id:
            self.outbox.bind(session_id)
        self._schedule()

    # --- queueing --------------------------------------------------------------------------
    def record(self, event_type: str, payload: Any, created_at: float) -> str | None:
        """Queue one event for the server; returns its client id (None once the session is closed)."""
        if self.closed:
            return None
        event_id = str(uuid.uuid4())
        self.outbox.add_event({"id": event_id, "type": event_type, "createdAt": iso(created_at), "payload": payload})
        return event_id

    def attach_media(self, event_id: str, file: Any, content_type: str) -> None:
        """Queue the evidence file of an event; it is uploaded after the event itself."""
        if not self.closed:
            self.outbox.add_media(event_id, file, content_type)

    # --- sending ---------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self.closed:
            self._cancel_timer = self._browser.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        self._browser.spawn(self._flush_and_reschedule())

    async def _flush_and_reschedule(self) -> None:
        try:
            if self._browser.now() >= self._retry_at:
                await self.flush()
                if not self.outbox.events(1) and self._browser.now() - self._last_exchange >= STATUS_SECONDS:
                    await self._ask_state()
        finally:
            self._schedule()

    async def _ask_state(self) -> None:
        """Nothing was exchanged for ``STATUS_SECONDS``: ask whether the session still runs (the
        exam platform's server may have ended it). A failure is retried at the next tick."""
        if self._token is None or self.closed or self.server_ended:
            return
        try:
            status, body = await self._browser.request("GET", f"{self._api}sessions/{self.session_id}", token=self._token)
        except NetworkFailure:
            return
        if status == 200:
            self._last_exchange = self._browser.now()
            if isinstance(body, dict) and body.get("endedAt"):
                self._ended_by_server(str(body.get("reason") or ""))

    def _ended_by_server(self, reason: str) -> None:
        if not self.server_ended and not self.closed:
            self.server_ended = True
            if self.on_server_end is not None:
                self.on_server_end(reason)

    def flush_now(self) -> None:
        """The network is back: forget the backoff and send at once."""
        self._retry_at = 0.0
        self._backoff.success()
        if self._token is not None and not self.closed:
            self._browser.spawn(self.flush())

    async def flush(self) -> bool:
        """Send everything queued; True when the outbox is empty afterwards."""
        if self._token is None:
            return False
        async with self._lock:
            try:
                await self._send_events()
                await self._send_media()
            except _Retry as r:
                delay = self._backoff.failure(r.retry_after)
                self._retry_at = self._browser.now() + delay
                self._browser.log("warn", f"Eye: {r}; {len(self.outbox)} item(s) kept, retrying in {delay:.1f} s")
                return False
            self._backoff.success()
        return True

    async def _send_events(self) -> None:
        while True:
            batch = self.outbox.events(self.batch_size)
            if not batch:
                return
            status, body = await self._call("POST", f"sessions/{self.session_id}/events", {"events": [self._server_time(i["event"]) for i in batch]})
            self._last_exchange = self._browser.now()
            if isinstance(body, dict) and isinstance(body.get("ended"), dict):
                self._ended_by_server(str(body["ended"].get("reason") or ""))
            if isinstance(body, dict) and body.get("refused"):
                self._browser.log("error", f"Eye: the server refused {len(body['refused'])} event(s): {body['refused']}")
            if status in _FINAL:
                self._browser.log("error", f"Eye: the server refused an event batch for good (HTTP {status}): {body}")
                if status == 409:  # the session was ended: nothing more will be accepted
                    self.outbox.clear()
                    self._ended_by_server(str(body.get("code", "")) if isinstance(body, dict) else "")
                    return
            self.outbox.done(batch)

    async def _send_media(self) -> None:
        for item in self.outbox.media():
            url = f"{self._api}sessions/{self.session_id}/events/{item['eventId']}/media"
            if self._token is None:
                return  # no session yet: evidence waits in the outbox
            try:
                status = await self._browser.upload(url, item["file"], self._token)
            except NetworkFailure as e:
                raise _Retry(f"uploading evidence failed ({e})") from None
            _retry_if_worth_it(status, None, "evidence upload")
            if status in _FINAL:
                self._browser.log("error", f"Eye: the server refused a {item['contentType']} evidence file (HTTP {status})")
            self.outbox.done([item])

    async def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A request that raises _Retry for what is worth retrying (network, 429, 5xx, 401/403)."""
        try:
            status, data = await self._browser.request(method, self._api + path, body, token=self._token)
        except NetworkFailure as e:
            raise _Retry(f"sending to the server failed ({e})") from None
        _retry_if_worth_it(status, data, f"{method} {path.split('/')[-1]}")
        return status, data

    def flush_on_exit(self) -> None:
        """The page is going away: send the next batch with ``keepalive`` (no answer awaited)."""
        batch = self.outbox.events(self.batch_size)
        if batch and self._token is not None and not self.closed:
            self._browser.send_keepalive(
                f"{self._api}sessions/{self.session_id}/events", {"events": [self._server_time(i["event"]) for i in batch]}, self._token
            )

    async def end(self, reason: str, ended_at: float) -> bool:
        """Flush, then finalize the session on the server. True when the server has the end;
        otherwise the caller may retry (the outbox keeps what was not sent)."""
        if self._cancel_timer:
            self._cancel_timer()
            self._cancel_timer = None
        self.closed = True
        if self._token is None:
            return True
        if not await self.flush():
            return False
        if self.server_ended:  # the server ended it first: the end is its own, nothing to finalize
            self.outbox.clear()
            return True
        try:
            status, _ = await self._call("POST", f"sessions/{self.session_id}/end", {"reason": reason, "endedAt": iso(ended_at + self.clock_offset)})
        except _Retry as r:
            self._retry_at = self._browser.now() + self._backoff.failure(r.retry_after)
            return False
        if status not in (200, 409):
            self._browser.log("error", f"Eye: ending the session answered HTTP {status}")
        self.outbox.clear()
        return True

    async def end_until_done(self, reason: str, ended_at: float) -> None:
        """``end`` again and again, with backoff, until the server has it."""
        while not await self.end(reason, ended_at):
            await self._browser.sleep(max(0.5, self._retry_at - self._browser.now()))

    def abandon(self) -> None:
        """Stop without sending (a rejected init)."""
        if self._cancel_timer:
            self._cancel_timer()
        self.closed = True
        self.outbox.clear()
