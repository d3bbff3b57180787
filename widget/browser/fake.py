"""A scriptable browser for CPython tests: a manual clock, DOM events on demand, a fake server.

``FakeBrowser(server)`` where ``server(method, url, body, token)`` returns ``(status, json)`` or
raises ``NetworkFailure``. ``advance(seconds)`` moves the clock and fires due timers; ``dispatch``
fires DOM events; ``settle()`` lets background tasks run.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any, Callable

from ..errors import NetworkFailure
from . import common

Server = Callable[[str, str, Any, "str | None"], "tuple[int, Any]"]


def _offline(method: str, url: str, body: Any, token: str | None) -> tuple[int, Any]:
    raise NetworkFailure("no server in this test")


class FakeOutboxStore:
    """The outbox's persistent store, as a dict (IndexedDB in the browser)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    async def put(self, item: dict[str, Any]) -> None:
        self.items[item["key"]] = dict(item)

    async def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.items.pop(key, None)

    async def load(self, session_id: str) -> list[dict[str, Any]]:
        return [dict(i) for i in self.items.values() if i["session"] == session_id]

    async def drop(self, session_id: str) -> None:
        for key in [k for k, i in self.items.items() if i["session"] == session_id]:
            del self.items[key]


class FakeBrowser:
    def __init__(self, server: Server = _offline, *, clock: float = 1_800_000_000.0):
        self.server = server
        self.clock = clock
        self.visible = True
        self.has_focus = True
        self.fullscreen = False
        self.share = 1.0  # the window's share of the screen
        self.extended: bool | None = False  # screen.isExtended
        self.screens: list[dict[str, Any]] | None = None  # with the Window Management permission
        self.supported = {"fetch": True, "Promise": True, "WebAssembly": True, "visibilityState": True}
        self.preferred_languages = ["en-US", "en"]  # navigator.languages
        self.overlays: list[FakeOverlay] = []
        self.consent_answer = True
        self.streams: list[str] = []  # the channel's stream URLs, as requested
        self.streamed: asyncio.Queue[Any] = asyncio.Queue()
        self.requests: list[tuple[str, str, Any, str | None]] = []
        self.logs: list[tuple[str, str]] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._listeners: dict[tuple[str, str], list[Callable[..., None]]] = {}
        self.stored = FakeOutboxStore()
        self.session_storage: dict[str, dict[str, Any]] = {}
        self.keepalives: list[tuple[str, Any]] = []

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

    async def sleep(self, seconds: float) -> None:
        done: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self.call_later(seconds, lambda: None if done.done() else done.set_result(None))
        await done

    # persistence (shared by every widget made with this browser: a "reload" keeps them)
    def outbox_store(self) -> "FakeOutboxStore":
        return self.stored

    def saved_session(self, key: str) -> dict[str, Any] | None:
        return self.session_storage.get(key)

    def save_session(self, key: str, value: dict[str, Any] | None) -> None:
        if value is None:
            self.session_storage.pop(key, None)
        else:
            self.session_storage[key] = dict(value)

    async def stream(self, url: str, token: str, on_text: Callable[[str], None],
                     on_open: Callable[[Callable[[], None]], None]) -> int:
        """The channel's stream, scripted by the test through ``self.streamed`` (a queue): text is
        handed over, an int ends the stream with that status, ``"drop"`` is a network failure."""
        self.streams.append(url)
        stopped = asyncio.Event()
        on_open(stopped.set)
        while True:
            getter = asyncio.ensure_future(self.streamed.get())
            waiter = asyncio.ensure_future(stopped.wait())
            done, _ = await asyncio.wait([getter, waiter], return_when=asyncio.FIRST_COMPLETED)
            if waiter in done:
                getter.cancel()
                raise NetworkFailure("aborted")
            waiter.cancel()
            item = getter.result()
            if isinstance(item, int):
                return item
            if item == "drop":
                raise NetworkFailure("the connection dropped")
            on_text(item)

    def send_keepalive(self, url: str, body: Any, token: str) -> None:
        self.keepalives.append((url, body))

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

    def dispatch(self, target: str, event: str, payload: Any = None) -> None:
        """Fire a DOM event; ``payload`` stands for the event object (for ``copy``/``cut``/``paste``:
        how many characters moved)."""
        for handler in list(self._listeners.get((target, event), [])):
            handler(payload)

    def is_visible(self) -> bool:
        return self.visible

    def is_focused(self) -> bool:
        return self.visible and self.has_focus

    def is_fullscreen(self) -> bool:
        return self.fullscreen

    def window_share(self) -> float:
        return self.share

    def screen_extended(self) -> bool | None:
        return self.extended

    async def screen_list(self) -> list[dict[str, Any]] | None:
        await asyncio.sleep(0)
        return self.screens

    def clipboard_length(self, event: Any, action: str) -> int:
        return event if isinstance(event, int) else 0

    def can_share_screen(self) -> bool:
        return self.supported.get("getDisplayMedia", True)

    def capabilities(self) -> dict[str, bool]:
        return dict(self.supported)

    def languages(self) -> list[str]:
        return list(self.preferred_languages)

    def make_overlay(self, container_id: str | None, say: Any = None) -> "FakeOverlay":
        self.overlays.append(FakeOverlay(self, say))
        return self.overlays[-1]

    # listeners and values
    def invoke(self, listener: Any, payload: Any) -> None:
        result = listener(payload)  # Python listeners always get one argument (None when there is no payload)
        if asyncio.iscoroutine(result):
            self.spawn(result)

    def to_py(self, value: Any) -> Any:
        return value

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))


