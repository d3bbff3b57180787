"""Connectivity: ``offline``/``online`` → NETWORK_OFFLINE / NETWORK_ONLINE (and an immediate
flush when the network returns); ``pagehide`` → the outbox's keepalive send."""

from __future__ import annotations

from typing import Any, Callable

from ..events import NETWORK_OFFLINE, NETWORK_ONLINE, iso
from .base import Monitor


class ConnectivityMonitor(Monitor):
    def __init__(self, browser: Any, report: Any, flag: Any, *, on_online: Callable[[], None], on_exit: Callable[[], None]):
        super().__init__(browser, report, flag)
        self.on_online = on_online
        self.on_exit = on_exit
        self.offline_since: float | None = None

    def begin(self) -> None:
        self.listen("window", "offline", self._offline)
        self.listen("window", "online", self._online)
        self.listen("window", "pagehide", lambda *_: self.on_exit())

    def _offline(self, *_: Any) -> None:
        if self.offline_since is None:
            self.offline_since = self.browser.now()
            self.report(NETWORK_OFFLINE, {"online": False, "timestamp": iso(self.offline_since)})

    def _online(self, *_: Any) -> None:
        now = self.browser.now()
        offline_ms = int((now - self.offline_since) * 1000) if self.offline_since is not None else 0
        self.offline_since = None
        self.report(NETWORK_ONLINE, {"online": True, "timestamp": iso(now), "offlineMs": offline_ms})
        self.on_online()
