"""A scriptable browser for CPython tests: a manual clock, DOM events on demand, a fake server.

``FakeBrowser(server)`` where ``server(method, url, body, token)`` returns ``(status, json)`` or
raises ``NetworkFailure``. ``advance(seconds)`` moves the clock and fires due timers; ``dispatch``
fires DOM events; ``settle()`` lets background tasks run.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable

from ..errors import NetworkFailure
from . import common

Server = Callable[[str, str, Any, "str | None"], "tuple[int, Any]"]


def _offline(method: str, url: str, body: Any, token: str | None) -> tuple[int, Any]:
    raise NetworkFailure("no server in this test")


class FakeBrowser:
    def __init__(self, server: Server = _offline, *, clock: float = 1_800_000_000.0):
        self.server = server
        self.clock = clock
        self.visible = True
        self.has_focus = True
        self.fullscreen = False
        self.supported = {"fetch": True, "Promise": True, "WebAssembly": True, "visibilityState": True}
        self.requests: list[tuple[str, str, Any, str | None]] = []
        self.logs: list[tuple[str, str]] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._listeners: dict[tuple[str, str], list[Callable[..., None]]] = {}

    # clock and scheduling
    def now(self) -> float:
        return self.clock

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Callable[[], None]:
        self._seq += 1
        entry = (self.clock + seconds, self._seq, fn)
        self._timers.append(entry)

        def cancel() -> None:
            if entry in self._timers:
                self._timers.remove(entry)

        return cancel

    def advance(self, seconds: float) -> None:
        until = self.clock + seconds
        while True:
            due = sorted(t for t in self._timers if t[0] <= until)
            if not due:
                break
            entry = due[0]
            self._timers.remove(entry)
            self.clock = max(self.clock, entry[0])
            entry[2]()
        self.clock = until

    def spawn(self, coro: Any) -> Any:
        return common.spawn(coro, self.log)

    def promise(self, coro: Any) -> Any:
        return coro

    async def settle(self, rounds: int = 20) -> None:
        for _ in range(rounds):
            await asyncio.sleep(0)

    # network
    async def request(self, method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        self.requests.append((method, url, body, token))
        await asyncio.sleep(0)
        result = self.server(method, url, body, token)
        if inspect.isawaitable(result):
            result = await result
        return result

    # DOM
    def listen(self, target: str, event: str, handler: Callable[..., None]) -> Callable[[], None]:
        self._listeners.setdefault((target, event), []).append(handler)
        return lambda: self._listeners[(target, event)].remove(handler)

    def listening(self, target: str, event: str) -> int:
        return len(self._listeners.get((target, event), []))

    def dispatch(self, target: str, event: str) -> None:
        for handler in list(self._listeners.get((target, event), [])):
            handler(None)

    def is_visible(self) -> bool:
        return self.visible

    def is_focused(self) -> bool:
        return self.visible and self.has_focus

    def is_fullscreen(self) -> bool:
        return self.fullscreen

    def capabilities(self) -> dict[str, bool]:
        return dict(self.supported)

    # listeners and values
    def invoke(self, listener: Any, payload: Any) -> None:
        result = listener(payload)  # Python listeners always get one argument (None when there is no payload)
        if asyncio.iscoroutine(result):
            self.spawn(result)

    def to_py(self, value: Any) -> Any:
        return value

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))
