"""The adapter when the widget's Python runs in a worker (the loader's default): nothing of Python
runs on the exam page's main thread, so no Python turn can stall it.

What a worker can do itself it does as ``PyodideBrowser`` does (fetch, IndexedDB, timers, files,
the face and JPEG workers, numpy). What only the page can do — the panel, the camera, microphone
and screen, the page's events and state, ``sessionStorage`` — it asks of the page's half,
``js/page.js``, by message (``Page``): a request answered by id, a callback the page calls back,
and the page's state, which comes with every message from the page so that a handler reads it as
it was when its event fired. ``serve`` is the worker's entry point: the facade's calls in, the
widget's events, state and figures out.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable

from pyodide.ffi import JsProxy, create_proxy, to_js

from ..channel import MAX_REPLY
from ..errors import PERMISSION_DENIED, SYSTEM_CHECK_FAILED, WidgetError
from ..language import Words
from ..notice import Notice
from .jsvalues import absent, plain
from .media import ASKING_WIDTH, BUTTON_STYLES, FOCUS_CSS, PANEL_STYLE, SNAPSHOT_QUALITY, FaceAnalyzer, Questions
from .pyodide import PyodideBrowser
from .screen import JpegWorker

#: How often a running widget's figures (``diagnostics()``) are sent to the page.
FIGURES_SECONDS = 1.0


class PageError(Exception):
    """What the page's half threw: the DOMException's ``name`` and its message."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


class Page:
    """The exam page as the worker sees it. ``post(message, transfer)`` sends to the page."""

    def __init__(self, post: Callable[[Any, Any], None]):
        self._post = post
        self._asked: dict[int, asyncio.Future[Any]] = {}
        self._callbacks: dict[int, Callable[..., None]] = {}
        self._next = 0
        #: the page's state at its latest message: visible, focused, fullscreen, share, extended
        self.state: dict[str, Any] = {"visible": True, "focused": True, "fullscreen": False, "share": 1.0, "extended": None}
        self.session: dict[str, str] = {}  # the tab's sessionStorage entries of Eye's keys
        self.capabilities: dict[str, bool] = {}

    def _id(self) -> int:
        self._next += 1
        return self._next

    def send(self, message: dict[str, Any], transfer: list[Any] | None = None) -> None:
        self._post(plain(message), to_js(transfer or []))

    async def ask(self, method: str, *args: Any) -> Any:
        """Run ``method`` of the page's half with ``args``; its answer (a JS value), or PageError."""
        ident = self._id()
        answer: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        self._asked[ident] = answer
        self.send({"type": "request", "id": ident, "method": method, "args": list(args)})
        return await answer

    def tell(self, method: str, *args: Any) -> None:
        """Run ``method`` of the page's half; no answer."""
        self.send({"type": "request", "id": 0, "method": method, "args": list(args)})

    def callback(self, fn: Callable[..., None]) -> int:
        """An id the page calls ``fn`` by (its arguments as JS values)."""
        ident = self._id()
        self._callbacks[ident] = fn
        return ident

    def forget(self, ident: int) -> None:
        self._callbacks.pop(ident, None)

    def receive(self, data: Any) -> bool:
        """A message from the page: a reply or a callback (True), else not the page's (False)."""
        kind = str(data.type)
        if kind not in ("reply", "callback"):
            return False
        mirror: Any = getattr(data, "page", None)
        if not absent(mirror):
            self.state = mirror.to_py()
        ident = int(data.id)
        if kind == "reply":
            answer = self._asked.pop(ident, None)
            if answer is not None and not answer.done():
                error: Any = getattr(data, "error", None)
                if absent(error):
                    answer.set_result(getattr(data, "value", None))
                else:
                    answer.set_exception(PageError(str(error.name), str(error.message)))
            return True
        fn = self._callbacks.get(ident)
        if fn is not None:
            args: Any = getattr(data, "args", None)
            fn(*([] if absent(args) else list(args)))
        return True


