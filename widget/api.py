"""The ``Widget`` facade the page sees: on/off/init/endProctoring/resetSessionListeners/state.

JS names (``endProctoring``) and Python names (``end_proctoring``) are the same methods. ``init``
and ``endProctoring`` return what the adapter makes of a coroutine: a JS Promise in the browser
(rejecting with an ``Error`` that has a ``code``), the coroutine itself under CPython.
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import config as config_mod
from . import events as ev
from . import syscheck
from .errors import NETWORK_ERROR, SYSTEM_CHECK_FAILED, WidgetError
from .monitors import FocusMonitor, FullscreenMonitor
from .session import ACTIVE, ENDED, INITIALIZING, Lifecycle, Tally
from .transport import Transport

END_REASONS = ("manual", "time_up", "error")


class Widget:
    def __init__(self, browser: Any, base_url: str):
        self._browser = browser
        self._base_url = base_url
        self._bus = ev.EventBus(browser.invoke, browser.log)
        self._lifecycle = Lifecycle()
        self._transport: Transport | None = None
        self._monitors: list[Any] = []
        self._config: dict[str, Any] | None = None
        self._session_id: str | None = None
        self._tally = Tally()
        self._cancel_timer = None
        self._starting: Any = None
        self._ending: Any = None

    # --- listeners -------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._lifecycle.state

    def on(self, event: str, callback: Any):
        return self._bus.on(event, callback)

    def off(self, event: str, callback: Any) -> None:
        self._bus.off(event, callback)

    def reset_session_listeners(self) -> None:
        self._bus.clear()

    resetSessionListeners = reset_session_listeners

    # --- lifecycle -------------------------------------------------------------------------
    def init(self, config: Any):
        self._starting = asyncio.ensure_future(self._init(self._browser.to_py(config)))
        return self._browser.promise(self._starting)

    def end_proctoring(self):
        return self._browser.promise(self._end("manual"))

    endProctoring = end_proctoring

    @property
    def session_id(self) -> str | None:
        return self._session_id

    def _emit(self, event: str, payload: Any = None) -> None:
        if self._transport is not None and event != ev.END_PROCTORING:
            self._transport.record(event, payload, self._browser.now())
        self._bus.emit(event, payload)

    async def _init(self, raw: Any) -> dict[str, Any]:
        self._lifecycle.begin_init()
        try:
            return await self._start(raw)
        except BaseException:
            self._stop_monitors()
            if self._transport is not None:
                self._transport.abandon()
                self._transport = None
            if self._lifecycle.state == INITIALIZING:
                self._lifecycle.init_failed()
            raise

    async def _start(self, raw: Any) -> dict[str, Any]:
        config = config_mod.validate(raw)
        transport = Transport(self._browser, self._base_url)
        self._transport = transport
        self._emit(ev.SYSTEM_CHECK_STARTED)
        check = await syscheck.run(self._browser, transport)
        self._emit(ev.SYSTEM_CHECK_COMPLETED, check)
        failed = {i["name"]: i.get("error") or "failed" for i in check["data"] if i["status"] == syscheck.FAILED}
        if "internetSpeed" in failed and len(failed) == 1:
            raise WidgetError(NETWORK_ERROR, f"System check failed: the Eye server is unreachable ({failed['internetSpeed']})", failed)
        if failed:
            raise WidgetError(SYSTEM_CHECK_FAILED, f"System check failed: {', '.join(failed)}", failed)
        visible = config_mod.public(config)
        created = await transport.create_session(config["apiKey"], visible)
        self._config = config
        self._session_id = created["sessionId"]
        self._tally = Tally()
        self._ending = None
        self._emit(ev.SET_CONFIG, {"config": visible})
        features = config["features"]
        if features["tabMonitoring"]:
            self._monitors.append(FocusMonitor(self._browser, self._emit, self._flag))
        if features["fullscreen"]:
            self._monitors.append(FullscreenMonitor(self._browser, self._emit, self._flag))
        for monitor in self._monitors:
            monitor.start()
        self._cancel_timer = self._browser.call_later(float(config["examDuration"]), self._time_up)
        self._lifecycle.activate()
        started = {"sessionId": self._session_id, "startedAt": created["startedAt"]}
        self._emit(ev.STARTED, started)
        return started

    def _flag(self, flag_type: str, description: str, details: dict[str, Any]) -> None:
        if self.state != ACTIVE or self._config is None:
            return
        data = ev.flag_data(
            exam_id=self._config["assessmentId"],
            candidate_id=self._config["candidateId"],
            session_id=self._session_id or "",
            type=flag_type,
            description=description,
            created_at=self._browser.now(),
            details=details,
        )
        self._emit(flag_type, data)
        if flag_type in ev.VIOLATIONS:
            types = self._tally.add(flag_type)
            if types:
                self._flag(ev.SUSPICIOUS_ACTIVITY, f"{len(types)} different kinds of violation", {"types": types})

    def _time_up(self) -> None:
        self._browser.spawn(self._end("time_up"))

    def _stop_monitors(self) -> None:
        monitors, self._monitors = self._monitors, []
        for monitor in monitors:
            monitor.stop()
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None

    async def _end(self, reason: str) -> dict[str, Any] | None:
        """Stop every monitor now, flush, finalize on the server, emit END_PROCTORING once.

        Called while ``init`` is under way, it waits for ``init`` and ends the session it started."""
        if self.state == INITIALIZING and self._starting is not None:
            await asyncio.wait([self._starting])
        if self.state != ACTIVE:
            if self._ending is not None:
                return await asyncio.shield(self._ending)
            return None
        self._stop_monitors()
        self._lifecycle.end()
        self._ending = asyncio.ensure_future(self._finish(reason))
        return await asyncio.shield(self._ending)

    async def _finish(self, reason: str) -> dict[str, Any]:
        ended_at = self._browser.now()
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.end(reason, ended_at)
        payload = {"reason": reason, "endedAt": ev.iso(ended_at)}
        self._bus.emit(ev.END_PROCTORING, payload)
        return payload