class FakeFile:
    """Stands in for a JS ``File``: bytes with a name and a content type."""

    def __init__(self, data: bytes, name: str, content_type: str):
        self.data = data
        self.name = name
        self.type = content_type

    @property
    def size(self) -> int:
        return len(self.data)


FAKE_JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"


class FakeOverlay:
    def __init__(self, browser: "FakeBrowser", say: Any = None):
        self.browser = browser
        self.language = getattr(say, "code", "en")
        self.status = ""
        self.removed = False
        self.notice: Any = None
        self.consent_text: str | None = None
        self.informed: Any = None  # the notice of an exam without devices (it does not wait)
        self.messages: list[tuple[str, str]] = []  # a live proctor's messages, as shown
        self.reply: Any = None  # how the candidate answers the latest message
        self.paused: tuple[str, str] | None = None  # the cover over the page while paused
        self.prompts: list[str] = []

    def set_status(self, text: str) -> None:
        self.status = text

    async def consent(self, notice: Any) -> bool:
        self.notice = notice
        self.consent_text = notice.text()
        await asyncio.sleep(0)
        return self.browser.consent_answer

    def inform(self, notice: Any, label: str) -> None:
        self.informed = notice

    def message(self, text: str, sender: str, label: str, reply: Any = None) -> None:
        self.messages.append((text, sender))
        self.reply = reply  # the test answers as the candidate would: overlay.reply("…")

    def pause(self, title: str, text: str) -> None:
        self.paused = (title, text)

    def resume(self) -> None:
        self.paused = None

    async def prompt(self, text: str, label: str) -> bool:
        self.prompts.append(text)
        await asyncio.sleep(0)
        return True

    def declined(self, text: str) -> None:
        self.status = text

    def remove(self) -> None:
        self.removed = True


class FakeMedia:
    def __init__(self, browser: "FakeMediaBrowser", video: bool, audio: bool):
        self.browser = browser
        self.video = video
        self.audio = audio
        self.closed = False
        self.on_chunk: Any = None
        self._ended: list[Callable[[str], None]] = []

    async def camera_ok(self) -> tuple[bool, str]:
        return (False, "mean brightness 0/255") if self.browser.camera_black else (True, "mean brightness 120/255")

    def microphone_ok(self) -> tuple[bool, str]:
        return (True, "fake microphone")

    async def frame(self) -> Any:
        if self.browser.id_frames:  # the photo-ID check grabs these frames first, one per try
            return ("id", self.browser.id_frames.pop(0))
        return self.browser.now()

    async def snapshot(self, name: str) -> FakeFile:
        return FakeFile(FAKE_JPEG, name, "image/jpeg")

    async def start_audio(self, on_chunk: Callable[[Any, int], None]) -> int:
        self.on_chunk = on_chunk
        return self.browser.audio_rate

    def on_ended(self, callback: Callable[[str], None]) -> None:
        self._ended.append(callback)

    def end_track(self, device: str) -> None:
        for callback in self._ended:
            callback(device)

    def close(self) -> None:
        self.closed = True


class FakeScreen:
    """A shared screen: ``surface`` as the candidate chose it; ``end()`` is "Stop sharing"."""

    def __init__(self, surface: str):
        self.surface = surface
        self.width, self.height = 1280, 720
        self.closed = False
        self.snapshots = 0
        self._ended: list[Callable[[], None]] = []

    def live(self) -> bool:
        return not self.closed

    async def snapshot(self, name: str) -> FakeFile:
        await asyncio.sleep(0)
        self.snapshots += 1
        return FakeFile(FAKE_JPEG, name, "image/jpeg")

    def on_ended(self, callback: Callable[[], None]) -> None:
        self._ended.append(callback)

    def end(self) -> None:
        for callback in list(self._ended):
            callback()

    def close(self) -> None:
        self.closed = True