class WorkerOverlay(Questions):
    """The panel, drawn by the page; every text already in the candidate's language."""

    def __init__(self, page: Page, container_id: str | None, say: Words):
        self._page = page
        self.say = say
        self._ready: asyncio.Future[Any] = asyncio.ensure_future(page.ask("overlay", container_id, {
            "code": say.code, "direction": say.direction, "label": say("Exam proctoring"),
            "messages": say("Messages from your proctor"),
            "styles": {"buttons": list(BUTTON_STYLES), "focus": FOCUS_CSS, "panel": PANEL_STYLE, "asking": ASKING_WIDTH},
        }))

    def _call(self, method: str, *args: Any) -> None:
        async def later() -> None:
            self._page.tell(method, await self._ready, *args)

        asyncio.ensure_future(later())

    async def _ask(self, panel: str, notice: Notice, buttons: list[tuple[str, str]], focus: bool = True) -> int:
        handle = await self._ready
        blocks = [block if isinstance(block, str) else list(block) for block in notice.blocks]
        return int(await self._page.ask("ask", handle, panel, {"blocks": blocks, "link": notice.link and list(notice.link)},
                                        [list(b) for b in buttons], focus, self.say("Exam proctoring")))

    def set_status(self, text: str) -> None:
        self._call("status", text)

    def message(self, text: str, sender: str, label: str, reply: Callable[[str], None] | None = None) -> None:
        t = self.say
        head = t("Message from {sender}", sender=sender) if sender else t("Message from your proctor")
        answer = None if reply is None else {
            "id": self._page.callback(lambda words: reply(str(words))), "field": t("Reply to your proctor"),
            "send": t("Send reply"), "sent": t("Reply sent."), "max": MAX_REPLY}
        self._call("message", head, text, label, answer)

    def pause(self, title: str, text: str) -> None:
        self._call("pause", title, text)

    def resume(self) -> None:
        self._call("resume")

    def declined(self, text: str) -> None:
        self._call("declined", text)

    def remove(self) -> None:
        self._call("remove")


def _refused(e: PageError, what: str, denied: tuple[str, ...], key: str) -> WidgetError:
    if any(word in e.name for word in denied):
        return WidgetError(PERMISSION_DENIED, f"{what} was denied ({e.name})", {key: e.name})
    return WidgetError(SYSTEM_CHECK_FAILED, f"{what} failed ({e})", {key: e.name})


class WorkerMedia:
    """Camera and microphone held by the page: frames arrive as transferred ``ImageBitmap``s,
    pictures encoded by the JPEG worker, the microphone's chunks straight from its worklet (its port is
    handed to this worker)."""

    def __init__(self, page: Page, handle: int, opened: dict[str, Any], scripts_url: str, encoder: JpegWorker):
        self._page = page
        self._encoder = encoder
        self.handle = handle
        self._microphone = opened.get("microphone")
        self._scripts_url = scripts_url
        self._port: Any = None
        self._proxies: list[Any] = []

    @classmethod
    async def open(cls, page: Page, overlay: WorkerOverlay, scripts_url: str, encoder: JpegWorker, *,
                   video: bool, audio: bool) -> "WorkerMedia":
        try:
            opened = await page.ask("media", await overlay._ready, video, audio)
        except PageError as e:
            if e.name == "Unsupported":
                raise WidgetError(SYSTEM_CHECK_FAILED, f"This browser cannot open a camera ({e})", {"webcam": "unsupported"}) from None
            raise _refused(e, "Opening the camera/microphone", ("NotAllowed", "Security"), "media") from None
        found = opened.to_py()
        return cls(page, int(found["handle"]), found, scripts_url, encoder)

    async def camera_ok(self) -> tuple[bool, str]:
        ok, text = (await self._page.ask("cameraOk", self.handle)).to_py()
        return bool(ok), str(text)

    def microphone_ok(self) -> tuple[bool, str]:
        if not self._microphone:
            return False, "no audio track"
        state = str(self._microphone["state"])
        return state == "live" and not self._microphone["muted"], f"audio track {state}"

    async def frame(self) -> Any:
        return await self._page.ask("frame", self.handle)

    async def snapshot(self, name: str) -> Any:
        """A JPEG of the camera now, encoded in the JPEG worker (the page only grabs the frame)."""
        return await self._encoder.encode(await self.frame(), name, width=4096, quality=SNAPSHOT_QUALITY)

    async def start_audio(self, on_chunk: Callable[[Any, int], None]) -> int:
        found = await self._page.ask("audio", self.handle, self._scripts_url + "pcm_worklet.js")
        rate = int(found.rate)
        handler = create_proxy(lambda event: on_chunk(event.data.to_py(), rate))
        self._proxies.append(handler)
        self._port = found.port
        self._port.onmessage = handler
        return rate

    def on_ended(self, callback: Callable[[str], None]) -> None:
        self._page.tell("mediaEnded", self.handle, self._page.callback(lambda kind: callback(str(kind))))

    def close(self) -> None:
        self._page.tell("closeMedia", self.handle)
        if self._port is not None:
            self._port.onmessage = None
            self._port.close()
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies.clear()


