"""What every monitor shares: the adapter, the two outputs, and listener bookkeeping."""

from __future__ import annotations

from typing import Any, Callable

Report = Callable[[str, dict[str, Any]], None]
Flag = Callable[[str, str, dict[str, Any]], None]


class Monitor:
    def __init__(self, browser: Any, report: Report, flag: Flag):
        self.browser = browser
        self.report = report
        self.flag = flag
        self._removers: list[Callable[[], None]] = []

    def listen(self, target: str, event: str, handler: Callable[..., None]) -> None:
        self._removers.append(self.browser.listen(target, event, handler))

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        removers, self._removers = self._removers, []
        for remove in removers:
            remove()