class FakeAnalyzer:
    def __init__(self, browser: "FakeMediaBrowser", extras: dict[str, bool] | None = None):
        self.browser = browser
        self.extras = dict(extras or {})
        self.closed = False
        self.embed_requests = 0

    async def start(self) -> float:
        return 1.0

    async def analyse(self, frame: float, embed: bool, objects: bool = False) -> dict[str, Any]:
        if self.browser.analysis_seconds:  # a slow device: the analysis takes fake-clock time
            await self.browser.sleep(self.browser.analysis_seconds)
        await asyncio.sleep(0)
        self.embed_requests += embed
        objects = objects and bool(self.extras.get("objects"))
        shown = frame[1] if isinstance(frame, tuple) else self.browser.faces(frame)  # ("id", faces): a photo-ID try
        faces = [dict(f) for f in shown]
        for f in faces:
            if not embed:
                f["embedding"] = None
        return {"ms": 5.0, "faces": faces, "objects": [dict(o) for o in self.browser.objects(frame)] if objects else None}

    async def analyse_url(self, url: str) -> dict[str, Any]:
        return {"ms": 5.0, "faces": self.browser.reference_faces}

    def close(self) -> None:
        self.closed = True


class FakeMediaBrowser(FakeBrowser):
    """FakeBrowser plus camera, microphone and face analysis, scripted by the test:
    ``faces(t)`` gives the detections at time ``t``; ``push_audio(chunk)`` plays PCM."""

    def __init__(self, server: Server = _offline, **kwargs: Any):
        super().__init__(server, **kwargs)
        self.analysis_seconds = 0.0  # how long each face analysis takes (fake clock)
        self.permission = True
        self.camera_black = False
        self.audio_rate = 48000
        self.faces: Callable[[float], list[dict[str, Any]]] = lambda t: []
        self.objects: Callable[[float], list[dict[str, Any]]] = lambda t: []
        #: what the camera shows at each photo-ID try (the faces of that frame)
        self.id_frames: list[list[dict[str, Any]]] = []
        self.reference_faces: list[dict[str, Any]] = []
        self.medias: list[FakeMedia] = []
        self.analyzers: list[FakeAnalyzer] = []
        self.uploads: list[tuple[str, FakeFile]] = []
        #: what the candidate picks each time the screen is asked for: a surface, or "declined"
        self.screen_answers: list[str] = []
        self.shared: list[FakeScreen] = []


    async def open_media(self, overlay: Any, *, video: bool, audio: bool) -> FakeMedia:
        from ..errors import PERMISSION_DENIED, WidgetError

        await asyncio.sleep(0)
        if not self.permission:
            raise WidgetError(PERMISSION_DENIED, "Camera/microphone permission was denied (NotAllowedError)", {"media": "NotAllowedError"})
        self.medias.append(FakeMedia(self, video, audio))
        return self.medias[-1]

    async def share_screen(self) -> FakeScreen:
        from ..errors import PERMISSION_DENIED, WidgetError

        await asyncio.sleep(0)
        answer = self.screen_answers.pop(0) if self.screen_answers else "monitor"
        if answer == "declined":
            raise WidgetError(PERMISSION_DENIED, "Screen sharing was declined (NotAllowedError)", {"screen": "declined"})
        self.shared.append(FakeScreen(answer))
        return self.shared[-1]

    def face_analyzer(self, *, objects: bool = False, gaze: bool = False, liveness: bool = False) -> FakeAnalyzer:
        self.analyzers.append(FakeAnalyzer(self, {"objects": objects, "gaze": gaze, "liveness": liveness}))
        return self.analyzers[-1]

    async def load_numpy(self) -> None:
        await asyncio.sleep(0)

    def make_file(self, data: bytes, name: str, content_type: str) -> FakeFile:
        return FakeFile(bytes(data), name, content_type)

    def file_info(self, file: FakeFile) -> tuple[str, int]:
        return file.type, file.size

    async def upload(self, url: str, file: FakeFile, token: str) -> int:
        self.uploads.append((url, file))
        status, _ = await self.request("UPLOAD", url, file, token)
        return status

    def push_audio(self, chunk: Any) -> None:
        for media in self.medias:
            if media.on_chunk is not None and not media.closed:
                media.on_chunk(chunk, self.audio_rate)


if TYPE_CHECKING:  # mypy checks the twin against the adapter's interface
    from .adapter import Analyzer, Browser, Media, Overlay, Screen

    _browser: type[Browser] = FakeMediaBrowser
    _overlay: type[Overlay] = FakeOverlay
    _media: type[Media] = FakeMedia
    _screen: type[Screen] = FakeScreen
    _analyzer: type[Analyzer] = FakeAnalyzer
