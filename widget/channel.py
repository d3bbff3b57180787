"""The channel from the Eye server to a running widget: what a live proctor sends (a message, a
pause, a resume, a check-in), streamed as server-sent events over ``fetch`` (so the session token
goes in the ``Authorization`` header, never a URL).

Every message has an increasing id. The widget applies each once, acknowledges it, remembers the
last id it applied (in the tab's saved session, so a reload does not apply it again) and, when
the stream drops, reconnects with backoff asking for what came after that id: nothing is lost,
nothing applied twice. The server sends a comment line as a heartbeat, and ends the stream when
the session ends (a proctor ending the exam ends the session on the server: the widget then
learns why from the session's state).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Callable

from .errors import NetworkFailure

#: What a proctor can send (the server's ``proctor_messages.kind``): a message, a pause, a resume,
#: and a check-in (take a fresh picture now).
MESSAGE, PAUSE, RESUME, CHECK_IN = "message", "pause", "resume", "checkin"
KINDS = (MESSAGE, PAUSE, RESUME, CHECK_IN)
#: The longest message text a proctor may send, and the longest reply a candidate may give.
MAX_TEXT = 1000
MAX_REPLY = 500
RECONNECT_SECONDS = (1.0, 2.0, 5.0, 10.0, 20.0)
#: Answers after which reconnecting cannot help: the session ended, or the token is not its.
FINAL = (401, 403, 404, 409, 410)
ACK_TRIES = 6


@dataclass
class Sent:
    """One message of the stream."""

    id: int
    kind: str
    text: str = ""
    sender: str = ""


class Parser:
    """Server-sent events from text chunks (any split): ``feed(chunk)`` → the complete messages."""

    def __init__(self) -> None:
        self._buffer = ""
        self._data: list[str] = []
        self._id = ""

    def feed(self, chunk: str) -> list[Sent]:
        self._buffer += chunk.replace("\r\n", "\n")
        found = []
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            if not line:  # a blank line ends an event
                if self._data:
                    sent = self._event()
                    if sent is not None:
                        found.append(sent)
                self._data, self._id = [], ""
            elif line.startswith(":"):
                continue  # a comment: the heartbeat
            else:
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    self._data.append(value)
                elif name == "id":
                    self._id = value
        return found

    def _event(self) -> Sent | None:
        try:
            body = json.loads("\n".join(self._data))
            ident = int(self._id or body.get("id"))
        except (ValueError, TypeError, AttributeError):
            return None
        if not isinstance(body, dict) or body.get("kind") not in KINDS:
            return None
        return Sent(ident, str(body["kind"]), str(body.get("text") or ""), str(body.get("from") or ""))


class Channel:
    """Keeps the stream open while the session runs and hands each new message to ``apply`` once."""

    def __init__(self, browser: Any, url: str, token: str, apply: Callable[[Sent], None], *, last_id: int = 0,
                 remember: Callable[[int], None] | None = None, closed: Callable[[], None] | None = None):
        """``remember(id)`` keeps the last applied id beyond a reload; ``closed()`` is called when
        the server refuses the stream for good (the session ended, the token is not valid)."""
        self.browser = browser
        self.url = url
        self.token = token
        self.apply = apply
        self.last_id = last_id
        self.remember = remember
        self.closed = closed
        self.running = False
        self.connected = False
        self.connections = 0
        self._stop: Callable[[], None] | None = None
        self._online = asyncio.Event()
        self._online.set()
        self._unlisten: list[Callable[[], None]] = []

    def start(self) -> None:
        self.running = True
        # The browser says the network went away: the stream is dead even if no error says so yet.
        self._unlisten = [self.browser.listen("window", "offline", self._went_offline),
                          self.browser.listen("window", "online", self._came_online)]
        self.browser.spawn(self._run())

    def stop(self) -> None:
        self.running = False
        for unlisten in self._unlisten:
            unlisten()
        self._unlisten = []
        self._online.set()
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def _went_offline(self, *_: Any) -> None:
        self._online.clear()
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()

    def _came_online(self, *_: Any) -> None:
        self._online.set()  # reconnect now, whatever the backoff said

    async def _run(self) -> None:
        failures = 0
        while self.running:
            if not self._online.is_set():
                await self._online.wait()
                failures = 0
                continue
            parser = Parser()

            def received(chunk: str, parser: Parser = parser) -> None:
                for sent in parser.feed(chunk):
                    self._received(sent)

            try:
                self.connections += 1
                self.connected = True
                status = await self.browser.stream(f"{self.url}?after={self.last_id}", self.token, received, self._stoppable)
            except NetworkFailure:
                status = 0
            finally:
                self.connected = False
            if status in FINAL:
                self.running = False
                if self.closed is not None:
                    self.closed()
                return
            failures = 0 if status == 200 else failures + 1  # a healthy stream the server closed: at once
            if self.running and self._online.is_set():
                await self.browser.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS)) - 1] if failures else 0.2)

    def _stoppable(self, stop: Callable[[], None]) -> None:
        self._stop = stop

    def _received(self, sent: Sent) -> None:
        if sent.id <= self.last_id or not self.running:
            return  # already applied (a resent message after a reconnect)
        self.last_id = sent.id
        if self.remember is not None:
            self.remember(sent.id)
        try:
            self.apply(sent)
        finally:
            self.browser.spawn(self._ack(sent.id))

    async def _ack(self, up_to: int) -> None:
        """Tell the server; retried a few times (a reconnect's ``?after=`` says the same)."""
        for _ in range(ACK_TRIES):
            try:
                await self.browser.request("POST", f"{self.url}/ack", {"upTo": up_to}, token=self.token)
                return
            except NetworkFailure:
                if not self.running or up_to < self.last_id:
                    return  # a later ack covers this one
                await self.browser.sleep(5.0)
