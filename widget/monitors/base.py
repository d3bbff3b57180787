"""What every monitor shares: the adapter, the two outputs, and listener bookkeeping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..browser.adapter import Browser

Report = Callable[[str, Any], object]
#: flag(type, description, details, media=None): media is a File (JPEG/WAV) handle or None
Flag = Callable[..., None]


class Monitor:
    def __init__(self, browser: "Browser", report: Report, flag: Flag):
        self.browser = browser
        self.report = report
        self.flag = flag
        self._removers: list[Callable[[], None]] = []
        self.running = False

    def listen(self, target: str, event: str, handler: Callable[..., None]) -> None:
        self._removers.append(self.browser.listen(target, event, handler))

    def every(self, seconds: "float | Callable[[], float]", tick: Callable[[], None]) -> None:
        """Call ``tick`` every ``seconds`` (a number, or a function giving each delay) until ``stop()``."""
        delay = seconds if callable(seconds) else (lambda: seconds)
        pending: dict[str, Callable[[], None]] = {}

        def fire() -> None:
            if self.running:
                tick()
                pending["cancel"] = self.browser.call_later(delay(), fire)

        pending["cancel"] = self.browser.call_later(delay(), fire)
        self._removers.append(lambda: pending["cancel"]())

    def start(self) -> None:
        self.running = True
        self.begin()

    def begin(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.running = False
        removers, self._removers = self._removers, []
        for remove in removers:
            remove()