class WorkerScreen:
    """The shared screen held by the page; its pictures encoded by the JPEG worker here."""

    def __init__(self, page: Page, found: dict[str, Any], encoder: JpegWorker):
        self._page = page
        self.handle = int(found["handle"])
        self.surface = str(found.get("surface") or "")
        self.width = int(found.get("width") or 0)
        self.height = int(found.get("height") or 0)
        self._encoder = encoder
        self._live = True
        self._listening = page.callback(self._ended)
        self._on_ended: list[Callable[[], None]] = []
        page.tell("screenEnded", self.handle, self._listening)

    @classmethod
    async def open(cls, page: Page, encoder: JpegWorker) -> "WorkerScreen":
        try:
            found = await page.ask("screen")
        except PageError as e:
            if "NotAllowed" in e.name or "Abort" in e.name:
                raise WidgetError(PERMISSION_DENIED, f"Screen sharing was declined ({e.name})", {"screen": "declined"}) from None
            raise WidgetError(SYSTEM_CHECK_FAILED, f"The screen could not be shared ({e})", {"screen": e.name}) from None
        return cls(page, found.to_py(), encoder)

    def _ended(self, *_: Any) -> None:
        self._live = False
        for callback in list(self._on_ended):
            callback()

    def live(self) -> bool:
        return self._live

    async def snapshot(self, name: str) -> Any:
        return await self._encoder.encode(await self._page.ask("screenFrame", self.handle), name)

    def on_ended(self, callback: Callable[[], None]) -> None:
        self._on_ended.append(callback)

    def close(self) -> None:
        self._live = False
        self._page.forget(self._listening)
        self._page.tell("closeScreen", self.handle)


class WorkerBrowser(PyodideBrowser):
    """``PyodideBrowser`` in a worker: the page's part through ``Page``."""

    def __init__(self, page: Page, pyodide: Any, scripts_url: str, human_url: str):
        super().__init__(pyodide, scripts_url, human_url, python_api=True)
        self.page = page

    # the page's events and state
    def listen(self, target: str, event: str, handler: Callable[..., None]) -> Callable[[], None]:
        ident = self.page.callback(lambda info=None: handler(info))
        self.page.tell("listen", target, event, ident)

        def remove() -> None:
            self.page.forget(ident)
            self.page.tell("unlisten", ident)

        return remove

    def is_visible(self) -> bool:
        return bool(self.page.state["visible"])

    def is_focused(self) -> bool:
        return bool(self.page.state["visible"] and self.page.state["focused"])

    def is_fullscreen(self) -> bool:
        return bool(self.page.state["fullscreen"])

    def window_share(self) -> float:
        return float(self.page.state["share"])

    def screen_extended(self) -> bool | None:
        value = self.page.state.get("extended")
        return None if value is None else bool(value)

    async def screen_list(self) -> list[dict[str, Any]] | None:
        found = await self.page.ask("screens")
        return None if absent(found) else list(found.to_py())

    def clipboard_length(self, event: Any, action: str) -> int:
        """The page measured it when the event fired (``length``)."""
        length: Any = getattr(event, "length", 0)
        return 0 if absent(length) else int(length)

    def capabilities(self) -> dict[str, bool]:
        return dict(self.page.capabilities)

    def can_share_screen(self) -> bool:
        return bool(self.page.capabilities.get("getDisplayMedia"))

    def _encoder(self) -> JpegWorker:
        """The JPEG worker of this widget's pictures, camera and screen (started once)."""
        if self._jpeg is None:
            self._jpeg = JpegWorker(self.scripts_url)
        encoder: JpegWorker = self._jpeg
        return encoder

    async def share_screen(self) -> Any:
        return await WorkerScreen.open(self.page, self._encoder())

    # the tab's sessionStorage, mirrored
    def saved_session(self, key: str) -> dict[str, Any] | None:
        import json

        text = self.page.session.get(key)
        return None if text is None else json.loads(text)

    def save_session(self, key: str, value: dict[str, Any] | None) -> None:
        import json

        if value is None:
            self.page.session.pop(key, None)
        else:
            self.page.session[key] = json.dumps(value)
        self.page.tell("saveSession", key, self.page.session.get(key))

    # devices
    def make_overlay(self, container_id: str | None, say: Any) -> Any:
        return WorkerOverlay(self.page, container_id, say)

    async def open_media(self, overlay: Any, *, video: bool, audio: bool) -> Any:
        return await WorkerMedia.open(self.page, overlay, self.scripts_url, self._encoder(), video=video, audio=audio)

    def face_analyzer(self, *, objects: bool = False, gaze: bool = False, liveness: bool = False) -> Any:
        return FaceAnalyzer(self.scripts_url, self.human_url, {"objects": objects, "gaze": gaze, "liveness": liveness})

    def log(self, level: str, message: str) -> None:
        self.page.tell("log", level, message)


