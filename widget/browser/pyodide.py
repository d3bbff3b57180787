"""The real adapter, inside Pyodide: DOM events, fetch, timers and JS listeners via the FFI."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Callable

import js
from pyodide.ffi import JsException, JsProxy, create_once_callable, create_proxy, to_js

from ..errors import NetworkFailure, WidgetError
from . import common
from .jsvalues import absent, plain


class PyodideBrowser:
    def __init__(self, pyodide: Any = None, scripts_url: str = "", human_url: str = "", *, python_api: bool = False) -> None:
        """``python_api``: ``init``/``endProctoring`` return awaitables raising WidgetError (for
        Python callers, see widget.page) instead of JS Promises rejecting with coded Errors."""
        self._jpeg: Any = None
        self._pyodide = pyodide
        self.python_api = python_api
        self.scripts_url = scripts_url
        self.human_url = human_url

    # clock and scheduling
    def now(self) -> float:
        return float(js.Date.now()) / 1000.0

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Callable[[], None]:
        return common.call_later(seconds, fn)

    def spawn(self, coro: Any) -> Any:
        return common.spawn(coro, self.log)

    def promise(self, coro: Any) -> Any:
        """A JS Promise for ``coro``: WidgetError rejects with an ``Error`` carrying ``code``."""
        task = asyncio.ensure_future(coro)
        if self.python_api:
            return task

        def executor(resolve: Any, reject: Any) -> None:
            def done(t: Any) -> None:
                try:
                    value = t.result()
                except WidgetError as e:
                    reject(self._error(e))
                except BaseException as e:  # noqa: BLE001 - every failure must settle the promise
                    reject(js.Error.new(f"Eye: {type(e).__name__}: {e}"))
                else:
                    resolve(plain(value))

            task.add_done_callback(done)

        return js.Promise.new(executor)

    def _error(self, e: WidgetError) -> Any:
        err = js.Error.new(e.message)
        err.code = e.code
        err.fields = plain(e.fields)
        err.details = plain(e.details)
        return err

    # network
    async def request(self, method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        options: dict[str, Any] = {"method": method, "mode": "cors", "credentials": "omit", "cache": "no-store"}
        if body is not None:
            headers["Content-Type"] = "application/json"
            options["body"] = json.dumps(body)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        options["headers"] = headers
        try:
            response = await js.fetch(url, plain(options))
            text = await response.text()
        except JsException as e:
            raise NetworkFailure(str(e)) from None
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        return int(response.status), data

    # DOM
    def listen(self, target: str, event: str, handler: Callable[..., None]) -> Callable[[], None]:
        node = {"window": js.window, "document": js.document, "screen": js.window.screen}[target]
        proxy = create_proxy(handler)
        node.addEventListener(event, proxy)

        def remove() -> None:
            node.removeEventListener(event, proxy)
            proxy.destroy()

        return remove

    def is_visible(self) -> bool:
        return bool(js.document.visibilityState == "visible")

    def is_focused(self) -> bool:
        return self.is_visible() and bool(js.document.hasFocus())

    def is_fullscreen(self) -> bool:
        return not absent(js.document.fullscreenElement)

    def window_share(self) -> float:
        """The window's size as a share of the screen's available area: the smaller of width and
        height shares, from the outer window size (the inner size where the outer is unknown)."""
        w, screen = js.window, js.window.screen
        width = float(w.outerWidth or w.innerWidth)
        height = float(w.outerHeight or w.innerHeight)
        avail_w, avail_h = float(screen.availWidth or screen.width), float(screen.availHeight or screen.height)
        if avail_w <= 0 or avail_h <= 0:
            return 1.0
        return min(1.0, width / avail_w, height / avail_h)

    def screen_extended(self) -> bool | None:
        value = getattr(js.window.screen, "isExtended", None)
        return None if absent(value) else bool(value)

    async def screen_list(self) -> list[dict[str, Any]] | None:
        """The screens, when the page already holds the Window Management permission (never asked)."""
        try:
            if not hasattr(js.window, "getScreenDetails"):
                return None
            status = await js.navigator.permissions.query(plain({"name": "window-management"}))
            if str(status.state) != "granted":
                return None
            details = await js.window.getScreenDetails()
            return [{"label": str(s.label), "width": int(s.width), "height": int(s.height), "primary": bool(s.isPrimary)}
                    for s in details.screens]
        except JsException:
            return None

    def clipboard_length(self, event: Any, action: str) -> int:
        """How many characters a copy, cut or paste moved (the text itself is not kept)."""
        try:
            if action == "paste":
                data: Any = getattr(event, "clipboardData", None)
                return 0 if absent(data) else len(str(data.getData("text/plain")))
            target = js.document.activeElement
            start: Any = getattr(target, "selectionStart", None)
            end: Any = getattr(target, "selectionEnd", None)
            if not absent(start) and not absent(end) and isinstance(start, int):
                return max(0, int(end) - int(start))
            return len(str(js.document.getSelection().toString()))
        except JsException:
            return 0

    def can_share_screen(self) -> bool:
        from .screen import can_share

        return can_share()

    async def share_screen(self) -> Any:
        """Ask for the entire screen (``PERMISSION_DENIED`` if the picker is declined)."""
        from .screen import JpegWorker, ScreenShare

        if self._jpeg is None:
            self._jpeg = JpegWorker(self.scripts_url)
        return await ScreenShare.open(self._jpeg)

    def capabilities(self) -> dict[str, bool]:
        w = js.window
        return {
            "fetch": hasattr(w, "fetch"),
            "Promise": hasattr(w, "Promise"),
            "WebAssembly": hasattr(w, "WebAssembly"),
            "visibilityState": hasattr(js.document, "visibilityState"),
        }

    def languages(self) -> list[str]:
        navigator = js.navigator
        found = getattr(navigator, "languages", None)
        if found is not None and not absent(found):
            return [str(tag) for tag in found]
        single = getattr(navigator, "language", None)
        return [str(single)] if single and not absent(single) else []

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    # persistence: the outbox in IndexedDB, the tab's session in sessionStorage
    def outbox_store(self) -> Any:
        from .storage import IndexedDbOutbox

        if not hasattr(js, "indexedDB") or absent(js.indexedDB):
            return None
        if getattr(self, "_outbox", None) is None:
            self._outbox = IndexedDbOutbox()
        return self._outbox

    def saved_session(self, key: str) -> dict[str, Any] | None:
        try:
            text = js.sessionStorage.getItem(key)
        except JsException:
            return None
        return None if absent(text) else json.loads(text)

    def save_session(self, key: str, value: dict[str, Any] | None) -> None:
        try:
            if value is None:
                js.sessionStorage.removeItem(key)
            else:
                js.sessionStorage.setItem(key, json.dumps(value))
        except JsException as e:  # storage disabled: resuming after a reload is then not possible
            self.log("warn", f"Eye: sessionStorage unavailable ({e})")

    def send_keepalive(self, url: str, body: Any, token: str) -> None:
        """Fire-and-forget POST that outlives the page (``fetch`` with ``keepalive``)."""
        text = json.dumps(body)
        if len(text) > 60_000:
            return  # over the keepalive budget; the outbox keeps it for the next page
        options = {"method": "POST", "mode": "cors", "credentials": "omit", "keepalive": True, "body": text,
                   "headers": {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}}
        js.fetch(url, plain(options)).catch(create_once_callable(lambda *_: None))

    # camera, microphone, overlay, evidence (widget/browser/media.py)
    def make_overlay(self, container_id: str | None, say: Any) -> Any:
        from .media import Overlay

        return Overlay(container_id, say)

    async def open_media(self, overlay: Any, *, video: bool, audio: bool) -> Any:
        from .media import MediaSession

        return await MediaSession.open(overlay, self.scripts_url, video=video, audio=audio)

    def face_analyzer(self, *, objects: bool = False, gaze: bool = False, liveness: bool = False) -> Any:
        from .media import FaceAnalyzer

        return FaceAnalyzer(self.scripts_url, self.human_url, {"objects": objects, "gaze": gaze, "liveness": liveness})

    async def load_numpy(self) -> None:
        if self._pyodide is None:
            raise RuntimeError("numpy can only be loaded through the Pyodide handle given by loader.js")
        await self._pyodide.loadPackage("numpy", plain({"messageCallback": lambda *_: None}))

    def make_file(self, data: bytes, name: str, content_type: str) -> Any:
        u8 = js.Uint8Array.new(len(data))
        u8.assign(data)
        return js.File.new(to_js([u8]), name, plain({"type": content_type}))

    def file_info(self, file: Any) -> tuple[str, int]:
        return str(file.type), int(file.size)

    async def upload(self, url: str, file: Any, token: str) -> int:
        options = {
            "method": "POST",
            "mode": "cors",
            "credentials": "omit",
            "headers": {"Content-Type": str(file.type), **({"Authorization": f"Bearer {token}"} if token else {})},
        }
        opts = plain(options)
        opts.body = file
        try:
            response = await js.fetch(url, opts)
        except JsException as e:
            raise NetworkFailure(str(e)) from None
        return int(response.status)

    async def stream(self, url: str, token: str, on_text: Callable[[str], None],
                     on_open: Callable[[Callable[[], None]], None]) -> int:
        """GET ``url`` and hand its body to ``on_text`` as it arrives (server-sent events), until
        the server ends it (its HTTP status) or the stop function given to ``on_open`` aborts it."""
        controller = js.AbortController.new()
        on_open(lambda: controller.abort())
        opts = plain({"method": "GET", "mode": "cors", "credentials": "omit", "cache": "no-store",
                      "headers": {"Accept": "text/event-stream", "Authorization": f"Bearer {token}"}})
        opts.signal = controller.signal
        try:
            response = await js.fetch(url, opts)
            if int(response.status) != 200:
                return int(response.status)
            reader = response.body.getReader()
            decoder = js.TextDecoder.new()
            while True:
                part = await reader.read()
                if part.done:
                    return 200
                on_text(str(decoder.decode(part.value, plain({"stream": True}))))
        except JsException as e:
            raise NetworkFailure(str(e)) from None

    # listeners and values
    def invoke(self, listener: Any, payload: Any) -> None:
        if isinstance(listener, JsProxy):
            result = listener(plain(payload)) if payload is not None else listener()
            if result is not None and hasattr(result, "then") and hasattr(result, "catch"):
                result.catch(create_once_callable(lambda e: self.log("error", f"Eye: an async listener rejected: {e}")))
            return
        result = listener(payload)  # Python listeners always get one argument (None when there is no payload)
        if asyncio.iscoroutine(result):
            self.spawn(result)

    def to_py(self, value: Any) -> Any:
        if isinstance(value, JsProxy):
            return value.to_py()
        return value

    def log(self, level: str, message: str) -> None:
        getattr(js.console, level if level in ("error", "warn", "info") else "log")(message)


async def page_browser(base: str) -> PyodideBrowser:
    """The adapter for a Python caller in the page (PyScript): the asset URLs come from the Eye
    server's ``manifest.json`` at ``base``; ``init`` and ``end_proctoring`` return awaitables."""
    import pyodide_js  # the page's Pyodide, as PyScript provides it

    response = await js.fetch(base + "manifest.json")
    if not response.ok:
        raise RuntimeError(f"Eye: expected the Eye server's manifest at {base}manifest.json, received HTTP {response.status}")
    manifest: dict[str, Any] = (await response.json()).to_py()
    return PyodideBrowser(pyodide_js, base + manifest["scripts"], base + manifest["human"], python_api=True)


def create_widget(base_url: str, pyodide: Any = None, assets: Any = None) -> Any:
    """Entry point for ``loader.js``: the Widget bound to the real browser.

    ``assets`` holds absolute URLs of the versioned asset folders: ``scripts`` (the face worker
    and audio worklet) and ``human`` (Human, its models and the tfjs wasm binaries)."""
    from ..api import Widget

    urls = assets.to_py() if isinstance(assets, JsProxy) else dict(assets or {})
    browser = PyodideBrowser(pyodide, urls.get("scripts", ""), urls.get("human", ""))
    return Widget(browser, str(base_url))


if TYPE_CHECKING:  # mypy checks the real adapter against its interface
    from .adapter import Analyzer, Browser, Media, Overlay, Screen
    from .media import FaceAnalyzer, MediaSession
    from .media import Overlay as PanelOverlay
    from .screen import ScreenShare

    _browser: type[Browser] = PyodideBrowser
    _overlay: type[Overlay] = PanelOverlay
    _media: type[Media] = MediaSession
    _screen: type[Screen] = ScreenShare
    _analyzer: type[Analyzer] = FaceAnalyzer