def _error(e: BaseException) -> dict[str, Any]:
    if isinstance(e, WidgetError):
        return {"message": e.message, "code": e.code, "fields": e.fields, "details": e.details}
    return {"message": f"Eye: {type(e).__name__}: {e}"}


def serve(boot: Any, pyodide: Any, stored: Any, post: Any, how: str) -> Any:
    """The widget in this worker, for the page's facade. ``boot`` is the page's first message (the
    Eye base URL, the asset URLs, the page's state, capabilities and saved sessions); ``post(message,
    transfer)`` sends to the page; the returned function takes each further message from it.
    ``stored`` is the promise of the start-up snapshot in Cache Storage (null, or why not), for
    ``checkSystem``; ``how`` how the interpreter started ("snapshot" or "worker")."""
    from ..api import Widget
    from ..events import EVENTS, plain_data

    urls = boot.assets.to_py()
    page = Page(post)
    page.session, page.capabilities, page.state = boot.session.to_py(), boot.capabilities.to_py(), boot.page.to_py()
    browser = WorkerBrowser(page, pyodide, urls.get("scripts", ""), urls.get("human", ""))
    widget = Widget(browser, str(boot.base))
    figures: dict[str, Any] = {}

    def tell_state() -> None:
        """The page's mirror of ``state`` and ``diagnostics()``, when either changed."""
        now = widget.diagnostics()
        if now != figures:
            figures.clear()
            figures.update(now)
            page.send({"type": "state", "state": widget.state, "diagnostics": now})

    for name in EVENTS:
        def forward(payload: Any, name: str = name) -> None:
            tell_state()
            page.send({"type": "emit", "event": name, "payload": plain_data(payload)})

        widget.on(name, forward)

    def every_second() -> None:
        tell_state()
        browser.call_later(FIGURES_SECONDS, every_second)

    async def answer(ident: int, method: str, args: list[Any]) -> None:
        try:
            if method == "init":
                value = await widget.init(args[0])
            elif method == "endProctoring":
                value = await widget.end_proctoring()
            elif method == "checkSystem":
                value = await widget.check_system(args[0], stored)
            else:
                raise TypeError(f"expected one of init, endProctoring, checkSystem; received {method!r}")
        except BaseException as e:  # noqa: BLE001 - every failure must settle the page's promise
            if not isinstance(e, WidgetError):
                import traceback

                browser.log("error", f"Eye: {method} failed: {''.join(traceback.format_exception(e))}")
            tell_state()
            page.send({"type": "result", "id": ident, "error": _error(e)})
            return
        tell_state()
        page.send({"type": "result", "id": ident, "value": plain_data(value)})

    def receive(data: Any) -> None:
        if page.receive(data):
            return
        if str(data.type) == "call":
            session: Any = getattr(data, "session", None)
            if not absent(session):
                page.session = session.to_py()
            capabilities: Any = getattr(data, "capabilities", None)
            if not absent(capabilities):
                page.capabilities = capabilities.to_py()
            mirror: Any = getattr(data, "page", None)
            if not absent(mirror):
                page.state = mirror.to_py()
            args: Any = getattr(data, "args", None)
            browser.spawn(answer(int(data.id), str(data.method), [] if absent(args) else [
                a.to_py() if isinstance(a, JsProxy) else a for a in args]))

    every_second()
    page.send({"type": "ready", "events": list(EVENTS), "state": widget.state, "boot": how})
    return create_proxy(receive)


if TYPE_CHECKING:  # mypy checks the worker's adapter against the interface
    from .adapter import Browser, Media, Overlay, Screen

    _browser: type[Browser] = WorkerBrowser
    _overlay: type[Overlay] = WorkerOverlay
    _media: type[Media] = WorkerMedia
    _screen: type[Screen] = WorkerScreen
